"""The mediator's queue: unassigned cases in mediation and one's own, soonest deadline first."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from weiquan.domain.accounts import Role
from weiquan.services.ports import MediatorPart
from weiquan.web.deps import NowDep, PagePrincipal, ServicesDep
from weiquan.web.pages.cases import list_context, list_page
from weiquan.web.pages.common import render, require_role

router = APIRouter(include_in_schema=False)


@router.get("/mediator/queue")
def queue(request: Request, principal: PagePrincipal, svc: ServicesDep, now: NowDep) -> Response:
    who = require_role(principal, Role.MEDIATOR)
    # Two lists, each paged on its own: the mediator's cases and the unassigned queue.
    mine = list_page(request, svc, who, param="mine", part=MediatorPart.MINE)
    waiting = list_page(request, svc, who, param="waiting", part=MediatorPart.WAITING)
    context = list_context(svc, mine)
    return render(
        request, "mediator/queue.html", who, now=now, waiting=list_context(svc, waiting), **context
    )
