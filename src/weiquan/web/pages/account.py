"""'My data': what the platform holds about a person, shown and exported."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import Response

from weiquan.services import accounts
from weiquan.services import cases as case_service
from weiquan.web.deps import PagePrincipal, ServicesDep
from weiquan.web.pages.common import render, require_login

router = APIRouter(include_in_schema=False)


@router.get("/account/data")
def my_data(request: Request, principal: PagePrincipal, svc: ServicesDep) -> Response:
    who = require_login(principal)
    user = accounts.my_data(svc, principal=who)
    cases, total = (
        case_service.list_cases(svc, principal=who, limit=200)
        if who.role.value != "operator"
        else ([], 0)
    )
    return render(request, "account/data.html", who, user=user, cases=cases, total=total)


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
