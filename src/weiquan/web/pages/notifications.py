"""The bell, the notifications page (mark read, link to the case, preferences), the staff list of
failed notices, and the developer outbox (development only)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from weiquan.bootstrap import App
from weiquan.domain.accounts import Principal, Role
from weiquan.domain.errors import DomainError, NotFound
from weiquan.services import notifications
from weiquan.services.context import Services
from weiquan.web.deps import NowDep, PagePrincipal, ServicesDep
from weiquan.web.i18n import current_locale, gettext
from weiquan.web.pages.common import form_error, redirect, render, require_login, require_role
from weiquan.web.pages.public import local_path
from weiquan.web.security import require_csrf

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50


@router.get("/notifications/bell")
def bell(request: Request, principal: PagePrincipal, svc: ServicesDep) -> Response:
    """The bell with the unread count; every page loads it and refreshes it every few seconds."""
    who = require_login(principal)
    unread = notifications.unread_count(svc, principal=who)
    return render(request, "notifications/_bell.html", who, unread=unread)


def _page(
    request: Request, svc: Services, who: Principal, *, status_code: int = 200, **extra: Any
) -> Response:
    raw = request.query_params.get("page", "1")
    page = max(int(raw), 1) if raw.isdigit() and len(raw) < 6 else 1
    items, unread = notifications.inbox(
        svc,
        principal=who,
        language=current_locale(),
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    prefs = notifications.preferences(svc, principal=who)
    context = {"pref_error": None, "saved": request.query_params.get("saved") == "1", **extra}
    return render(
        request,
        "notifications/list.html",
        who,
        status_code=status_code,
        items=items,
        unread=unread,
        page=page,
        more=len(items) == PAGE_SIZE,
        prefs=prefs,
        **context,
    )


@router.get("/notifications")
def notifications_page(request: Request, principal: PagePrincipal, svc: ServicesDep) -> Response:
    return _page(request, svc, require_login(principal))


@router.post("/notifications/read")
async def mark_read(
    request: Request, principal: PagePrincipal, svc: ServicesDep, now: NowDep
) -> Response:
    """Marks one notice read (``id``) or all of them; with ``next``, goes on to the case."""
    who = require_login(principal)
    form = await request.form()
    require_csrf(request, str(form.get("csrf", "")))
    notice_id = str(form.get("id", ""))
    await run_in_threadpool(
        notifications.mark_read,
        svc,
        principal=who,
        notice_ids=[notice_id] if notice_id else None,
        now=now,
    )
    return redirect(local_path(str(form.get("next", "")), "/notifications"))


@router.get("/notifications/preferences")
def preferences_page(principal: PagePrincipal) -> Response:
    require_login(principal)
    return redirect("/notifications#preferences")


@router.post("/notifications/preferences")
async def save_preferences(
    request: Request, principal: PagePrincipal, svc: ServicesDep, now: NowDep
) -> Response:
    who = require_login(principal)
    form = await request.form()
    require_csrf(request, str(form.get("csrf", "")))
    try:
        await run_in_threadpool(
            notifications.set_preferences,
            svc,
            principal=who,
            language=str(form.get("language", "zh_CN")),
            email=str(form.get("email", "")),
            email_enabled=form.get("email_enabled") == "on",
            sms_enabled=form.get("sms_enabled") == "on",
            now=now,
        )
    except DomainError as exc:
        error = form_error(exc, default_field="email")
        return await run_in_threadpool(
            _page, request, svc, who, status_code=422, pref_error=_pref_message(error)
        )
    return redirect("/notifications?saved=1#preferences")


def _pref_message(error: dict[str, str]) -> str:
    # The service words its refusals in Chinese; the page speaks the reader's language.
    if error["field"] == "language":
        return gettext("不支持该语言")
    return gettext("电子邮件地址格式不正确")


@router.get("/notifications/unsubscribe")
def unsubscribe_page(request: Request, principal: PagePrincipal, notice: str = "") -> Response:
    """Where an e-mail's unsubscribe link leads: a button, so that link checkers that follow
    every URL do not unsubscribe anybody."""
    return render(request, "notifications/unsubscribe.html", principal, notice=notice, done=False)


@router.post("/notifications/unsubscribe")
async def unsubscribe(
    request: Request, principal: PagePrincipal, svc: ServicesDep, now: NowDep, notice: str = ""
) -> Response:
    """One-click unsubscription (RFC 8058): mail clients POST here without a session; the
    notice id in the link is the authority, so no CSRF token is asked for."""
    await run_in_threadpool(notifications.unsubscribe, svc, notice[:36], now=now)
    return render(request, "notifications/unsubscribe.html", principal, notice=notice, done=True)


@router.get("/notifications/failed")
def failed_page(request: Request, principal: PagePrincipal, svc: ServicesDep) -> Response:
    who = require_role(principal, Role.MEDIATOR, Role.ADMIN)
    rows = notifications.failed_notices(svc, principal=who)
    return render(request, "notifications/failed.html", who, rows=rows)


@router.post("/notifications/failed/{notice_id}/retry")
async def retry_failed(
    notice_id: str, request: Request, principal: PagePrincipal, svc: ServicesDep, now: NowDep
) -> Response:
    who = require_role(principal, Role.MEDIATOR, Role.ADMIN)
    form = await request.form()
    require_csrf(request, str(form.get("csrf", "")))
    await run_in_threadpool(notifications.retry_notice, svc, notice_id, principal=who, now=now)
    return redirect("/notifications/failed")


@router.get("/dev/outbox")
def dev_outbox(request: Request, principal: PagePrincipal) -> Response:
    """E-mail and SMS as they would have been sent. Development only: 404 elsewhere, since the
    messages carry sign-in codes and personal data."""
    context: App = request.app.state.context
    if context.dev_outbox is None:
        raise NotFound(gettext("找不到该页面"))
    return render(
        request, "notifications/dev_outbox.html", principal, messages=context.dev_outbox.messages()
    )
