"""Evidence use cases: add files to a case, read them, and keep their chain of custody."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, BinaryIO

from weiquan.domain import imports
from weiquan.domain.accounts import Principal, Role
from weiquan.domain.errors import NotFound, PermissionDenied, ValidationFailed
from weiquan.domain.evidence import CaptureMethod, CustodyAction, CustodyEvent, EvidenceRecord
from weiquan.domain.evidence_files import StoredBlob, display_filename
from weiquan.domain.lifecycle import FINAL_STATUSES
from weiquan.services.cases import visible_case
from weiquan.services.context import Services

_CONTRIBUTORS = frozenset({Role.CONSUMER, Role.MERCHANT, Role.MEDIATOR, Role.OPERATOR})
_OPERATOR_METHODS = frozenset({CaptureMethod.OPERATOR_INTAKE, CaptureMethod.UPLOAD})


def add_evidence(
    svc: Services,
    *,
    case_id: str,
    chunks: Iterable[bytes],
    filename: str,
    principal: Principal,
    now: datetime,
    method: CaptureMethod = CaptureMethod.UPLOAD,
    description: str = "",
    supports_seq: int | None = None,
    supersedes_id: str | None = None,
    derived: dict[str, Any] | None = None,
) -> EvidenceRecord:
    """Stores the file (streamed, hashed, type-checked) and records who added it, how and when.

    The file is stored before the record: if the record cannot be written the stored bytes are
    an unreferenced, content-addressed copy that a later upload of the same file reuses.
    """
    if principal.role not in _CONTRIBUTORS:
        raise PermissionDenied("只有当事双方、调解员或热线坐席可以提交证据")
    if principal.role is Role.OPERATOR and method not in _OPERATOR_METHODS:
        raise ValidationFailed("热线坐席只能以“热线受理”方式录入证据", field="method")
    with svc.uow(readonly=True) as uow:
        case = visible_case(uow, principal, case_id, for_update=False)
        if case.status in FINAL_STATUSES:
            raise ValidationFailed("案件已结束，不能再提交证据", field="case_id")
        if supersedes_id is not None:
            earlier = uow.evidence.get(supersedes_id)
            if earlier is None or earlier.case_id != case_id:
                raise ValidationFailed("被更正的证据不属于本案", field="supersedes_id")
        if supports_seq is not None and not 1 <= supports_seq <= case.last_seq:
            raise ValidationFailed("所支持的陈述不存在", field="supports_seq")
    blob = svc.blobs.put_stream(chunks, max_bytes=svc.max_upload_bytes)
    if method in _IMPORT_METHODS:
        derived = {**(derived or {}), **_parse_import(svc, method, blob)}
    record = EvidenceRecord(
        id=svc.ids.new_id(),
        case_id=case_id,
        sha256=blob.sha256,
        size=blob.size,
        mime=blob.mime,
        original_name=display_filename(filename),
        method=method,
        captured_by=principal.actor,
        captured_at=now,
        description=description.strip(),
        supports_seq=supports_seq,
        supersedes_id=supersedes_id,
        derived=dict(derived or {}),
    )
    with svc.uow() as uow:
        visible_case(uow, principal, case_id, for_update=True)  # still visible, and serialised
        uow.evidence.add(record)
        uow.evidence.add_custody(
            CustodyEvent(record.id, CustodyAction.CAPTURED, principal.actor, now)
        )
        uow.commit()
    return record


_IMPORT_METHODS = frozenset({CaptureMethod.CHAT_LOG_IMPORT, CaptureMethod.ORDER_IMPORT})
MAX_IMPORT_BYTES = 5 * 1024 * 1024


def _parse_import(svc: Services, method: CaptureMethod, blob: StoredBlob) -> dict[str, Any]:
    """Reads a chat log or order export into structured, readable form; refuses what it can't.

    The file is stored already; when parsing fails no record refers to it (content-addressed
    bytes without a record are inert and reused by a later identical upload).
    """
    if blob.mime not in ("text/plain", "text/csv", "application/json"):
        raise ValidationFailed("导入的聊天记录或订单须为文本、CSV 或 JSON 文件", field="file")
    if blob.size > MAX_IMPORT_BYTES:
        raise ValidationFailed("导入文件不能超过 5 MB", field="file")
    with svc.blobs.open(blob.sha256) as stream:
        text = stream.read().decode(blob.charset or "utf-8")
    if method is CaptureMethod.CHAT_LOG_IMPORT:
        messages = (
            imports.parse_chat_json(text)
            if blob.mime == "application/json"
            else imports.parse_chat_text(text)
        )
        return {
            "chat": {
                "messages": [
                    {"speaker": m.speaker, "sent_at": m.sent_at.isoformat(), "text": m.text}
                    for m in messages
                ],
                "transcript": imports.render_transcript(messages),
            }
        }
    orders = (
        imports.parse_orders_json(text)
        if blob.mime == "application/json"
        else imports.parse_orders_csv(text)
    )
    return {"orders": [_order_json(o) for o in orders]}


def _order_json(order: imports.OrderRecord) -> dict[str, Any]:
    times = (
        "ordered_at",
        "paid_at",
        "promised_ship_by",
        "shipped_at",
        "promised_delivery_by",
        "received_at",
    )
    out: dict[str, Any] = {
        "order_no": order.order_no,
        "amount_paid_fen": order.amount_paid_fen,
        "shop": order.shop,
        "items": order.items,
        "platform": order.platform,
    }
    for name in times:
        moment = getattr(order, name)
        out[name] = moment.isoformat() if moment is not None else None
    return out


def list_evidence(svc: Services, case_id: str, *, principal: Principal) -> list[EvidenceRecord]:
    """Both sides see each other's evidence (公平、公开); superseded records stay listed."""
    with svc.uow(readonly=True) as uow:
        visible_case(uow, principal, case_id, for_update=False)
        return uow.evidence.for_case(case_id)


def open_evidence(
    svc: Services, evidence_id: str, *, principal: Principal, now: datetime
) -> tuple[EvidenceRecord, BinaryIO]:
    """The file for download; the access is recorded in the chain of custody first."""
    with svc.uow() as uow:
        record = uow.evidence.get(evidence_id)
        if record is None:
            raise NotFound("找不到该证据")
        visible_case(uow, principal, record.case_id, for_update=False)
        uow.evidence.add_custody(
            CustodyEvent(record.id, CustodyAction.DOWNLOADED, principal.actor, now)
        )
        uow.commit()
    return record, svc.blobs.open(record.sha256)


def custody(svc: Services, evidence_id: str, *, principal: Principal) -> list[CustodyEvent]:
    with svc.uow(readonly=True) as uow:
        record = uow.evidence.get(evidence_id)
        if record is None:
            raise NotFound("找不到该证据")
        visible_case(uow, principal, record.case_id, for_update=False)
        return uow.evidence.custody_of(evidence_id)


def stage_file(svc: Services, chunks: Iterable[bytes]) -> StoredBlob:
    """Keeps a file that arrives before its case exists (the wizard's order screenshot).

    Stored bytes are content-addressed and inert until a record refers to them, so a staged file
    that is never attached costs only its space.
    """
    return svc.blobs.put_stream(chunks, max_bytes=svc.max_upload_bytes)


def check_staged_import(svc: Services, method: CaptureMethod, blob: StoredBlob) -> None:
    """Refuses a staged chat log or order export that could not be imported, before any case
    exists, so the refusal reaches the form instead of failing after the complaint is filed."""
    if method in _IMPORT_METHODS:
        _parse_import(svc, method, blob)


def add_staged_evidence(
    svc: Services,
    *,
    case_id: str,
    sha256: str,
    filename: str,
    principal: Principal,
    now: datetime,
    description: str = "",
    method: CaptureMethod = CaptureMethod.UPLOAD,
) -> EvidenceRecord:
    """Attaches a staged file to a case as evidence, through the same checks as an upload."""
    with svc.blobs.open(sha256) as stream:
        return add_evidence(
            svc,
            case_id=case_id,
            chunks=iter(lambda: stream.read(1 << 20), b""),
            filename=filename,
            principal=principal,
            now=now,
            description=description,
            method=method,
        )
