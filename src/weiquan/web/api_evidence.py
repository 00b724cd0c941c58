"""/api/v1 evidence: upload to a case (streamed), list, download, chain of custody, OCR."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, BinaryIO
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from weiquan.adapters.ocr import RapidOcrReader
from weiquan.domain.errors import ValidationFailed
from weiquan.domain.evidence import CaptureMethod, EvidenceRecord
from weiquan.domain.evidence_files import (
    OCR_READABLE_MIME_TYPES,
    SNIFF_BYTES,
    human_size,
    sniff_mime,
)
from weiquan.services import evidence as evidence_service
from weiquan.web.deps import ApiPrincipal, NowDep, ServicesDep
from weiquan.web.schemas import ShownTime

router = APIRouter(prefix="/api/v1", tags=["evidence"])
CHUNK = 1 << 20
OCR_MAX_BYTES = 20 * 1024 * 1024


class EvidenceOut(BaseModel):
    id: str
    case_id: str
    sha256: str
    size: int
    mime: str
    name: str
    method: str
    captured_by_role: str
    captured_at: ShownTime
    description: str
    supports_seq: int | None
    supersedes_id: str | None
    derived: dict[str, Any]


class CustodyOut(BaseModel):
    action: str
    actor_role: str
    at: ShownTime


def evidence_out(record: EvidenceRecord) -> EvidenceOut:
    return EvidenceOut(
        id=record.id,
        case_id=record.case_id,
        sha256=record.sha256,
        size=record.size,
        mime=record.mime,
        name=record.display_name,
        method=record.method.value,
        captured_by_role=record.captured_by.role.value,
        captured_at=record.captured_at,
        description=record.description,
        supports_seq=record.supports_seq,
        supersedes_id=record.supersedes_id,
        derived=record.derived,
    )


def _chunks(stream: BinaryIO) -> Iterator[bytes]:
    while chunk := stream.read(CHUNK):
        yield chunk


def ocr_reader(request: Request) -> RapidOcrReader:
    reader: RapidOcrReader | None = getattr(request.app.state, "ocr", None)
    if reader is None:
        reader = request.app.state.ocr = RapidOcrReader()
    return reader


def read_screenshot(request: Request, data: bytes) -> dict[str, Any]:
    """OCR text and the order fields sure enough to pre-fill a complaint."""
    result = ocr_reader(request).read(data)
    return {
        "text": result.text,
        "prefill": result.fields.prefill(),
        "elapsed_ms": result.elapsed_ms,
    }


def _check_declared_size(request: Request, limit: int) -> None:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit + 64 * 1024:
        raise ValidationFailed(f"文件过大：上限 {human_size(limit)}", field="file")


@router.post("/cases/{case_id}/evidence", status_code=201)
def upload_evidence(
    case_id: str,
    request: Request,
    principal: ApiPrincipal,
    svc: ServicesDep,
    now: NowDep,
    file: Annotated[
        UploadFile, File(description="the evidence file; its type is read from its bytes")
    ],
    description: Annotated[str, Form(max_length=1000)] = "",
    method: Annotated[CaptureMethod, Form()] = CaptureMethod.UPLOAD,
    supports_seq: Annotated[int | None, Form(ge=1)] = None,
    supersedes_id: Annotated[str | None, Form(max_length=36)] = None,
    ocr: Annotated[bool, Form(description="read order fields from a screenshot")] = False,
) -> EvidenceOut:
    """Add a file to a case. Types are checked from the bytes against an allow-list; the size
    limit is the deployment's `WEIQUAN_MAX_UPLOAD_BYTES`. Nothing is kept if anything fails."""
    _check_declared_size(request, svc.max_upload_bytes)
    derived: dict[str, Any] = {}
    if ocr:
        head = file.file.read(OCR_MAX_BYTES + 1)
        file.file.seek(0)
        if len(head) > OCR_MAX_BYTES:
            raise ValidationFailed("用于识别的截图不能超过 20 MB", field="file")
        sniffed = sniff_mime(head[:SNIFF_BYTES], complete=len(head) <= SNIFF_BYTES)
        if sniffed.mime not in OCR_READABLE_MIME_TYPES:
            raise ValidationFailed("只能识别图片截图（JPEG、PNG、GIF、WebP）", field="ocr")
        derived = {"ocr": read_screenshot(request, head)}
    record = evidence_service.add_evidence(
        svc,
        case_id=case_id,
        chunks=_chunks(file.file),
        filename=file.filename or "",
        principal=principal,
        now=now,
        method=method,
        description=description,
        supports_seq=supports_seq,
        supersedes_id=supersedes_id,
        derived=derived,
    )
    return evidence_out(record)


@router.post("/ocr")
def ocr_screenshot(
    request: Request,
    _principal: ApiPrincipal,
    file: Annotated[UploadFile, File(description="a screenshot of an order, chat or receipt")],
) -> dict[str, Any]:
    """Read a screenshot without storing it, to pre-fill a complaint before the case exists."""
    data = file.file.read(OCR_MAX_BYTES + 1)
    if len(data) > OCR_MAX_BYTES:
        raise ValidationFailed("用于识别的截图不能超过 20 MB", field="file")
    return read_screenshot(request, data)


@router.get("/cases/{case_id}/evidence")
def list_case_evidence(
    case_id: str, principal: ApiPrincipal, svc: ServicesDep
) -> list[EvidenceOut]:
    """Both sides' evidence; a superseded record stays listed, with its correction."""
    return [
        evidence_out(r) for r in evidence_service.list_evidence(svc, case_id, principal=principal)
    ]


@router.get("/evidence/{evidence_id}/content")
def download_evidence(
    evidence_id: str, principal: ApiPrincipal, svc: ServicesDep, now: NowDep
) -> StreamingResponse:
    """The file exactly as stored (its SHA-256 is in the record); the download is recorded."""
    record, stream = evidence_service.open_evidence(svc, evidence_id, principal=principal, now=now)

    def body() -> Iterator[bytes]:
        with stream:
            yield from _chunks(stream)

    headers = {
        "Content-Disposition": "attachment; filename*=UTF-8''" + _quote(record.display_name),
        "X-Content-Type-Options": "nosniff",
        "Digest": f"sha-256={record.sha256}",
    }
    return StreamingResponse(body(), media_type=record.mime, headers=headers)


@router.get("/evidence/{evidence_id}/custody")
def evidence_custody(
    evidence_id: str, principal: ApiPrincipal, svc: ServicesDep
) -> list[CustodyOut]:
    """Every capture, view, download and export of this evidence."""
    return [
        CustodyOut(action=c.action.value, actor_role=c.actor.role.value, at=c.at)
        for c in evidence_service.custody(svc, evidence_id, principal=principal)
    ]


def _quote(name: str) -> str:
    return quote(name, safe="")
