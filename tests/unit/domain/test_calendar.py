"""Deadline arithmetic on the real Chinese calendar (chinese-calendar), 2026 holidays and 调休.

2026 Spring Festival: 15–23 February off, Saturdays 14 and 28 February are make-up working days.
2026 National Day: 1–7 October off, Sunday 20 September and Saturday 10 October are working days.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from weiquan.adapters.holiday_calendar import ChinaWorkdayCalendar
from weiquan.domain.calendar import (
    WeekdayOnlyCalendar,
    add_calendar_days,
    add_months,
    add_working_days,
    china_date,
    end_of_day,
    roll_past_rest_days,
    working_days_between,
)
from weiquan.domain.errors import CalendarOutOfRange, ValidationFailed

CAL = ChinaWorkdayCalendar()


@pytest.mark.parametrize(
    ("start", "days", "expected", "why"),
    [
        (date(2026, 2, 12), 3, date(2026, 2, 24), "Sat 14 Feb counts, 15–23 Feb do not"),
        (date(2026, 2, 13), 1, date(2026, 2, 14), "the 调休 Saturday is a working day"),
        (date(2026, 2, 23), 1, date(2026, 2, 24), "first working day after the festival"),
        (date(2026, 2, 26), 2, date(2026, 2, 28), "Sat 28 Feb is a make-up working day"),
        (date(2026, 9, 18), 1, date(2026, 9, 20), "Sun 20 Sep is a make-up working day"),
        (date(2026, 9, 30), 3, date(2026, 10, 10), "1–7 Oct off; 8, 9 and Sat 10 Oct count"),
        (date(2026, 11, 25), 3, date(2026, 11, 30), "an ordinary week skips the weekend"),
        (date(2026, 11, 25), 0, date(2026, 11, 25), "zero days is the start day"),
    ],
)
def test_working_days_follow_holidays_and_make_up_days(
    start: date, days: int, expected: date, why: str
) -> None:
    assert add_working_days(start, days, CAL) == expected, why


@pytest.mark.parametrize(
    ("start", "days", "expected", "why"),
    [
        (date(2026, 1, 30), 20, date(2026, 2, 24), "ends in the festival, rolls past it (Art 203)"),
        (date(2026, 9, 26), 8, date(2026, 10, 8), "ends on 4 Oct, rolls to 8 Oct"),
        (
            date(2026, 2, 21),
            7,
            date(2026, 2, 28),
            "ends on a 调休 Saturday, which is a working day",
        ),
        (date(2026, 11, 20), 8, date(2026, 11, 30), "ends on Saturday 28 Nov, rolls to Monday"),
        (date(2026, 11, 20), 5, date(2026, 11, 25), "the start day is not counted (Art 201)"),
    ],
)
def test_calendar_day_periods_roll_past_a_final_rest_day(
    start: date, days: int, expected: date, why: str
) -> None:
    assert add_calendar_days(start, days, CAL) == expected, why


def test_a_month_period_ends_on_the_last_day_when_the_month_is_shorter() -> None:
    # 31 Jan + 1 month → 28 Feb 2026 (Art 202), itself a make-up Saturday so no roll-over.
    assert add_months(date(2026, 1, 31), 1, CAL) == date(2026, 2, 28)


def test_a_month_period_ending_in_national_day_rolls_to_the_8th() -> None:
    assert add_months(date(2026, 9, 3), 1, CAL) == date(2026, 10, 8)


def test_mediation_bounds_across_national_day_both_computed() -> None:
    start = date(2026, 8, 3)
    assert add_working_days(start, 45, CAL) == date(2026, 10, 10)
    assert add_calendar_days(start, 60, CAL) == date(2026, 10, 8)  # the stricter one


def test_a_date_beyond_the_calendar_is_refused_not_guessed() -> None:
    with pytest.raises(CalendarOutOfRange, match="2027"):
        add_working_days(date(2026, 12, 29), 5, CAL)


def test_a_date_before_the_calendar_is_refused() -> None:
    with pytest.raises(CalendarOutOfRange):
        CAL.is_workday(date(1999, 1, 4))


def test_a_published_year_file_extends_the_calendar(tmp_path: Path) -> None:
    cal = ChinaWorkdayCalendar()
    year_file = tmp_path / "2027.json"
    year_file.write_text(
        json.dumps(
            {
                "year": 2027,
                "days": [
                    {"name": "元旦", "date": "2027-01-01", "isOffDay": True},
                    {"name": "春节", "date": "2027-02-06", "isOffDay": False},
                ],
            }
        ),
        encoding="utf-8",
    )
    assert cal.load_year_file(year_file) == 2027
    assert cal.covered_years()[1] == 2027
    assert not cal.is_workday(date(2027, 1, 1))
    assert cal.is_workday(date(2027, 2, 6))  # a Saturday made a working day
    assert add_working_days(date(2026, 12, 31), 1, cal) == date(2027, 1, 4)


def test_an_empty_year_file_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "2027.json"
    empty.write_text('{"year": 2027, "days": []}', encoding="utf-8")
    with pytest.raises(ValidationFailed, match="2027"):
        ChinaWorkdayCalendar().load_year_file(empty)


def test_negative_periods_are_refused() -> None:
    with pytest.raises(ValidationFailed):
        add_working_days(date(2026, 3, 2), -1, CAL)


def test_a_deadline_ends_at_midnight_beijing_time() -> None:
    due = end_of_day(date(2026, 11, 30))
    assert due.astimezone(UTC) == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)


def test_china_date_of_an_evening_utc_instant_is_the_next_day() -> None:
    assert china_date(datetime(2026, 11, 25, 17, 0, tzinfo=UTC)) == date(2026, 11, 26)


def test_china_date_refuses_naive_datetimes() -> None:
    with pytest.raises(ValidationFailed):
        china_date(datetime(2026, 11, 25, 17, 0))  # noqa: DTZ001 - the point of the test


@given(
    st.dates(min_value=date(2004, 1, 1), max_value=date(2026, 9, 30)),
    st.integers(min_value=1, max_value=40),
)
def test_working_day_arithmetic_lands_on_a_working_day_and_counts_back(
    start: date, days: int
) -> None:
    due = add_working_days(start, days, CAL)
    assert CAL.is_workday(due)
    assert working_days_between(start, due, CAL) == days


@given(
    st.dates(min_value=date(2004, 1, 1), max_value=date(2026, 10, 31)),
    st.integers(min_value=0, max_value=60),
)
def test_calendar_periods_never_end_on_a_rest_day(start: date, days: int) -> None:
    due = add_calendar_days(start, days, CAL)
    assert CAL.is_workday(due)
    assert roll_past_rest_days(due, CAL) == due


def test_the_weekday_only_calendar_ignores_holidays() -> None:
    assert add_working_days(date(2026, 9, 30), 1, WeekdayOnlyCalendar()) == date(2026, 10, 1)
