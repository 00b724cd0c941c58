"""Evidence packages: everything a party needs to prove the case record offline, in one zip.

The package holds the evidence files, a manifest, the case history, a C2SP ``.tlog-proof`` for
every log entry, the signed checkpoint those proofs lead to, the log's public key, a certificate
PDF (证据保全证书) and a README. ``weiquan verify`` checks it without the server; the layout is in
``docs/evidence-package.md`` and ``weiquan.domain.evidence_package``.
"""

from __future__ import annotations

import base64
import hashlib
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from typing import IO, Any, BinaryIO, Protocol

from weiquan.domain.accounts import Principal, Role
from weiquan.domain.calendar import CHINA_TZ
from weiquan.domain.cases import Case
from weiquan.domain.documents import CertifiedFile, EvidenceCertificate, Party
from weiquan.domain.documents import Checkpoint as CertifiedCheckpoint
from weiquan.domain.errors import IntegrityViolation, NotYetSealed, PermissionDenied
from weiquan.domain.evidence import CaptureMethod, CustodyAction, CustodyEvent, EvidenceRecord
from weiquan.domain.evidence_package import (
    CERTIFICATE,
    CHECKPOINT,
    FORMAT_VERSION,
    HISTORY,
    LOG_KEY,
    MANIFEST,
    README,
    evidence_item,
    file_path,
    history_line,
    manifest_text,
    proof_path,
)
from weiquan.domain.tlog.checkpoint import Checkpoint, parse_checkpoint
from weiquan.domain.tlog.notes import parse_signed_note
from weiquan.services.cases import visible_case
from weiquan.services.context import Services
from weiquan.services.ports import LoggedEntry, UnitOfWork

CertificateRenderer = Callable[[EvidenceCertificate], bytes]
_CHUNK = 1 << 20
_ZIP64_FROM = (1 << 31) - 1
_METHOD_LABELS = {
    CaptureMethod.UPLOAD: "网页上传",
    CaptureMethod.PLATFORM_IMPORT: "平台导入",
    CaptureMethod.CHAT_LOG_IMPORT: "聊天记录导入",
    CaptureMethod.ORDER_IMPORT: "订单导入",
    CaptureMethod.OCR_DERIVED: "截图识别",
    CaptureMethod.OPERATOR_INTAKE: "热线受理",
}
_ROLE_LABELS = {
    Role.CONSUMER: "消费者",
    Role.MERCHANT: "商家",
    Role.MEDIATOR: "调解员",
    Role.REGULATOR: "监管部门",
    Role.OPERATOR: "热线坐席",
    Role.ADMIN: "平台管理员",
    Role.SYSTEM: "系统",
}


class ProofSource(Protocol):
    """The transparency log as a package needs it."""

    def checkpoint(self) -> str:
        """The log's current signed checkpoint (a C2SP signed note)."""
        ...

    def tlog_proof(self, index: int, *, checkpoint: str) -> str:
        """A C2SP ``.tlog-proof`` of entry ``index`` against exactly that signed checkpoint."""
        ...

    def verifier_key(self, checkpoint: str) -> str:
        """The public key (verifier-key text) that signed that checkpoint."""
        ...


@dataclass(frozen=True, slots=True)
class _Gathered:
    case: Case
    evidence: list[LoggedEntry]
    events: list[LoggedEntry]
    parties: tuple[Party, ...]
    uploaders: dict[str, str]  # evidence id → who captured it, for the certificate


def build_package(
    svc: Services,
    case_id: str,
    *,
    principal: Principal,
    proofs: ProofSource,
    render_certificate: CertificateRenderer,
    now: datetime,
    issuer: str | None = None,
) -> bytes:
    buffer = BytesIO()
    write_package(
        svc,
        case_id,
        buffer,
        principal=principal,
        proofs=proofs,
        render_certificate=render_certificate,
        now=now,
        issuer=issuer,
    )
    return buffer.getvalue()


def write_package(
    svc: Services,
    case_id: str,
    out: IO[bytes],
    *,
    principal: Principal,
    proofs: ProofSource,
    render_certificate: CertificateRenderer,
    now: datetime,
    issuer: str | None = None,
) -> str:
    """Write the case's package as a zip to ``out`` and return the case number; each file's
    export is recorded in its chain of custody first.

    Parties only: the consumer, the merchant's staff, the assigned mediator, an admin, and a
    regulator the case was referred to. Every record must already be in the log.
    """
    note = proofs.checkpoint()
    checkpoint = parse_checkpoint(parse_signed_note(note).text)
    gathered = _gather_and_record_export(
        svc, case_id, principal=principal, now=now, checkpoint=checkpoint
    )
    certificate = render_certificate(
        _certificate(gathered, checkpoint, note, now=now, issuer=issuer or checkpoint.origin)
    )
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        writer = _ZipWriter(archive, now)
        writer.text(README, _readme(gathered.case, checkpoint))
        writer.text(CHECKPOINT, note)
        writer.text(LOG_KEY, proofs.verifier_key(note).strip() + "\n")
        writer.data(CERTIFICATE, certificate)
        history = _history(gathered.events)
        writer.text(HISTORY, history)
        items = [_evidence_item(entry) for entry in gathered.evidence]
        manifest = _manifest(
            gathered.case,
            checkpoint,
            items,
            events=len(gathered.events),
            certificate=certificate,
            now=now,
        )
        writer.text(MANIFEST, manifest_text(manifest))
        for entry in [*gathered.evidence, *gathered.events]:
            index = _index(entry)
            writer.text(proof_path(index), proofs.tlog_proof(index, checkpoint=note))
        sizes = {record.sha256: record.size for record in _records(gathered.evidence)}
        for sha256, size in sizes.items():
            with svc.blobs.open(sha256) as source:
                writer.blob(file_path(sha256), source, sha256=sha256, size=size)
    return gathered.case.number


def _gather_and_record_export(
    svc: Services, case_id: str, *, principal: Principal, now: datetime, checkpoint: Checkpoint
) -> _Gathered:
    """The case's records, each export recorded in custody, once all are under ``checkpoint``
    (checked first, so a package refused for now leaves no custody record behind)."""
    with svc.uow() as uow:
        case = visible_case(uow, principal, case_id, for_update=False)
        _require_party(principal, case)
        entries = uow.ledger.entries_of_case(case.id)
        _require_covered(entries, checkpoint)
        evidence = [entry for entry in entries if entry.evidence is not None]
        events = sorted(
            (entry for entry in entries if entry.event is not None),
            key=lambda entry: entry.event.seq if entry.event else 0,
        )
        for entry in evidence:
            assert entry.evidence is not None
            uow.evidence.add_custody(
                CustodyEvent(entry.evidence.id, CustodyAction.EXPORTED, principal.actor, now)
            )
        gathered = _Gathered(case, evidence, events, _parties(uow, case), _uploaders(uow, evidence))
        uow.commit()
    return gathered


def _require_party(principal: Principal, case: Case) -> None:
    """Who may see a case is wider than who gets its package: a mediator browsing the queue and
    the hotline operator who filed it see the case, but are not parties to it."""
    role = principal.role
    if role is Role.OPERATOR or (role is Role.MEDIATOR and case.mediator_id != principal.user_id):
        raise PermissionDenied("证据包只提供给案件当事人、承办调解员和受移交的监管部门")


def _parties(uow: UnitOfWork, case: Case) -> tuple[Party, ...]:
    consumer = uow.users.get(case.consumer_id)
    merchant = uow.merchants.get(case.merchant_id)
    return (
        Party("投诉人（消费者）", consumer.display_name if consumer else "消费者"),
        Party(
            "被投诉人（商家）",
            merchant.name if merchant else case.merchant_id,
            merchant.uscc if merchant else None,
            is_person=False,
        ),
    )


def _uploaders(uow: UnitOfWork, evidence: Sequence[LoggedEntry]) -> dict[str, str]:
    names: dict[str, str] = {}
    for entry in evidence:
        assert entry.evidence is not None
        actor = entry.evidence.captured_by
        user = uow.users.get(actor.user_id) if actor.user_id else None
        names[entry.evidence.id] = user.display_name if user else _ROLE_LABELS[actor.role]
    return names


def _records(entries: Sequence[LoggedEntry]) -> list[EvidenceRecord]:
    return [entry.evidence for entry in entries if entry.evidence is not None]


def _index(entry: LoggedEntry) -> int:
    if entry.log_index is None:  # checked when gathered; kept for the type checker
        raise NotYetSealed("本案有记录仍在保全（写入透明日志）中，请几秒后重试")
    return entry.log_index


def _require_covered(entries: Sequence[LoggedEntry], checkpoint: Checkpoint) -> None:
    newest = max((_index(entry) for entry in entries), default=-1)
    if newest >= checkpoint.size:
        raise NotYetSealed("透明日志的最新检查点尚未覆盖本案全部记录，请几秒后重试")


def _evidence_item(entry: LoggedEntry) -> dict[str, Any]:
    assert entry.evidence is not None
    return evidence_item(
        entry.evidence, salt=entry.salt, log_index=_index(entry), version=entry.entry_version
    )


def _history(events: Sequence[LoggedEntry]) -> str:
    lines = []
    for entry in events:
        assert entry.event is not None
        line = history_line(
            entry.event,
            salt=entry.salt,
            case_key=entry.case_key,
            log_index=_index(entry),
            version=entry.entry_version,
        )
        lines.append(line + "\n")
    return "".join(lines)


def _manifest(
    case: Case,
    checkpoint: Checkpoint,
    items: list[dict[str, Any]],
    *,
    events: int,
    certificate: bytes,
    now: datetime,
) -> dict[str, Any]:
    return {
        "format": FORMAT_VERSION,
        "created_at": now.isoformat(),
        "case": {"id": case.id, "number": case.number},
        "log": {
            "origin": checkpoint.origin,
            "size": checkpoint.size,
            "root": base64.b64encode(checkpoint.root).decode(),
            "checkpoint": CHECKPOINT,
            "key": LOG_KEY,
        },
        "evidence": items,
        "history": {"path": HISTORY, "events": events},
        "certificate": {"path": CERTIFICATE, "sha256": hashlib.sha256(certificate).hexdigest()},
    }


class _ZipWriter:
    """Members stamped with the package's own time, so the archive says when it was made."""

    def __init__(self, archive: zipfile.ZipFile, now: datetime) -> None:
        self._archive = archive
        local = now.astimezone(CHINA_TZ)
        self._stamp = (local.year, local.month, local.day, local.hour, local.minute, local.second)

    def _info(self, name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=self._stamp)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        return info

    def text(self, name: str, text: str) -> None:
        self.data(name, text.encode("utf-8"))

    def data(self, name: str, data: bytes) -> None:
        self._archive.writestr(self._info(name), data)

    def blob(self, name: str, source: BinaryIO, *, sha256: str, size: int) -> None:
        """Copy a stored file in chunks, checking on the way that it is still what was logged."""
        digest = hashlib.sha256()
        with self._archive.open(self._info(name), "w", force_zip64=size >= _ZIP64_FROM) as dest:
            while chunk := source.read(_CHUNK):
                digest.update(chunk)
                dest.write(chunk)
        if digest.hexdigest() != sha256:
            raise IntegrityViolation(f"存储的证据文件 {sha256} 已损坏或被改动，与登记的哈希不符")


def _certificate(
    gathered: _Gathered, checkpoint: Checkpoint, note: str, *, now: datetime, issuer: str
) -> EvidenceCertificate:
    files = []
    for entry in gathered.evidence:
        record = entry.evidence
        assert record is not None
        files.append(
            CertifiedFile(
                display_name=record.display_name,
                mime=record.mime,
                size_bytes=record.size,
                sha256=record.sha256,
                captured_at=record.captured_at,
                # The log keeps no time per entry; the checkpoint proves it was logged by now.
                logged_at=now,
                log_index=_index(entry),
                captured_by=gathered.uploaders[record.id],
                capture_method=_METHOD_LABELS[record.method],
            )
        )
    root = base64.b64encode(checkpoint.root).decode()
    return EvidenceCertificate(
        certificate_no=f"BQ-{gathered.case.number}-{now.astimezone(CHINA_TZ):%Y%m%d%H%M%S}",
        case_no=gathered.case.number,
        issued_at=now,
        issuer=issuer,
        parties=gathered.parties,
        files=tuple(files),
        checkpoint=CertifiedCheckpoint(checkpoint.origin, checkpoint.size, root, note),
        verify_command="weiquan verify <证据包.zip> --key <平台公布的日志公钥>",
    )


_README = """\
证据包 / Evidence package — 案件 {number}

本证据包可以离线核验，无需联网，也无需信任平台服务器。
This package can be checked offline, without the platform's server.

一、核验 / How to verify
  weiquan verify 本文件.zip --key <平台公布的日志公钥 / the log key the platform publishes>

  通过时退出码为 0 并显示摘要；证据文件的任何字节被改动、清单或案件经过中的记录被删改或调换、
  证明或签名不对，都会以退出码 1 失败并指出第一处问题。
  It exits 0 with a summary when everything holds, and 1 naming the first thing that fails.
  Without --key it trusts log-key.vkey inside the package: compare that key with the one the
  platform publishes (不加 --key 时只能证明包内自洽，请核对包内公钥与平台公布的公钥一致).

二、内容 / Contents
  manifest.json        清单：每份证据的 SHA-256、大小、类型、名称、采集时间与方式、
                       承诺盐值 (salt) 与日志序号 / every evidence record, its salt and log index
  history.jsonl        案件经过，每行一个事件 / the case history, one event per line
  files/<sha256>       证据原件，文件名即其 SHA-256 / the evidence files, named by their SHA-256
  proofs/<n>.tlog-proof  第 n 条日志的包含证明 (C2SP tlog-proof) / inclusion proof of entry n
  checkpoint           签名的日志检查点：{origin}，共 {size} 条 / the signed checkpoint
  log-key.vkey         日志公钥 / the log's public key
  certificate.pdf      证据保全证书 / the evidence preservation certificate

三、手工核对 / By hand
  sha256sum files/*    （macOS: shasum -a 256；Windows: certutil -hashfile 文件 SHA256）
  每个文件的哈希应与其文件名及 manifest.json 一致。
  Each file's hash must equal its name and its manifest entry. Each proof can also be checked
  with `weiquan log verify-proof proofs/<n>.tlog-proof --key log-key.vkey --leaf <hash>`.

公开日志中只有加盐承诺，不含个人信息，也不含案件编号与文件哈希；本包披露盐值，使当事人能够证明
日志记录的内容。
The public log holds only salted commitments (no personal data, no case id, no file hash); this
package discloses the salts so the case's parties can prove what was logged.
"""


def _readme(case: Case, checkpoint: Checkpoint) -> str:
    return _README.format(number=case.number, origin=checkpoint.origin, size=checkpoint.size)
