"""``/api/v1/notifications``: a person's in-app notices, in the language they ask for."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from weiquan.services import notifications
from weiquan.web.deps import ApiPrincipal, NowDep, ServicesDep

router = APIRouter(prefix="/api/v1", tags=["notifications"])


class MarkRead(BaseModel):
    """The notices to mark read; none given marks them all."""

    ids: list[Annotated[str, Field(max_length=36)]] | None = Field(default=None, max_length=200)


@router.get("/notifications")
async def list_notifications(
    principal: ApiPrincipal,
    svc: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000, description="at most 10,000")] = 0,
    lang: Literal["zh_CN", "en"] = "zh_CN",
) -> dict[str, Any]:
    """The caller's in-app notices, newest first, each naming its case, what happened and what
    to do by when; ``unread`` counts those not yet marked read."""
    items, unread = await run_in_threadpool(
        notifications.inbox, svc, principal=principal, language=lang, limit=limit, offset=offset
    )
    return {
        "unread": unread,
        "items": [
            {
                "id": i.notice.id,
                "kind": i.notice.kind.value,
                "statutory": i.notice.statutory,
                "case_id": i.notice.case_id,
                "case_number": i.notice.case_number,
                "subject": i.rendered.subject,
                "headline": i.rendered.headline,
                "todo": i.rendered.todo,
                "due_at": i.notice.params.get("due_at"),
                "created_at": i.notice.created_at.isoformat(),
                "read_at": i.notice.read_at.isoformat() if i.notice.read_at else None,
            }
            for i in items
        ],
    }


@router.post("/notifications/read")
async def mark_notifications_read(
    body: MarkRead, principal: ApiPrincipal, svc: ServicesDep, now: NowDep
) -> dict[str, int]:
    """Marks the caller's notices read; ids of someone else's notices match nothing."""
    marked = await run_in_threadpool(
        notifications.mark_read, svc, principal=principal, notice_ids=body.ids, now=now
    )
    return {"marked": marked}
