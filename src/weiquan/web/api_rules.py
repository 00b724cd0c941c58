"""`POST /api/v1/assess` and the law guide's `GET /api/v1/law/articles` endpoints.

The assess body is read raw, not through a Pydantic model, so that the domain parser alone decides
what is valid and names the offending field (unknown fields included).
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from weiquan.adapters.holiday_calendar import load_calendar
from weiquan.adapters.statutes import statute_book
from weiquan.domain.calendar import WorkdayCalendar
from weiquan.domain.errors import DomainError, ValidationFailed
from weiquan.domain.rules import MemoisedCalendar
from weiquan.services import rules as rules_service
from weiquan.services.rules import assess_facts

router = APIRouter(tags=["rules"])


@lru_cache(maxsize=1)
def _packaged_calendar() -> WorkdayCalendar:
    return load_calendar()


# One memo per wired calendar for the life of the process. Calendars are mutable dataclasses
# (unhashable), so they are keyed by identity and kept alive here so that no id is reused.
_MEMOS: dict[int, tuple[WorkdayCalendar, MemoisedCalendar]] = {}


def _memoised(calendar: WorkdayCalendar) -> MemoisedCalendar:
    if isinstance(calendar, MemoisedCalendar):  # the bootstrap already wraps the app's calendar
        return calendar
    entry = _MEMOS.get(id(calendar))
    if entry is None:
        entry = _MEMOS[id(calendar)] = (calendar, MemoisedCalendar(calendar))
    return entry[1]


def rules_calendar(request: Request) -> WorkdayCalendar:
    """The app's configured calendar when the full app is wired, else the packaged one, memoised
    either way (chinese-calendar lookups would otherwise dominate an assessment)."""
    context = getattr(request.app.state, "context", None)
    services = getattr(context, "services", None)
    calendar: WorkdayCalendar | None = getattr(services, "calendar", None)
    return _memoised(calendar if calendar is not None else _packaged_calendar())


CalendarDep = Annotated[WorkdayCalendar, Depends(rules_calendar)]


def _error(exc: DomainError) -> JSONResponse:
    body = {"error": exc.code, "message": exc.message, "field": exc.field}
    return JSONResponse(body, status_code=exc.http_status)


def _json_body(raw: bytes) -> Any:
    """The parsed body; invalid or absurdly nested JSON (which would exhaust the parser's
    recursion) is a 422 naming the body."""
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ValidationFailed(
            "请求体不是有效的 JSON / the body is not valid JSON", field="body"
        ) from None
    except RecursionError:
        raise ValidationFailed(
            "请求体嵌套层次过深 / the body's JSON is nested too deeply", field="body"
        ) from None


@router.post("/api/v1/assess")
async def assess(request: Request, calendar: CalendarDep) -> JSONResponse:
    """Findings for the facts in the body (schema: docs/rules.md)."""
    try:
        facts = _json_body(await request.body())
        return JSONResponse(assess_facts(facts, calendar=calendar))
    except DomainError as exc:
        return _error(exc)


@router.post("/api/v1/assess/claims")
async def assess_claims(request: Request, calendar: CalendarDep) -> JSONResponse:
    """The findings for `facts`, and for each of `claims` whether the law supports it, up to
    what amount and why — an excessive claim is explained before it is filed."""
    try:
        body = _json_body(await request.body())
        return JSONResponse(rules_service.assess_claims(body, calendar=calendar))
    except DomainError as exc:
        return _error(exc)


@router.get("/api/v1/law/articles")
def search_articles(
    q: Annotated[str, Query(max_length=200, description="Words; Simplified or Traditional")] = "",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    found = statute_book().search(q, limit=limit)
    return {"query": q, "count": len(found), "articles": [a.to_dict() for a in found]}


@router.get("/api/v1/law/articles/{law}/{article}")
def get_article(law: str, article: str) -> JSONResponse:
    try:
        return JSONResponse(statute_book().get(law, article).to_dict())
    except DomainError as exc:
        return _error(exc)
