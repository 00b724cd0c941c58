"""Deadlines on the Chinese calendar.

Two kinds of period exist in the law this product applies:

* **working days** (工作日): Monday–Friday, minus statutory holidays, plus the 调休 make-up
  days the State Council's annual notice declares. Used by 投诉举报处理暂行办法 (7 working days to
  accept, 45 to mediate) and by deployment policy (3 working days for a merchant to reply).
* **calendar periods** under 民法典 Art 201–203: the day of the event is not counted; a period
  in months ends on the corresponding day of the final month (or its last day when there is no
  such day); when the last day is a statutory rest day (法定休假日, weekends included) the period
  ends on the first day after the rest ends; it ends at 24:00.

Which days are working days is a fact published once a year, so the domain asks a
:class:`WorkdayCalendar` port.  Implementations must raise :class:`CalendarOutOfRange` for a date
they do not cover: a deadline is never guessed.
"""

from __future__ import annotations

import calendar as _stdlib_calendar
from collections.abc import Callable
from dataclasses import dataclass
from datetime import MAXYEAR, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from weiquan.domain.errors import CalendarOutOfRange, ValidationFailed

CHINA_TZ = ZoneInfo("Asia/Shanghai")

# The longest period the product computes is the 10-year product-liability long stop; a bound
# keeps a hostile "add 10**9 working days" from looping for ever.
MAX_PERIOD_DAYS = 20 * 366


class WorkdayCalendar(Protocol):
    """Which days are working days. Raises CalendarOutOfRange outside the covered years."""

    def is_workday(self, day: date) -> bool: ...

    def covered_years(self) -> tuple[int, int]:
        """First and last year (inclusive) the calendar knows."""
        ...


@dataclass(frozen=True, slots=True)
class WeekdayOnlyCalendar:
    """Monday–Friday with no holidays, for tests that must not depend on the State Council.

    Production code never uses it: it is wrong for China by design.
    """

    first_year: int = 1900
    last_year: int = 2999

    def is_workday(self, day: date) -> bool:
        _require_covered(self, day)
        return day.weekday() < 5

    def covered_years(self) -> tuple[int, int]:
        return (self.first_year, self.last_year)


def _require_covered(cal: WorkdayCalendar, day: date) -> None:
    first, last = cal.covered_years()
    if not first <= day.year <= last:
        raise CalendarOutOfRange(
            f"{day.isoformat()} 超出节假日日历覆盖范围（{first}–{last} 年），无法计算期限；"
            f"the holiday calendar covers {first}–{last} only, so this deadline cannot be computed",
            field="date",
        )


def add_working_days(start: date, days: int, cal: WorkdayCalendar) -> date:
    """The ``days``-th working day after ``start`` (the start day itself is never counted)."""
    _require_period(days)
    current = start
    remaining = days
    steps = 0
    while remaining > 0:
        current = _later(current, 1)
        steps += 1
        if steps > MAX_PERIOD_DAYS:
            raise ValidationFailed("期限过长 / period too long", field="days")
        if cal.is_workday(current):
            remaining -= 1
    return current


def working_days_between(start: date, end: date, cal: WorkdayCalendar) -> int:
    """Working days in (start, end]: how many have elapsed since ``start`` by the end of ``end``."""
    if end <= start:
        return 0
    if (end - start).days > MAX_PERIOD_DAYS:
        raise ValidationFailed("期限过长 / period too long", field="days")
    return sum(
        1
        for offset in range(1, (end - start).days + 1)
        if cal.is_workday(start + timedelta(offset))
    )


def roll_past_rest_days(day: date, cal: WorkdayCalendar) -> date:
    """民法典 Art 203: a period whose last day is a rest day ends on the next working day."""
    current = day
    for _ in range(60):  # the longest rest in China's calendar is 8–9 days
        if cal.is_workday(current):
            return current
        current = _later(current, 1)
    raise CalendarOutOfRange(f"{day.isoformat()} 之后 60 天内没有工作日", field="date")


def add_calendar_days(start: date, days: int, cal: WorkdayCalendar) -> date:
    """民法典 Art 201/203: ``days`` days after ``start``, rolled past a final rest day."""
    _require_period(days)
    return roll_past_rest_days(_later(start, days), cal)


def add_months(start: date, months: int, cal: WorkdayCalendar) -> date:
    """民法典 Art 202/203: the corresponding day of the final month, or its last day."""
    _require_period(months)
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    if year > MAXYEAR:
        raise _beyond_dates(start)
    last_day = _stdlib_calendar.monthrange(year, month)[1]
    return roll_past_rest_days(date(year, month, min(start.day, last_day)), cal)


def add_years(start: date, years: int, cal: WorkdayCalendar) -> date:
    return add_months(start, years * 12, cal)


def end_of_day(day: date) -> datetime:
    """民法典 Art 203: a period ends at 24:00 Beijing time, i.e. the next midnight, as UTC-aware."""
    return datetime.combine(_later(day, 1), time.min, tzinfo=CHINA_TZ)


def last_day_of(due: datetime) -> date:
    """The day a period ending at ``due`` is shown as ending on. 民法典 Art 203: a period ends
    at 24:00 of its last day, which is stored as the next midnight; every page and document
    shows that last day (with 24:00), never the midnight's own date."""
    local = due.astimezone(CHINA_TZ)
    if local.time() == time.min:
        return local.date() - timedelta(days=1)
    return local.date()


def due_or_note(compute: Callable[[], date]) -> tuple[datetime | None, str]:
    """A deadline (the end of the computed day), or ``None`` and the reason when the holiday
    calendar does not cover it yet: never a guess."""
    try:
        return end_of_day(compute()), ""
    except CalendarOutOfRange as exc:
        return None, exc.message


def china_date(moment: datetime) -> date:
    """The calendar date in China of an aware instant."""
    if moment.tzinfo is None:
        raise ValidationFailed("时间必须带时区 / datetimes must be timezone-aware", field="time")
    return moment.astimezone(CHINA_TZ).date()


def _later(day: date, days: int) -> date:
    """``days`` days after ``day``; a date past the year 9999 is refused, not a crash."""
    try:
        return day + timedelta(days=days)
    except OverflowError:
        raise _beyond_dates(day) from None


def _beyond_dates(day: date) -> CalendarOutOfRange:
    return CalendarOutOfRange(
        f"{day.isoformat()} 之后的期限超出可计算的日期范围（公元 {MAXYEAR} 年）；"
        f"a period after {day.isoformat()} would end beyond the year {MAXYEAR}",
        field="date",
    )


def _require_period(amount: int) -> None:
    if amount < 0:
        raise ValidationFailed("期限不能为负数 / a period cannot be negative", field="days")
