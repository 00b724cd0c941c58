"""Reading somebody's log over C2SP tlog-tiles HTTP: the checkpoint, tiles and entry bundles.

Nothing fetched here is trusted: checkpoints are checked against the log's public key and
every proof built from tiles is checked against a signed root.
"""

from __future__ import annotations

import httpx

from weiquan.domain.errors import NotFound
from weiquan.domain.tlog import TileRef

MAX_CHECKPOINT_BYTES = 1 << 16


class HttpTileFetcher:
    """``fetcher(ref)`` returns the bytes of one tile or entry bundle under ``base_url``."""

    def __init__(self, base_url: str, *, client: httpx.Client | None = None) -> None:
        self._base = base_url.rstrip("/")
        self._client = client or httpx.Client(timeout=30.0, follow_redirects=True)

    def checkpoint(self) -> str:
        body = self._get("checkpoint")
        if len(body) > MAX_CHECKPOINT_BYTES:
            raise NotFound("the log's checkpoint is implausibly large")
        return body.decode("utf-8")

    def __call__(self, ref: TileRef) -> bytes:
        return self._get(ref.path())

    def _get(self, path: str) -> bytes:
        url = f"{self._base}/{path}"
        try:
            reply = self._client.get(url)
        except httpx.HTTPError as error:
            raise NotFound(f"could not fetch {url}: {error}") from error
        if reply.status_code != httpx.codes.OK:
            raise NotFound(f"{url} answered HTTP {reply.status_code}")
        return reply.content

    def close(self) -> None:
        self._client.close()
