"""Server-side sessions for the pages: the cookie carries a random id and nothing else.

The database keeps the rest (who signed in, from which device, when last seen, what the pages
keep between requests) under the id's SHA-256, so logging out, changing the password, erasure or
"end this session" on the account page end a session for good, cookie copies included.

A visitor who has not signed in has an id too (for the CSRF token of the sign-in form, derived
from it) but no row: looking at pages writes nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import secrets
from dataclasses import dataclass, field
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from weiquan.adapters.crypto import token_digest
from weiquan.services import sessions
from weiquan.services.context import Services
from weiquan.services.ports import SessionRecord
from weiquan.web.deps import clock_of

COOKIE = "wq_session"
SCOPE_KEY = "weiquan.session"
# Programs (the API, log tiles, health, files) authenticate otherwise and never need a session.
_WITHOUT_SESSION = ("/api/", "/static/", "/log/", "/healthz", "/openapi.json")


@dataclass
class BrowserSession:
    """This request's session: the cookie's id, the live session behind it (if signed in), and
    what the response must do to the cookie."""

    raw_id: str | None
    record: SessionRecord | None
    saved_data: dict[str, Any] = field(default_factory=dict)
    set_cookie: bool = False
    drop_cookie: bool = False

    @property
    def user_id(self) -> str | None:
        return self.record.user_id if self.record is not None else None

    @property
    def digest(self) -> str | None:
        return token_digest(self.raw_id) if self.raw_id else None

    def ensure_id(self) -> str:
        if self.raw_id is None:
            self.raw_id = new_session_id()
            self.set_cookie = True
        return self.raw_id


def new_session_id() -> str:
    return secrets.token_urlsafe(32)


def browser_session(request: HTTPConnection) -> BrowserSession:
    handle = request.scope.get(SCOPE_KEY)
    if not isinstance(handle, BrowserSession):  # a route without sessions (API, files)
        handle = BrowserSession(raw_id=None, record=None)
        request.scope[SCOPE_KEY] = handle
    return handle


def session_user_id(request: HTTPConnection) -> str | None:
    return browser_session(request).user_id


def client_address(scope: Scope) -> str:
    """The caller's address as the server sees it (uvicorn applies trusted proxies' headers)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def mask_address(address: str | None) -> str:
    """Enough to recognise one's own network, not enough to locate anyone: 203.0.113.*"""
    if not address:
        return "—"
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return "—"
    if parsed.version == 4:
        return ".".join(address.split(".")[:3]) + ".*"
    return ":".join(parsed.exploded.split(":")[:3]) + ":*"


def device_label(user_agent: str) -> str:
    """ "Chrome 120 · Windows 10" from the User-Agent header (ua-parser's rules); "" if unknown."""
    from ua_parser import parse  # noqa: PLC0415 - its rules load on first use, at a sign-in

    result = parse(user_agent[:1000])
    parts = []
    if result.user_agent is not None and result.user_agent.family != "Other":
        parts.append(f"{result.user_agent.family} {result.user_agent.major or ''}".strip())
    if result.os is not None and result.os.family != "Other":
        parts.append(f"{result.os.family} {result.os.major or ''}".strip())
    return " · ".join(parts)[:120]


def csrf_token(request: Request) -> str:
    """The form token of this browser: a keyed digest of its session id (nothing to store)."""
    secret = request.app.state.context.settings.secret_key.encode()
    raw_id = browser_session(request).ensure_id()
    digest = hmac.new(secret, f"csrf\0{raw_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def begin(request: Request, svc: Services, *, user_id: str) -> None:
    """Signs the browser in under a fresh id; the previous session (if any) ends."""
    handle = browser_session(request)
    raw_id = new_session_id()
    handle.record = sessions.start(
        svc,
        user_id=user_id,
        token_hash=token_digest(raw_id),
        device=device_label(request.headers.get("user-agent", "")),
        address=client_address(request.scope),
        now=clock_of(request.app)(),
        replaces=handle.digest,
    )
    handle.raw_id = raw_id
    handle.set_cookie, handle.drop_cookie = True, False
    handle.saved_data = {}
    request.session.clear()


def finish(request: Request, svc: Services) -> None:
    """Logout: the session ends in the database and the cookie is removed."""
    handle = browser_session(request)
    if handle.digest is not None:
        sessions.end_current(svc, token_hash=handle.digest, now=clock_of(request.app)())
    handle.raw_id, handle.record = None, None
    handle.set_cookie, handle.drop_cookie = False, True
    handle.saved_data = {}
    request.session.clear()


class ServerSessionMiddleware:
    """Loads the session behind the cookie into ``scope["session"]`` (Starlette's
    ``request.session``) and writes back what the pages changed before the response starts."""

    def __init__(self, app: ASGIApp, *, secure: bool) -> None:
        self.app = app
        self.secure = secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(_WITHOUT_SESSION):
            await self.app(scope, receive, send)
            return
        svc: Services = scope["app"].state.context.services
        raw_id = HTTPConnection(scope).cookies.get(COOKIE) or None
        record = None
        if raw_id is not None:
            now = clock_of(scope["app"])()
            record = await run_in_threadpool(
                sessions.resume, svc, token_hash=token_digest(raw_id), now=now
            )
        handle = BrowserSession(raw_id, record, dict(record.data) if record else {})
        scope[SCOPE_KEY] = handle
        scope["session"] = dict(handle.saved_data)

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                await self._save(svc, scope, handle)
                headers = MutableHeaders(scope=message)
                if handle.set_cookie and handle.raw_id is not None:
                    headers.append("set-cookie", self._cookie(handle))
                elif handle.drop_cookie:
                    headers.append("set-cookie", self._cookie(handle, expire=True))
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    async def _save(self, svc: Services, scope: Scope, handle: BrowserSession) -> None:
        data: dict[str, Any] = scope.get("session") or {}
        if data == handle.saved_data:
            return
        if handle.record is not None:
            await run_in_threadpool(sessions.save_data, svc, session_id=handle.record.id, data=data)
        else:  # a visitor's first page state: the session row starts now
            raw_id = handle.ensure_id()
            handle.record = await run_in_threadpool(
                lambda: sessions.start(
                    svc,
                    user_id=None,
                    token_hash=token_digest(raw_id),
                    device="",
                    address=None,
                    now=clock_of(scope["app"])(),
                    data=data,
                )
            )
        handle.saved_data = dict(data)

    def _cookie(self, handle: BrowserSession, *, expire: bool = False) -> str:
        value = "" if expire else handle.raw_id
        parts = [f"{COOKIE}={value}", "Path=/", "HttpOnly", "SameSite=Lax"]
        if expire:
            parts.append("Max-Age=0")
        elif handle.record is not None:
            parts.append(f"Max-Age={int(sessions.MAX_LIFETIME.total_seconds())}")
        if self.secure:
            parts.append("Secure")
        return "; ".join(parts)
