"""The regulator's view: cases referred to its region (GB/T 2260), with an export."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response

from weiquan.domain.accounts import Principal, Role
from weiquan.domain.calendar import WorkdayCalendar, add_working_days, china_date, end_of_day
from weiquan.domain.cases import Case
from weiquan.domain.errors import CalendarOutOfRange, PermissionDenied
from weiquan.domain.lifecycle import CaseStatus
from weiquan.services import cases as case_service
from weiquan.services import views
from weiquan.web.deps import NowDep, PagePrincipal, ServicesDep
from weiquan.web.i18n import gettext, n_
from weiquan.web.labels import CATEGORY, STATUS, label
from weiquan.web.pages.cases import list_context, list_page
from weiquan.web.pages.common import beijing_time, render, require_role

router = APIRouter(include_in_schema=False)
CHECK_WORKING_DAYS = 15  # 暂行办法 Art 31; extendable by 15 more with approval


@router.get("/regulator/referrals")
def referrals(
    request: Request, principal: PagePrincipal, svc: ServicesDep, now: NowDep
) -> Response:
    who = _with_region(principal)
    page = list_page(request, svc, who)
    context = list_context(svc, page)
    clocks = {case.id: statutory_clock(case, svc.calendar) for case in page.cases}
    context["next_deadline"] = lambda case: clocks.get(case.id)
    return render(request, "regulator/referrals.html", who, now=now, **context)


def _with_region(principal: Principal | None) -> Principal:
    """These pages list one region's referrals: an account without a region (an admin) is told
    so rather than shown every case in the country."""
    who = require_role(principal, Role.REGULATOR)
    if not who.region_code:
        raise PermissionDenied(
            gettext("本页列出移交到某一辖区的案件，您的账户未设置辖区（地区代码），无法显示。")
        )
    return who


def statutory_clock(case: Case, calendar: WorkdayCalendar) -> datetime | None:
    """暂行办法 Art 31: a referred clue is checked and a decision taken within 15 working days.

    The referral's own day is the last update of a case still in the referred state.
    """
    if case.status is not CaseStatus.REFERRED or case.updated_at is None:
        return None
    try:
        return end_of_day(
            add_working_days(china_date(case.updated_at), CHECK_WORKING_DAYS, calendar)
        )
    except CalendarOutOfRange:
        return None


@router.get("/regulator/referrals.csv")
def export(principal: PagePrincipal, svc: ServicesDep) -> Response:
    who = _with_region(principal)
    cases = case_service.all_cases(svc, principal=who)
    shops = views.shop_names(svc, cases)
    out = io.StringIO()
    writer = csv.writer(out)
    header = (
        n_("案件编号"),
        n_("店铺"),
        n_("类别"),
        n_("状态"),
        n_("地区代码"),
        n_("提交时间"),
        n_("更新时间"),
    )
    writer.writerow([gettext(h) for h in header])
    for case in cases:
        writer.writerow(
            [
                case.number,
                shops.get(case.shop_id, ""),
                label(CATEGORY, case.category),  # type: ignore[arg-type]
                label(STATUS, case.status),  # type: ignore[arg-type]
                case.region_code,
                beijing_time(case.submitted_at),
                beijing_time(case.updated_at),
            ]
        )
    # A byte-order mark so spreadsheet programs read the Chinese text as UTF-8.
    return Response(
        "\ufeff" + out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="referrals.csv"'},
    )
