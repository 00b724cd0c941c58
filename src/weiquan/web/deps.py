"""FastAPI dependencies: the wired services, the clock, and who is asking."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool

from weiquan.adapters.crypto import token_digest
from weiquan.bootstrap import App
from weiquan.domain.accounts import Principal
from weiquan.domain.errors import NotAuthenticated
from weiquan.services import accounts
from weiquan.services.context import Services


# Dependencies that never block are ``async``: FastAPI runs plain ``def`` ones in the thread pool,
# a hop that costs more than the function itself on every request.
async def get_app_context(request: Request) -> App:
    context: App = request.app.state.context
    return context


async def get_services(request: Request) -> Services:
    context: App = request.app.state.context
    return context.services


Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


def clock_of(app: Starlette) -> Clock:
    """The app's clock: the system's, or the one a test pinned with ``create_app(clock=...)``."""
    clock: Clock = app.state.clock
    return clock


async def get_now(request: Request) -> datetime:
    """The only clock the web layer reads, the app's (see :func:`clock_of`)."""
    return clock_of(request.app)()


ServicesDep = Annotated[Services, Depends(get_services)]
NowDep = Annotated[datetime, Depends(get_now)]


class TokenCache:
    """Recently verified bearer tokens, so a busy client costs one lookup per TTL, not per call.

    A revoked or expired token stays usable for at most ``ttl`` seconds: the price of not hitting
    the database on every request.
    """

    def __init__(self, ttl: float = 30.0, size: int = 10_000) -> None:
        self._ttl = ttl
        self._size = size
        self._entries: dict[str, tuple[float, Principal]] = {}
        self._lock = threading.Lock()

    def get(self, digest: str) -> Principal | None:
        with self._lock:
            entry = self._entries.get(digest)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, digest: str, principal: Principal) -> None:
        with self._lock:
            if len(self._entries) >= self._size:
                self._entries.clear()
            self._entries[digest] = (time.monotonic() + self._ttl, principal)


def bearer_digest(header: str) -> str:
    """The digest of the bearer token in an Authorization header; 401 without one."""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("需要登录：请在 Authorization 头中提供 Bearer 令牌")
    return token_digest(token.strip())


def _look_up_token(app: Starlette, svc: Services, digest: str, now: datetime) -> Principal:
    principal = accounts.principal_for_token(svc, digest=digest, now=now)
    app.state.token_cache.put(digest, principal)
    return principal


def token_cache(request: Request) -> TokenCache:
    cache: TokenCache = request.app.state.token_cache
    return cache


async def principal_for_bearer(app: Starlette, header: str, now: datetime) -> Principal:
    """Who holds the bearer token in this Authorization header, for code that has no Request
    (the intake fast path). A cached token costs no thread hop."""
    digest = bearer_digest(header)
    cache: TokenCache = app.state.token_cache
    cached = cache.get(digest)
    if cached is not None:
        return cached
    services: Services = app.state.context.services
    return await run_in_threadpool(_look_up_token, app, services, digest, now)


def bearer_principal(request: Request, svc: ServicesDep, now: NowDep) -> Principal:
    """Who sent this API request, for code already on a worker thread."""
    digest = bearer_digest(request.headers.get("authorization", ""))
    cached = token_cache(request).get(digest)
    return cached if cached is not None else _look_up_token(request.app, svc, digest, now)


async def api_principal(request: Request, now: NowDep) -> Principal:
    """Who sent this API request. A cached token costs no thread hop; only a lookup in the
    database goes to the thread pool."""
    return await principal_for_bearer(request.app, request.headers.get("authorization", ""), now)


def session_principal(request: Request, svc: ServicesDep) -> Principal | None:
    """Who is signed in to this browser: the live server-side session's account, if active."""
    from weiquan.web.sessions import session_user_id  # noqa: PLC0415 - sessions import this module

    user_id = session_user_id(request)
    return accounts.principal_for_user(svc, user_id) if user_id else None


ApiPrincipal = Annotated[Principal, Depends(api_principal)]
PagePrincipal = Annotated[Principal | None, Depends(session_principal)]
