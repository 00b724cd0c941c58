"""CSRF protection for the cookie-authenticated pages (synchroniser token in the session)."""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request

from weiquan.domain.errors import PermissionDenied


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def require_csrf(request: Request, submitted: str) -> None:
    expected = request.session.get("csrf")
    if not isinstance(expected, str) or not hmac.compare_digest(expected, submitted or ""):
        raise PermissionDenied("表单已过期或来源不明，请刷新页面后重试 (CSRF check failed)")
