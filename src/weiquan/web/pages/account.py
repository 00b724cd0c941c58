"""'My data': what the platform holds about a person, shown and exported."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from weiquan.domain.accounts import Principal, Role
from weiquan.domain.errors import NotAuthenticated, PermissionDenied
from weiquan.services import accounts, privacy
from weiquan.services import cases as case_service
from weiquan.services.context import Services
from weiquan.web.deps import NowDep, PagePrincipal, ServicesDep
from weiquan.web.messages import page_message
from weiquan.web.pages.common import render, require_login
from weiquan.web.security import require_csrf

router = APIRouter(include_in_schema=False)


def _data_page(
    request: Request, svc: Services, who: Principal, *, status_code: int = 200, **extra: Any
) -> Response:
    user = accounts.my_data(svc, principal=who)
    cases, total = (
        case_service.list_cases(svc, principal=who, limit=200)
        if who.role.value != "operator"
        else ([], 0)
    )
    context = {"erase_error": None, "may_erase": who.role is Role.CONSUMER, **extra}
    return render(
        request,
        "account/data.html",
        who,
        status_code=status_code,
        user=user,
        cases=cases,
        total=total,
        **context,
    )


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
    request.session.clear()
    return render(request, "account/erased.html", None)


@router.get("/account/data.json")
def export_my_data(principal: PagePrincipal, svc: ServicesDep) -> Response:
    who = require_login(principal)
    user = accounts.my_data(svc, principal=who)
    cases, _ = (
        case_service.list_cases(svc, principal=who, limit=200)
        if who.role.value != "operator"
        else ([], 0)
    )
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
