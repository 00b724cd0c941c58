"""Throttles on what anyone may send without an account (a 举报 report, evidence for it).

A layer beneath the app rather than a route dependency: a refused upload is answered before a
byte of its body is read. The match is one dictionary lookup on method and path, so other
requests (complaint intake above all) pay nothing for it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from weiquan.domain.throttle import ANONYMOUS_REPORT, ANONYMOUS_UPLOAD, Refused
from weiquan.services import throttling
from weiquan.services.context import Services
from weiquan.web.deps import clock_of
from weiquan.web.sessions import client_address

ANONYMOUS_ROUTES: Mapping[tuple[str, str], str] = {
    ("POST", "/api/v1/reports"): ANONYMOUS_REPORT,
    ("POST", "/api/v1/trust-evidence"): ANONYMOUS_UPLOAD,
}


class AnonymousThrottle:
    def __init__(self, app: ASGIApp, routes: Mapping[tuple[str, str], str] = ANONYMOUS_ROUTES):
        self.app = app
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        rule = (
            self.routes.get((scope["method"], scope["path"])) if scope["type"] == "http" else None
        )
        if rule is not None and not _has_authorization(scope):
            svc: Services = scope["app"].state.context.services
            now = clock_of(scope["app"])()
            try:
                await run_in_threadpool(throttling.admit, svc, rule, client_address(scope), now=now)
            except Refused as refused:
                await _refuse(send, refused)
                return
        await self.app(scope, receive, send)


def _has_authorization(scope: Scope) -> bool:
    """Signed-in callers are throttled as accounts elsewhere; a bad token is refused by the route."""
    return any(name == b"authorization" for name, _ in scope["headers"])


async def _refuse(send: Send, refused: Refused) -> None:
    body = json.dumps(refused.as_dict(), ensure_ascii=False).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 429,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", str(refused.retry_after_seconds).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
