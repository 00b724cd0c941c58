"""docs/rules.md names every rule id; the memoised calendar answers as its inner calendar does."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from weiquan.adapters.holiday_calendar import ChinaWorkdayCalendar
from weiquan.domain.errors import CalendarOutOfRange
from weiquan.domain.rules import MemoisedCalendar, RuleId

DOCS = Path(__file__).resolve().parents[3] / "docs" / "rules.md"


@pytest.mark.parametrize("rule", list(RuleId), ids=[r.value for r in RuleId])
def test_the_rules_document_describes_every_rule_id(rule: RuleId) -> None:
    assert f"### `{rule.value}`" in DOCS.read_text(encoding="utf-8")


def test_the_memoised_calendar_agrees_with_the_real_one_through_2026(
    china_calendar: ChinaWorkdayCalendar,
) -> None:
    memo = MemoisedCalendar(china_calendar)
    day = date(2026, 1, 1)
    while day.year == 2026:
        assert memo.is_workday(day) == china_calendar.is_workday(day)
        assert memo.is_workday(day) == china_calendar.is_workday(day)  # the cached answer
        day += timedelta(days=1)
    assert memo.covered_years() == china_calendar.covered_years()


def test_the_memoised_calendar_still_refuses_years_it_does_not_know(
    china_calendar: ChinaWorkdayCalendar,
) -> None:
    with pytest.raises(CalendarOutOfRange):
        MemoisedCalendar(china_calendar).is_workday(date(2031, 5, 1))


def test_a_year_loaded_later_is_seen_through_the_memo() -> None:
    inner = ChinaWorkdayCalendar()
    memo = MemoisedCalendar(inner)
    with pytest.raises(CalendarOutOfRange):
        memo.is_workday(date(2027, 1, 1))
    inner.add_year(2027, [(date(2027, 1, 1), "New Year", True)])
    assert memo.is_workday(date(2027, 1, 1)) is False
