"""Posts webhook deliveries over HTTP(S) with httpx, timing each."""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx


@dataclass(frozen=True)
class HttpWebhookPoster:
    timeout: float = 10.0

    def post(self, url: str, headers: dict[str, str], body: bytes) -> tuple[int | None, int]:
        started = time.perf_counter()
        try:
            # No redirects: a receiver's 3xx is an answer to fix, not a place to send the body.
            status: int | None = httpx.post(
                url, headers=headers, content=body, timeout=self.timeout, follow_redirects=False
            ).status_code
        except httpx.HTTPError:
            status = None
        return status, round((time.perf_counter() - started) * 1000)
