"""The transparency log, read-only, as C2SP tlog-tiles: anyone can mirror and audit it.

    GET /log/checkpoint                  the signed checkpoint (text/plain; changes as it grows)
    GET /log/key                         the public key that signs checkpoints now
    GET /log/keys                        every public key the log has used, active first: a
                                         key file for `weiquan verify --key` before and after
                                         a rotation
    GET /log/tile/<L>/<N>[.p/<W>]        Merkle tree tiles (application/octet-stream)
    GET /log/tile/entries/<N>[.p/<W>]    entry bundles

Full tiles never change and are cached for a year; partial tiles are immutable too but are
superseded as the tree grows, so they are cached briefly.  Anything beyond the tree is a 404.
"""

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Response

from weiquan.adapters.tlog import TransparencyLog
from weiquan.adapters.tlog.keys import PublishedKey
from weiquan.domain.errors import NotFound, ValidationFailed
from weiquan.domain.tlog import parse_tile_path

CHECKPOINT_CACHE = "no-cache"
FULL_TILE_CACHE = "public, max-age=31536000, immutable"
PARTIAL_TILE_CACHE = "public, max-age=60"


def build_tlog_router(
    get_log: Callable[[], TransparencyLog],
    get_keys: Callable[[], list[PublishedKey]] = list,
) -> APIRouter:
    router = APIRouter(prefix="/log", tags=["transparency log"])
    LogDep = Annotated[TransparencyLog, Depends(get_log)]  # noqa: N806 - a type alias

    @router.get("/key")
    def key() -> Response:
        """The log's current public key: checkpoints are signed with it."""
        active = [k for k in get_keys() if k.active]
        if not active:
            return Response("no signing key yet\n", status_code=404, media_type="text/plain")
        return _key_file(active[0].text + "\n", "weiquan-log-key.vkey")

    @router.get("/keys")
    def keys() -> Response:
        """Every public key the log has used, the active one first, one per line, with when
        each was made: packages from before a key rotation verify against this file too."""
        published = get_keys()
        if not published:
            return Response("no signing key yet\n", status_code=404, media_type="text/plain")
        lines = [
            f"# {k.key_id} {'active' if k.active else 'retired'} since {k.since:%Y-%m-%d}\n"
            f"{k.text}\n"
            for k in published
        ]
        return _key_file("".join(lines), "weiquan-log-keys.txt")

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


def _key_file(body: str, filename: str) -> Response:
    return Response(
        body,
        media_type="text/plain; charset=utf-8",
        headers={
            "Cache-Control": CHECKPOINT_CACHE,
            "Content-Disposition": f'attachment; filename="{filename}"',
        },
    )
