"""/api/v1 evidence packages: the whole case record as a zip that `weiquan verify` checks offline."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterator
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from weiquan.adapters.pdf import render_evidence_certificate
from weiquan.adapters.tlog.keys import KeyStore
from weiquan.adapters.tlog.proof_source import LogProofSource
from weiquan.domain.errors import NotYetSealed
from weiquan.services import packages
from weiquan.web.deps import ApiPrincipal, NowDep, ServicesDep

router = APIRouter(prefix="/api/v1", tags=["evidence"])
_CHUNK = 1 << 20
_IN_MEMORY_UP_TO = 32 << 20  # larger packages spill to a temporary file
# The worker seals new records every WEIQUAN_LOG_INTERVAL_SECONDS (1 s by default).
SEALING_WAIT_SECONDS = 5.0


def _when_sealed(write: Callable[[], str]) -> str:
    """Runs ``write`` until the case's newest records are in the log, for a few seconds at most
    (this runs on a worker thread, so the event loop goes on meanwhile)."""
    give_up_at = time.monotonic() + SEALING_WAIT_SECONDS
    while True:
        try:
            return write()
        except NotYetSealed:
            if time.monotonic() >= give_up_at:
                raise
            time.sleep(0.2)


@router.get(
    "/cases/{case_id}/package",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/zip": {}}}},
)
def download_package(
    case_id: str, request: Request, principal: ApiPrincipal, svc: ServicesDep, now: NowDep
) -> StreamingResponse:
    """The evidence package of a case, for its parties: files, manifest, history, inclusion
    proofs, the signed checkpoint, the log's key and the certificate PDF. A record written a
    moment ago is waited for while the worker seals it (about a second); 409 if that takes
    longer than a few seconds (retry)."""
    settings = request.app.state.context.settings
    log = request.app.state.log_holder.get()
    keys = KeyStore(settings.key_dir, name=settings.log_origin)
    spool = tempfile.SpooledTemporaryFile(max_size=_IN_MEMORY_UP_TO)  # noqa: SIM115 - closed by body()
    proofs = LogProofSource.from_key_store(log, keys)
    try:
        number = _when_sealed(
            lambda: packages.write_package(
                svc,
                case_id,
                spool,
                principal=principal,
                proofs=proofs,
                render_certificate=render_evidence_certificate,
                now=now,
            )
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
