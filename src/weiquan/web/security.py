"""CSRF protection for the cookie-authenticated pages: each form carries a token derived from
the browser's session id (:func:`weiquan.web.sessions.csrf_token`), checked on every POST."""

from __future__ import annotations

import hmac

from fastapi import Request

from weiquan.domain.errors import PermissionDenied
from weiquan.web.sessions import browser_session, csrf_token


def require_csrf(request: Request, submitted: str) -> None:
    known_browser = browser_session(request).raw_id is not None
    if not known_browser or not hmac.compare_digest(csrf_token(request), submitted or ""):
        raise PermissionDenied("表单已过期或来源不明，请刷新页面后重试 (CSRF check failed)")
