"""The transparency log, read-only, as C2SP tlog-tiles: anyone can mirror and audit it.

    GET /log/checkpoint                  the signed checkpoint (text/plain; changes as it grows)
    GET /log/tile/<L>/<N>[.p/<W>]        Merkle tree tiles (application/octet-stream)
    GET /log/tile/entries/<N>[.p/<W>]    entry bundles

Full tiles never change and are cached for a year; partial tiles are immutable too but are
superseded as the tree grows, so they are cached briefly.  Anything beyond the tree is a 404.
"""

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Response

from weiquan.adapters.tlog import TransparencyLog
from weiquan.domain.errors import NotFound, ValidationFailed
from weiquan.domain.tlog import parse_tile_path

CHECKPOINT_CACHE = "no-cache"
FULL_TILE_CACHE = "public, max-age=31536000, immutable"
PARTIAL_TILE_CACHE = "public, max-age=60"


def build_tlog_router(get_log: Callable[[], TransparencyLog]) -> APIRouter:
    router = APIRouter(prefix="/log", tags=["transparency log"])
    LogDep = Annotated[TransparencyLog, Depends(get_log)]  # noqa: N806 - a type alias

    @router.get("/checkpoint")
    def checkpoint(log: LogDep) -> Response:
        return Response(
            log.checkpoint(),
            media_type="text/plain; charset=utf-8",
            headers={"Cache-Control": CHECKPOINT_CACHE},
        )

    @router.get("/tile/{tile_path:path}")
    def tile(tile_path: str, log: LogDep) -> Response:
        try:
            ref = parse_tile_path(f"tile/{tile_path}")
            if ref.level is None:
                body = log.read_entry_bundle(ref.index, ref.width)
            else:
                body = log.read_tile(ref.level, ref.index, ref.width)
        except (NotFound, ValidationFailed) as error:
            return Response(error.message, status_code=404, media_type="text/plain")
        cache = PARTIAL_TILE_CACHE if ref.is_partial else FULL_TILE_CACHE
        return Response(
            body, media_type="application/octet-stream", headers={"Cache-Control": cache}
        )

    return router
