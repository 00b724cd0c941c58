"""The case page's evidence panel: upload (plain files, chat logs, order exports), download, and
the evidence package that `weiquan verify` checks offline."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from starlette.datastructures import UploadFile

from weiquan.domain.accounts import Principal, Role
from weiquan.domain.cases import Case
from weiquan.domain.errors import Conflict, DomainError, NotFound
from weiquan.domain.evidence import CaptureMethod
from weiquan.domain.evidence_files import human_size
from weiquan.domain.lifecycle import FINAL_STATUSES
from weiquan.services import evidence as evidence_service
from weiquan.services.context import Services
from weiquan.web import api_packages
from weiquan.web.deps import NowDep, PagePrincipal, ServicesDep
from weiquan.web.i18n import gettext, n_
from weiquan.web.messages import page_message
from weiquan.web.pages.common import require_login

router = APIRouter(include_in_schema=False)
_CHUNK = 1 << 20

UPLOAD_KINDS = (
    (CaptureMethod.UPLOAD.value, n_("普通文件（截图、照片、票据等）")),
    (CaptureMethod.CHAT_LOG_IMPORT.value, n_("这是聊天记录导出（文本或 JSON）")),
    (CaptureMethod.ORDER_IMPORT.value, n_("这是订单导出（CSV 或 JSON）")),
)
METHOD_LABELS = {
    CaptureMethod.UPLOAD: n_("上传"),
    CaptureMethod.PLATFORM_IMPORT: n_("平台导入"),
    CaptureMethod.CHAT_LOG_IMPORT: n_("聊天记录导入"),
    CaptureMethod.ORDER_IMPORT: n_("订单导入"),
    CaptureMethod.OCR_DERIVED: n_("截图识别"),
    CaptureMethod.OPERATOR_INTAKE: n_("热线受理"),
}
_CONTRIBUTORS = frozenset({Role.CONSUMER, Role.MERCHANT, Role.MEDIATOR, Role.OPERATOR})


def may_add_evidence(case: Case, principal: Principal) -> bool:
    return principal.role in _CONTRIBUTORS and case.status not in FINAL_STATUSES


def may_download_package(case: Case, principal: Principal) -> bool:
    """The parties, the mediator in charge and the regulator; the service checks it again."""
    if principal.role is Role.OPERATOR:
        return False
    return principal.role is not Role.MEDIATOR or case.mediator_id == principal.user_id


def evidence_context(svc: Services, case: Case, principal: Principal) -> dict[str, Any]:
    records = evidence_service.list_evidence(svc, case.id, principal=principal)
    superseded = {r.supersedes_id for r in records if r.supersedes_id}
    return {
        "evidence": records,
        "evidence_superseded": superseded,
        "evidence_names": {r.id: r.display_name for r in records},
        "upload_kinds": UPLOAD_KINDS,
        "method_label": lambda m: gettext(METHOD_LABELS.get(m, str(m))),
        "human_size": human_size,
        "can_add_evidence": may_add_evidence(case, principal),
        "can_download_package": may_download_package(case, principal),
        "evidence_error": None,
        "evidence_values": {
            "description": "",
            "kind": CaptureMethod.UPLOAD.value,
            "supersedes_id": "",
        },
    }


def store_upload(
    svc: Services,
    who: Principal,
    case_id: str,
    now: Any,
    raw: dict[str, str],
    file: UploadFile | None,
) -> tuple[dict[str, str], str | None]:
    """Adds the uploaded file to the case; the form's values and the refusal, if any."""
    values = {
        "description": raw.get("description", ""),  # too long is refused, never cut
        "kind": raw.get("kind", ""),
        "supersedes_id": raw.get("supersedes_id", "")[:36],
    }
    allowed = {kind for kind, _label in UPLOAD_KINDS}
    method = CaptureMethod(values["kind"]) if values["kind"] in allowed else CaptureMethod.UPLOAD
    if file is None or not file.filename:
        return values, gettext("请选择要上传的文件")
    try:
        evidence_service.add_evidence(
            svc,
            case_id=case_id,
            chunks=_read(file.file.read),
            filename=file.filename,
            principal=who,
            now=now,
            method=method,
            description=values["description"],
            # The service checks that the corrected record belongs to this case.
            supersedes_id=values["supersedes_id"] or None,
        )
    except DomainError as exc:
        if exc.http_status == 404:
            raise
        return values, page_message(exc)
    return values, None


def _read(read: Callable[[int], bytes]) -> Iterator[bytes]:
    while chunk := read(_CHUNK):
        yield chunk


@router.get("/evidence/{evidence_id}/download")
def download(
    evidence_id: str, principal: PagePrincipal, svc: ServicesDep, now: NowDep
) -> StreamingResponse:
    """The file exactly as stored; the download is recorded in its chain of custody."""
    who = require_login(principal)
    record, stream = evidence_service.open_evidence(svc, evidence_id, principal=who, now=now)

    def body() -> Iterator[bytes]:
        with stream:
            yield from _read(stream.read)

    headers = {
        "Content-Disposition": "attachment; filename*=UTF-8''"
        + quote(record.display_name, safe=""),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox",
    }
    return StreamingResponse(body(), media_type=record.mime, headers=headers)


@router.get("/cases/{case_id}/package.zip")
def package(
    case_id: str, request: Request, principal: PagePrincipal, svc: ServicesDep, now: NowDep
) -> StreamingResponse:
    """The evidence package, signed in with the session rather than a token."""
    who = require_login(principal)
    try:
        request.app.state.log_holder.get()
    except NotFound:
        # Until the log writer has created the log there is nothing to prove inclusion against.
        raise Conflict(gettext("存证日志尚未建立，证据包暂时无法生成，请稍后再试")) from None
    return api_packages.download_package(case_id, request, who, svc, now)
