"""A deadline the holiday calendar cannot compute yet, as each person needs to read it.

Parties get a plain sentence and the date already certain (the calendar-day limit, which needs
no holiday data); staff get what to do about it. Nobody gets the calendar's own error text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from weiquan.domain.accounts import Principal, Role
from weiquan.domain.calendar import WorkdayCalendar
from weiquan.domain.cases import Case
from weiquan.domain.lifecycle import CaseStatus
from weiquan.web.i18n import gettext

# The stages with a running clock; in any other the note is left over and means nothing now.
CLOCKED = frozenset(
    {CaseStatus.NEGOTIATION, CaseStatus.MEDIATION, CaseStatus.SETTLED, CaseStatus.AGREEMENT}
)
_STAFF = frozenset({Role.MEDIATOR, Role.ADMIN})


@dataclass(frozen=True, slots=True)
class OpenDeadline:
    sentence: str  # why there is no exact date, in plain words
    bound_at: datetime | None  # the date already certain, if any
    action: str  # what staff can do about it; empty for the parties
    can_load: bool  # whether this person may load the year on the calendar page


def open_deadline(
    case: Case, principal: Principal, calendar: WorkdayCalendar
) -> OpenDeadline | None:
    if not is_open(case):
        return None
    year = calendar.covered_years()[1] + 1
    if principal.role in _STAFF:
        action = gettext(
            "节假日日历还没有 %(year)s 年的放假安排，系统算不出确切期限。"
            "国务院公布后，请管理员在“节假日日历”页面载入该年度的安排文件，期限会自动补算。"
        ) % {"year": year}
    else:
        action = ""
    sentence = gettext(
        "确切的截止日期要等国家公布 %(year)s 年的节假日安排后才能算出，届时会自动显示在这里。"
    ) % {"year": year}
    return OpenDeadline(sentence, case.deadlines.bound_at, action, principal.role is Role.ADMIN)


def is_open(case: Case) -> bool:
    return bool(case.deadlines.note) and case.status in CLOCKED
