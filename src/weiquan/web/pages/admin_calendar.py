"""The holiday calendar page: an admin loads a newly published year, and deadlines left open
for want of it are completed (here at once, by other processes and the worker shortly after)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from weiquan.bootstrap import App, load_holiday_year
from weiquan.domain.accounts import Principal, Role
from weiquan.domain.errors import ValidationFailed
from weiquan.web.deps import PagePrincipal
from weiquan.web.i18n import gettext
from weiquan.web.pages.common import redirect, render, require_role
from weiquan.web.security import require_csrf

router = APIRouter(include_in_schema=False)
MAX_YEAR_FILE = 256 * 1024  # a year's arrangement is a few kilobytes


def _page(request: Request, who: Principal, status_code: int = 200, **extra: Any) -> Response:
    app: App = request.app.state.context
    first, last = app.services.calendar.covered_years()
    context = {"first": first, "last": last, "next_year": last + 1, "error": "", **extra}
    return render(request, "admin/calendar.html", who, status_code=status_code, **context)


@router.get("/admin/calendar")
def calendar_page(request: Request, principal: PagePrincipal) -> Response:
    who = require_role(principal, Role.ADMIN)
    loaded = request.query_params.get("loaded", "")
    return _page(request, who, loaded=loaded if loaded.isdigit() else "")


@router.post("/admin/calendar")
async def load_year(request: Request, principal: PagePrincipal) -> Response:
    who = require_role(principal, Role.ADMIN)
    async with request.form() as form:
        require_csrf(request, str(form.get("csrf", "")))
        upload = form.get("year_file")
        content = await upload.read(MAX_YEAR_FILE + 1) if isinstance(upload, UploadFile) else b""
    if not content:
        return _page(request, who, 422, error=gettext("请选择该年度的节假日安排文件"))
    if len(content) > MAX_YEAR_FILE:
        return _page(request, who, 422, error=gettext("文件太大，不像是一年的节假日安排"))
    try:
        year = await run_in_threadpool(load_holiday_year, request.app.state.context, content)
    except ValidationFailed:
        error = gettext(
            "这个文件不是有效的节假日安排：应为 holiday-cn 格式的 JSON，"
            "含 year 和 days（每天的 date、name、isOffDay），且只含该年度的日期。"
        )
        return _page(request, who, 422, error=error)
    return redirect(f"/admin/calendar?loaded={year}")
