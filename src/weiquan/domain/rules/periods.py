"""Deadlines as the rules need them, on top of the working-day calendar port.

Calendar periods (民法典 Art 201–203) only ever move *later* when their last day is a rest day.  So
when a long period (a 3-year limitation, say) ends in a year the holiday calendar does not cover
yet, the unrolled date is still a sound lower bound, and every decision the engine makes with it is
exact: an event on or before that date is in time whatever the roll-over, and an event after it lies
inside the covered years, where the exact date is known.  The engine then reports the lower bound
with a caveat rather than refusing the whole assessment.  Working-day counts have no such bound
(a 调休 Saturday can shorten them), so they raise CalendarOutOfRange as the port does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from weiquan.domain.calendar import (
    WorkdayCalendar,
    add_months,
    add_working_days,
    roll_past_rest_days,
)
from weiquan.domain.errors import CalendarOutOfRange
from weiquan.domain.rules.facts import Facts
from weiquan.domain.rules.model import Caveat, RuleId


class _EveryDayWorks:
    """A calendar with no rest days: add_months over it gives the unrolled end date."""

    def is_workday(self, day: date) -> bool:  # noqa: ARG002 - every day qualifies
        return True

    def covered_years(self) -> tuple[int, int]:
        return (1, 9999)


@dataclass(frozen=True, slots=True)
class PeriodEnd:
    day: date
    rolled: bool  # the nominal last day was a rest day (民法典 Art 203)
    exact: bool = True  # False: a lower bound, the calendar for that year is not loaded


@dataclass
class RuleContext:
    """What every rule sees: the facts, the calendar, and where to leave caveats."""

    facts: Facts
    calendar: WorkdayCalendar
    caveats: list[Caveat] = field(default_factory=list)

    def caveat(self, code: str, zh: str, en: str, *, rule: RuleId | None = None) -> None:
        note = Caveat(code=code, message_zh=zh, message_en=en, rule=rule)
        if note not in self.caveats:
            self.caveats.append(note)

    def days_after(self, start: date, days: int, *, rule: RuleId) -> PeriodEnd:
        return self._roll(start + timedelta(days=days), rule=rule)

    def months_after(self, start: date, months: int, *, rule: RuleId) -> PeriodEnd:
        return self._roll(add_months(start, months, _EveryDayWorks()), rule=rule)

    def years_after(self, start: date, years: int, *, rule: RuleId) -> PeriodEnd:
        return self.months_after(start, years * 12, rule=rule)

    def still_within_years(self, start: date, years: int, *, on: date) -> bool:
        """True when ``on`` is inside the period even before any roll-over (no calendar needed)."""
        return on <= add_months(start, years * 12, _EveryDayWorks())

    def working_days_after(self, start: date, days: int, *, field: str) -> date:
        """Working days need the calendar of every day counted: a start outside it is refused,
        naming the fact it came from."""
        try:
            return add_working_days(start, days, self.calendar)
        except CalendarOutOfRange as exc:
            raise CalendarOutOfRange(exc.message, field=field) from None

    def _roll(self, nominal: date, *, rule: RuleId) -> PeriodEnd:
        last_year = self.calendar.covered_years()[1]
        if nominal.year > last_year:
            return self._lower_bound(nominal, rule=rule)
        try:
            end = roll_past_rest_days(nominal, self.calendar)
        except CalendarOutOfRange:
            if nominal.year < last_year:
                raise
            # The last covered year ends in rest days that run into the next, unloaded year.
            return self._lower_bound(nominal, rule=rule)
        return PeriodEnd(day=end, rolled=end != nominal)

    def _lower_bound(self, nominal: date, *, rule: RuleId) -> PeriodEnd:
        self.caveat(
            "deadline_lower_bound",
            f"{nominal.isoformat()} 所在年度的放假安排尚未载入：如该日为休息日，期限顺延至其后第一个"
            "工作日（民法典第203条），故此日期是最早的截止日。",
            f"The holiday arrangement for {nominal.year} is not loaded: if "
            f"{nominal.isoformat()} is a rest day the period runs on to the next working day "
            "(Civil Code Art 203), so this date is the earliest possible end.",
            rule=rule,
        )
        return PeriodEnd(day=nominal, rolled=False, exact=False)


def mediation_deadline(
    accepted_on: date, calendar: WorkdayCalendar, *, testing_days: int = 0
) -> date:
    """The stricter of 条例 Art 46 (60 days) and 暂行办法 Art 21 (45 working days) from acceptance.

    Days spent on testing or appraisal do not count against either period, so they push the end
    out by the same number of calendar days.
    """
    sixty_days = roll_past_rest_days(accepted_on + timedelta(days=60), calendar)
    forty_five_working = add_working_days(accepted_on, 45, calendar)
    stricter = min(sixty_days, forty_five_working)
    if testing_days <= 0:
        return stricter
    return roll_past_rest_days(stricter + timedelta(days=testing_days), calendar)


@dataclass(frozen=True, slots=True)
class ReportClock:
    """暂行办法 Art 31 and 处罚程序规定 Art 18 for a report (举报) received on one day."""

    decide_by: date  # check the clue and decide whether to open a case
    decide_by_if_extended: date
    tell_named_reporter_within_working_days: int = 5


def report_clock(received_on: date, calendar: WorkdayCalendar) -> ReportClock:
    return ReportClock(
        decide_by=add_working_days(received_on, 15, calendar),
        decide_by_if_extended=add_working_days(received_on, 30, calendar),
    )
