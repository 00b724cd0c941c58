"""The mediator's queue: unassigned cases in mediation and one's own, soonest deadline first."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from weiquan.domain.accounts import Role
from weiquan.services import cases as case_service
from weiquan.web.deps import NowDep, PagePrincipal, ServicesDep
from weiquan.web.pages.cases import list_context
from weiquan.web.pages.common import render, require_role

router = APIRouter(include_in_schema=False)


@router.get("/mediator/queue")
def queue(request: Request, principal: PagePrincipal, svc: ServicesDep, now: NowDep) -> Response:
    who = require_role(principal, Role.MEDIATOR)
    cases, _ = case_service.list_cases(svc, principal=who, limit=200)
    unassigned = [c for c in cases if c.mediator_id is None]
    mine = [c for c in cases if c.mediator_id is not None]
    context = list_context(svc, mine)
    waiting = list_context(svc, unassigned)["cases"]
    return render(request, "mediator/queue.html", who, now=now, waiting=waiting, **context)
