"""'My data': what the platform holds about a person, shown and exported."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from weiquan.domain.accounts import Principal, Role
from weiquan.domain.errors import NotAuthenticated, PermissionDenied, ValidationFailed
from weiquan.domain.throttle import LOGIN_ADDRESS, Refused
from weiquan.services import accounts, privacy, sessions, throttling
from weiquan.services import cases as case_service
from weiquan.services.context import Services
from weiquan.web import sessions as web_sessions
from weiquan.web.deps import NowDep, PagePrincipal, ServicesDep, clock_of
from weiquan.web.errors import refusal_headers
from weiquan.web.messages import page_message
from weiquan.web.pages.common import redirect, render, require_login
from weiquan.web.security import require_csrf
from weiquan.web.sessions import browser_session, client_address, mask_address

router = APIRouter(include_in_schema=False)


def _data_page(
    request: Request,
    svc: Services,
    who: Principal,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    user = accounts.my_data(svc, principal=who)
    current = browser_session(request).record
    signed_in = [
        {
            "id": s.id,
            "device": s.device,
            "address": mask_address(s.address),
            "last_seen_at": s.last_seen_at,
            "current": current is not None and s.id == current.id,
        }
        for s in sessions.list_mine(svc, principal=who, now=clock_of(request.app)())
    ]
    total = case_service.count_cases(svc, principal=who)
    context = {
        "erase_error": None,
        "password_error": None,
        "password_changed": False,
        "may_erase": who.role is Role.CONSUMER,
        "signed_in": signed_in,
        **extra,
    }
    page = render(
        request,
        "account/data.html",
        who,
        status_code=status_code,
        user=user,
        total=total,
        **context,
    )
    page.headers.update(headers or {})
    return page


@router.get("/account/data")
def my_data(request: Request, principal: PagePrincipal, svc: ServicesDep) -> Response:
    return _data_page(request, svc, require_login(principal))


@router.post("/account/erase")
async def erase_my_data(
    request: Request, principal: PagePrincipal, svc: ServicesDep, now: NowDep
) -> Response:
    """Erases the person's contact data and closes the account once the password is re-typed."""
    who = require_login(principal)
    form = await request.form()
    require_csrf(request, str(form.get("csrf", "")))
    password = str(form.get("password", ""))
    try:
        await run_in_threadpool(
            privacy.erase_my_data, svc, principal=who, password=password, now=now
        )
    except (NotAuthenticated, PermissionDenied) as exc:
        return await run_in_threadpool(
            _data_page, request, svc, who, status_code=422, erase_error=page_message(exc)
        )
    await run_in_threadpool(web_sessions.finish, request, svc)
    return render(request, "account/erased.html", None)


@router.post("/account/sessions/{session_id}/end")
async def end_session(
    session_id: str, request: Request, principal: PagePrincipal, svc: ServicesDep, now: NowDep
) -> Response:
    """Ends one of the person's sessions ("not found" for anyone else's); ending the current one
    is signing out."""
    who = require_login(principal)
    form = await request.form()
    require_csrf(request, str(form.get("csrf", "")))
    current = browser_session(request).record
    await run_in_threadpool(sessions.end_mine, svc, principal=who, session_id=session_id, now=now)
    if current is not None and current.id == session_id:
        await run_in_threadpool(web_sessions.finish, request, svc)
        return redirect("/")
    return redirect("/account/data#sessions-title")


@router.post("/account/password")
async def change_password(
    request: Request, principal: PagePrincipal, svc: ServicesDep, now: NowDep
) -> Response:
    """A new password ends every session of the account; this browser is signed in again.
    Re-typing the current password is guessing it too: tries count as sign-ins per address."""
    who = require_login(principal)
    form = await request.form()
    require_csrf(request, str(form.get("csrf", "")))
    try:
        address = client_address(request.scope)
        await run_in_threadpool(throttling.admit, svc, LOGIN_ADDRESS, address, now=now)
        await run_in_threadpool(
            accounts.change_password,
            svc,
            principal=who,
            current=str(form.get("current_password", "")),
            new=str(form.get("new_password", "")),
            now=now,
        )
    except (NotAuthenticated, ValidationFailed, Refused) as exc:
        message = page_message(exc)
        return await run_in_threadpool(
            _data_page,
            request,
            svc,
            who,
            status_code=exc.http_status,
            headers=refusal_headers(exc),
            password_error=message,
        )
    await run_in_threadpool(web_sessions.begin, request, svc, user_id=who.user_id)
    return await run_in_threadpool(_data_page, request, svc, who, password_changed=True)


@router.get("/account/data.json")
def export_my_data(principal: PagePrincipal, svc: ServicesDep) -> Response:
    who = require_login(principal)
    user = accounts.my_data(svc, principal=who)
    cases = case_service.all_cases(svc, principal=who)
    body = {
        "account": {
            "username": user.username,
            "display_name": user.display_name,
            "role": user.role.value,
            "phone": user.phone,
            "id_number": user.id_number,
            "address": user.address,
        },
        "cases": [
            {
                "number": c.number,
                "title": c.title,
                "description": c.description,
                "status": c.status.value,
                "created_at": c.created_at.isoformat(),
            }
            for c in cases
        ],
    }
    return Response(
        json.dumps(body, ensure_ascii=False, indent=2),
        media_type="application/json",
        headers={"Content-Disposition": 'attachment; filename="my-data.json"'},
    )
