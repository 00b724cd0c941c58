"""What every page module shares: the template environment, rendering, and how dates read."""

from __future__ import annotations

import math
from datetime import date, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from weiquan.bootstrap import region_label
from weiquan.domain.accounts import Principal, Role
from weiquan.domain.calendar import CHINA_TZ, last_day_of
from weiquan.domain.errors import DomainError, NotAuthenticated, NotFound
from weiquan.domain.money import format_fen
from weiquan.web import labels
from weiquan.web.i18n import HTML_LANG, current_locale, gettext, ngettext
from weiquan.web.messages import page_message
from weiquan.web.sessions import csrf_token

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
templates = Jinja2Templates(directory=TEMPLATES)
templates.env.add_extension("jinja2.ext.i18n")
templates.env.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]


def beijing_time(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    local = moment.astimezone(CHINA_TZ)
    if current_locale() == "en":
        return local.strftime("%d %b %Y %H:%M")
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def beijing_date(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    local = moment.astimezone(CHINA_TZ)
    if current_locale() == "en":
        return local.strftime("%d %b %Y")
    return f"{local.year}年{local.month}月{local.day}日"


def _due_date_and_time(due: datetime) -> tuple[date, str]:
    """民法典 Art 203: a period ends at 24:00, shown on its own day rather than as next 00:00."""
    local = due.astimezone(CHINA_TZ)
    day = last_day_of(due)
    return day, "24:00" if day != local.date() else f"{local:%H:%M}"


def deadline_date(due: datetime | None) -> str:
    """A deadline's date alone, the same day ``deadline_text`` and the documents show."""
    if due is None:
        return "—"
    day = last_day_of(due)
    if current_locale() == "en":
        return day.strftime("%d %b %Y")
    return f"{day.year}年{day.month}月{day.day}日"


def deadline_text(due: datetime | None, now: datetime) -> str:
    """'11月30日 24:00 截止（还剩 3 天）' in Beijing time, or how long it is overdue."""
    if due is None:
        return ""
    day, clock = _due_date_and_time(due)
    if current_locale() == "en":
        when = gettext("%(month)s月%(day)s日 %(time)s 截止") % {
            "month": day.strftime("%b"),
            "day": day.day,
            "time": clock,
        }
    else:
        when = f"{day.month}月{day.day}日 {clock} 截止"
    if current_locale() == "en":
        return f"{when} ({remaining_text(due, now)})"
    return f"{when}（{remaining_text(due, now)}）"


def remaining_text(due: datetime, now: datetime) -> str:
    seconds = (due - now).total_seconds()
    if seconds <= 0:
        days = math.floor(-seconds / 86400)
        if days < 1:
            return gettext("已逾期")
        return ngettext("已逾期 %(num)s 天", "已逾期 %(num)s 天", days) % {"num": days}
    if seconds < 86400:
        hours = max(1, math.ceil(seconds / 3600))
        return ngettext("还剩 %(num)s 小时", "还剩 %(num)s 小时", hours) % {"num": hours}
    days = math.ceil(seconds / 86400)
    return ngettext("还剩 %(num)s 天", "还剩 %(num)s 天", days) % {"num": days}


def mask_phone(phone: str | None) -> str:
    if not phone:
        return "—"
    return phone[:3] + "*" * max(len(phone) - 7, 0) + phone[-4:] if len(phone) > 7 else "****"


templates.env.globals.update(
    csrf_token=csrf_token,
    format_fen=format_fen,
    beijing_time=beijing_time,
    beijing_date=beijing_date,
    deadline_date=deadline_date,
    deadline_text=deadline_text,
    mask_phone=mask_phone,
    region_label=region_label,
    status_label=lambda s: labels.label(labels.STATUS, s),  # type: ignore[arg-type]
    action_label=lambda a: labels.label(labels.ACTION, a),  # type: ignore[arg-type]
    category_label=lambda c: labels.label(labels.CATEGORY, c),  # type: ignore[arg-type]
    claim_label=lambda k: labels.label(labels.CLAIM, k),  # type: ignore[arg-type]
    role_label=lambda r: labels.label(labels.ROLE, r),  # type: ignore[arg-type]
    audience_label=lambda a: labels.label(labels.AUDIENCE, a),  # type: ignore[arg-type]
    channel_label=lambda c: labels.label(labels.CHANNEL, c),  # type: ignore[arg-type]
    notice_state_label=lambda s: labels.label(labels.NOTICE_STATE, s),  # type: ignore[arg-type]
    event_reason=labels.event_reason,
    current_locale=current_locale,
    html_lang=lambda: HTML_LANG[current_locale()],
)


def form_error(exc: DomainError, *, default_field: str = "") -> dict[str, str]:
    """The error a form shows in place, by field. "Not found" is no form error: it propagates
    to the error page, so a page never hints that someone else's record exists."""
    if exc.http_status == 404:
        raise exc
    return {"field": exc.field or default_field, "message": page_message(exc)}


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def render(
    request: Request,
    name: str,
    principal: Principal | None,
    status_code: int = 200,
    **context: Any,
) -> Response:
    return templates.TemplateResponse(
        request, name, {"principal": principal, **context}, status_code=status_code
    )


def redirect(url: str) -> Response:
    return RedirectResponse(url, status_code=303)


def require_login(principal: Principal | None) -> Principal:
    if principal is None:
        raise NotAuthenticated(gettext("请先登录"))
    return principal


def require_role(principal: Principal | None, *roles: Role) -> Principal:
    """Pages for another role answer 'not found', like cases one may not see."""
    who = require_login(principal)
    if who.role not in roles and who.role is not Role.ADMIN:
        raise NotFound(gettext("找不到该页面"))
    return who
