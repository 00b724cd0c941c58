"""/api/v1/calendar: deadline arithmetic on the working-day calendar, for people and pages."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from weiquan.domain.calendar import add_calendar_days, add_working_days, end_of_day
from weiquan.domain.errors import ValidationFailed
from weiquan.web.deps import ServicesDep

router = APIRouter(prefix="/api/v1/calendar", tags=["calendar"])


@router.get("/deadline")
def deadline(
    svc: ServicesDep,
    start: Annotated[date, Query(description="the day of the event (not counted)")],
    working_days: Annotated[int | None, Query(ge=0, le=366)] = None,
    calendar_days: Annotated[int | None, Query(ge=0, le=3660)] = None,
) -> dict[str, str | int]:
    """The last day of a period (民法典 Art 201–203), ending at 24:00 Beijing time.

    Dates the holiday calendar does not cover are refused (HTTP 422), never guessed.
    """
    if (working_days is None) == (calendar_days is None):
        raise ValidationFailed(
            "请只给出 working_days 或 calendar_days 其中之一", field="working_days"
        )
    if working_days is not None:
        due = add_working_days(start, working_days, svc.calendar)
    else:
        assert calendar_days is not None
        due = add_calendar_days(start, calendar_days, svc.calendar)
    first, last = svc.calendar.covered_years()
    return {
        "start": start.isoformat(),
        "due_date": due.isoformat(),
        "due_at": end_of_day(due).isoformat(),
        "calendar_covers": f"{first}-{last}",
    }
