"""FastAPI dependencies: the wired services, the clock, and who is asking."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request

from weiquan.adapters.crypto import token_digest
from weiquan.bootstrap import App
from weiquan.domain.accounts import Principal
from weiquan.domain.errors import NotAuthenticated
from weiquan.services import accounts
from weiquan.services.context import Services


def get_app_context(request: Request) -> App:
    context: App = request.app.state.context
    return context


def get_services(request: Request) -> Services:
    return get_app_context(request).services


def get_now() -> datetime:
    """The only clock the web layer reads; tests override this dependency."""
    return datetime.now(UTC)


ServicesDep = Annotated[Services, Depends(get_services)]
NowDep = Annotated[datetime, Depends(get_now)]


def bearer_principal(request: Request, svc: ServicesDep, now: NowDep) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("需要登录：请在 Authorization 头中提供 Bearer 令牌")
    return accounts.principal_for_token(svc, digest=token_digest(token.strip()), now=now)


def session_principal(request: Request, svc: ServicesDep) -> Principal | None:
    user_id = request.session.get("user_id")
    if not isinstance(user_id, str):
        return None
    return accounts.principal_for_user(svc, user_id)


ApiPrincipal = Annotated[Principal, Depends(bearer_principal)]
PagePrincipal = Annotated[Principal | None, Depends(session_principal)]
