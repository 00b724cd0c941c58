"""The mediation and report clocks the case workflow borrows from the rules package."""

from __future__ import annotations

from datetime import date

from weiquan.adapters.holiday_calendar import ChinaWorkdayCalendar
from weiquan.domain.calendar import WeekdayOnlyCalendar
from weiquan.domain.rules import mediation_deadline, report_clock


def test_sixty_days_is_the_stricter_mediation_limit_in_an_ordinary_stretch() -> None:
    # 60 days after Mon 2030-01-07 is Fri 03-08; 45 working days is Mon 03-11.
    assert mediation_deadline(date(2030, 1, 7), WeekdayOnlyCalendar()) == date(2030, 3, 8)


def test_sixty_days_ending_on_a_saturday_roll_to_monday(
    china_calendar: ChinaWorkdayCalendar,
) -> None:
    # 60 days after 2026-09-01 is Sat 10-31; 45 working days would reach 11-09.
    assert mediation_deadline(date(2026, 9, 1), china_calendar) == date(2026, 11, 2)


def test_testing_days_push_the_mediation_deadline_out(china_calendar: ChinaWorkdayCalendar) -> None:
    # Two days of testing move Mon 11-02 to Wed 11-04.
    assert mediation_deadline(date(2026, 9, 1), china_calendar, testing_days=2) == date(2026, 11, 4)


def test_a_report_clock_counts_make_up_days_and_skips_national_day(
    china_calendar: ChinaWorkdayCalendar,
) -> None:
    # The make-up Sunday 09-20 is the 14th working day; the extension skips 10-01..07 and counts
    # the make-up Saturday 10-10.
    clock = report_clock(date(2026, 9, 1), china_calendar)
    assert clock.decide_by == date(2026, 9, 21)
    assert clock.decide_by_if_extended == date(2026, 10, 19)
    assert clock.tell_named_reporter_within_working_days == 5
