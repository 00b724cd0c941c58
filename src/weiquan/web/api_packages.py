"""/api/v1 evidence packages: the whole case record as a zip that `weiquan verify` checks offline."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from weiquan.adapters.pdf import render_evidence_certificate
from weiquan.adapters.tlog.keys import KeyStore
from weiquan.adapters.tlog.proof_source import LogProofSource
from weiquan.services import packages
from weiquan.web.deps import ApiPrincipal, NowDep, ServicesDep

router = APIRouter(prefix="/api/v1", tags=["evidence"])
_CHUNK = 1 << 20
_IN_MEMORY_UP_TO = 32 << 20  # larger packages spill to a temporary file


@router.get(
    "/cases/{case_id}/package",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/zip": {}}}},
)
def download_package(
    case_id: str, request: Request, principal: ApiPrincipal, svc: ServicesDep, now: NowDep
) -> StreamingResponse:
    """The evidence package of a case, for its parties: files, manifest, history, inclusion
    proofs, the signed checkpoint, the log's key and the certificate PDF. 409 while a record is
    still being written to the log (retry in a few seconds)."""
    settings = request.app.state.context.settings
    holder = request.app.state.log_holder
    holder.publish()  # in a single-process deployment, seal what is pending right now
    log = holder.get()
    keys = KeyStore(settings.key_dir, name=settings.log_origin)
    spool = tempfile.SpooledTemporaryFile(max_size=_IN_MEMORY_UP_TO)  # noqa: SIM115 - closed by body()
    try:
        number = packages.write_package(
            svc,
            case_id,
            spool,
            principal=principal,
            proofs=LogProofSource.from_key_store(log, keys),
            render_certificate=render_evidence_certificate,
            now=now,
        )
    except BaseException:
        spool.close()
        raise
    size = spool.tell()
    spool.seek(0)

    def body() -> Iterator[bytes]:
        with spool:
            while chunk := spool.read(_CHUNK):
                yield chunk

    filename = f"证据包-{number}.zip"
    headers = {
        "Content-Disposition": "attachment; filename*=UTF-8''" + quote(filename, safe=""),
        "Content-Length": str(size),
        "X-Content-Type-Options": "nosniff",
    }
    return StreamingResponse(body(), media_type="application/zip", headers=headers)
