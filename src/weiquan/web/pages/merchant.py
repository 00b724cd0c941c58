"""The merchant's inbox: complaints against its shops, soonest deadline first."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from weiquan.domain.accounts import Role
from weiquan.services import views
from weiquan.web.deps import NowDep, PagePrincipal, ServicesDep
from weiquan.web.pages.cases import list_context, list_page
from weiquan.web.pages.common import render, require_role
from weiquan.web.pages.grade_text import grade_text

router = APIRouter(include_in_schema=False)


@router.get("/merchant/inbox")
def inbox(request: Request, principal: PagePrincipal, svc: ServicesDep, now: NowDep) -> Response:
    who = require_role(principal, Role.MERCHANT)
    context = list_context(svc, list_page(request, svc, who))
    grade = views.merchant_profile(svc, who.merchant_id).grade.grade if who.merchant_id else None
    if grade is None:  # an admin looking at the inbox has no shop of their own
        return render(request, "merchant/inbox.html", who, now=now, grade=None, **context)
    shown = grade_text(grade)
    return render(
        request, "merchant/inbox.html", who, now=now, grade=grade, grade_text=shown, **context
    )
