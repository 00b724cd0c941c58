"""The rules engine's findings for a filed case, shown to the parties and the mediator."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from weiquan.domain.calendar import WorkdayCalendar, china_date
from weiquan.domain.cases import Case, Purpose
from weiquan.domain.errors import DomainError
from weiquan.services.rules import assess_facts
from weiquan.web.messages import findings_error
from weiquan.web.pages.complaint_form import PROBLEM_OF_CATEGORY


def case_facts(case: Case, now: datetime) -> dict[str, Any]:
    facts: dict[str, Any] = {"today": china_date(now).isoformat(), "channel": "online"}
    facts["purpose"] = "business" if case.purpose is Purpose.BUSINESS else "personal"
    problem = PROBLEM_OF_CATEGORY.get(case.category)
    if problem:
        facts["problem"] = problem
    order = case.order
    if order and order.amount_paid_fen is not None:
        facts["price_paid_fen"] = order.amount_paid_fen
    if order and order.signed_at and order.signed_at <= now:
        facts["signed_at"] = china_date(order.signed_at).isoformat()
    if case.noticed_on and case.noticed_on <= china_date(now):
        facts["knew_of_harm_at"] = case.noticed_on.isoformat()
    if case.handled_elsewhere:
        facts["handled_elsewhere"] = True
    return facts


def case_findings(case: Case, now: datetime, calendar: WorkdayCalendar) -> dict[str, Any]:
    """{"result": engine output} or {"error": why there is none}, as the findings panel shows."""
    try:
        return {"result": assess_facts(case_facts(case, now), calendar=calendar), "error": None}
    except DomainError as exc:
        return {"result": None, "error": findings_error(exc)}
