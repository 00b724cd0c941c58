"""Server-rendered pages, one module per area; ``router`` mounts them all."""

from __future__ import annotations

from fastapi import APIRouter

from weiquan.web.pages import (
    account,
    admin_calendar,
    cases,
    complaints,
    documents,
    dossier,
    evidence,
    loss,
    mediator,
    merchant,
    notifications,
    public,
    regulator,
    trust,
)

router = APIRouter(include_in_schema=False)
for module in (
    public,
    complaints,
    cases,
    documents,
    dossier,
    evidence,
    loss,
    merchant,
    mediator,
    regulator,
    trust,
    account,
    notifications,
    admin_calendar,
):
    router.include_router(module.router)
