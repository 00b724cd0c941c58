"""Shared fixtures: the real Chinese working-day calendar, loaded once."""

from __future__ import annotations

import pytest

from weiquan.adapters.holiday_calendar import ChinaWorkdayCalendar


@pytest.fixture(scope="session")
def china_calendar() -> ChinaWorkdayCalendar:
    return ChinaWorkdayCalendar()
