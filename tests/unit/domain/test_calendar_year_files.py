"""Year files as the State Council publishes them, and a calendar that takes them up while running.

The notice for a year is out in November, long before a library release may carry it; year files
(holiday-cn JSON) fill the gap. A notice also arranges the days around its New Year's Day, which
can lie in December of the year before.
"""

from __future__ import annotations

import json
import os
from datetime import date, timedelta
from pathlib import Path

import chinese_calendar
import pytest

from weiquan.adapters.holiday_calendar import ChinaWorkdayCalendar, YearFilesCalendar
from weiquan.domain.calendar import add_working_days
from weiquan.domain.errors import CalendarOutOfRange, ValidationFailed
from weiquan.domain.rules import MemoisedCalendar

DATA = Path(__file__).resolve().parents[2] / "data"


def year_file(folder: Path, year: int, days: list[tuple[str, bool]], name: str = "") -> Path:
    path = folder / (name or f"{year}.json")
    entries = [{"name": "节日", "date": day, "isOffDay": off} for day, off in days]
    path.write_text(json.dumps({"year": year, "days": entries}), encoding="utf-8")
    return path


def test_the_published_2019_file_agrees_with_the_library_day_by_day_including_december_2018() -> (
    None
):
    from_file = ChinaWorkdayCalendar()
    assert from_file.load_year_file(DATA / "holiday-cn-2019.json") == 2019
    day = date(2018, 12, 1)
    while day <= date(2019, 12, 31):
        assert from_file.is_workday(day) == chinese_calendar.is_workday(day), day
        day += timedelta(days=1)
    assert from_file.is_workday(date(2018, 12, 29))  # a Saturday worked for New Year's Eve off
    assert not from_file.is_workday(date(2018, 12, 31))


def test_a_new_years_notice_overrides_what_the_library_says_of_the_december_before(
    tmp_path: Path,
) -> None:
    cal = ChinaWorkdayCalendar()
    assert cal.is_workday(date(2026, 12, 31))  # a Thursday, by the 2026 notice
    cal.load_year_file(
        year_file(
            tmp_path, 2027, [("2026-12-31", True), ("2027-01-01", True), ("2027-01-02", False)]
        )
    )
    assert not cal.is_workday(date(2026, 12, 31))
    assert cal.is_workday(date(2027, 1, 2))  # a Saturday made a working day
    assert add_working_days(date(2026, 12, 30), 1, cal) == date(2027, 1, 2)


@pytest.mark.parametrize("stray", ["2026-11-30", "2025-12-31", "2028-01-01"])
def test_a_day_outside_the_year_and_the_december_before_it_is_refused(
    tmp_path: Path, stray: str
) -> None:
    cal = ChinaWorkdayCalendar()
    with pytest.raises(ValidationFailed, match=stray):
        cal.load_year_file(year_file(tmp_path, 2027, [("2027-01-01", True), (stray, True)]))
    assert cal.covered_years()[1] == 2026  # nothing of the refused file was taken
    assert cal.is_workday(date(2026, 12, 31))


def test_a_running_calendar_takes_up_a_year_file_added_to_its_folder(tmp_path: Path) -> None:
    folder = tmp_path / "holidays"
    cal = YearFilesCalendar(folder=folder)
    with pytest.raises(CalendarOutOfRange):
        cal.is_workday(date(2027, 1, 4))
    assert cal.reload() is False  # nothing there yet
    folder.mkdir()
    year_file(folder, 2027, [("2027-01-01", True)])
    assert cal.reload() is True
    assert cal.covered_years() == (2004, 2027)
    assert cal.is_workday(date(2027, 1, 4))
    assert cal.reload() is False  # unchanged since


def test_a_year_file_that_cannot_be_read_leaves_the_calendar_as_it_was(tmp_path: Path) -> None:
    folder = tmp_path / "holidays"
    folder.mkdir()
    year_file(folder, 2027, [("2027-01-01", True)])
    cal = YearFilesCalendar(folder=folder)
    (folder / "2028.json").write_text("{not json", encoding="utf-8")
    assert cal.reload() is False
    assert cal.covered_years() == (2004, 2027)


def test_a_changed_file_is_read_again(tmp_path: Path) -> None:
    folder = tmp_path / "holidays"
    folder.mkdir()
    path = year_file(folder, 2027, [("2027-01-01", True)])
    cal = YearFilesCalendar(folder=folder)
    assert cal.is_workday(date(2027, 1, 4))
    year_file(folder, 2027, [("2027-01-01", True), ("2027-01-04", True)])
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
    assert cal.reload() is True
    assert not cal.is_workday(date(2027, 1, 4))


def test_the_memo_forgets_its_answers_when_told_the_calendar_changed(tmp_path: Path) -> None:
    folder = tmp_path / "holidays"
    cal = YearFilesCalendar(folder=folder)
    memo = MemoisedCalendar(cal)
    assert memo.is_workday(date(2026, 12, 31))  # remembered
    folder.mkdir()
    year_file(folder, 2027, [("2026-12-31", True), ("2027-01-01", True)])
    assert cal.reload()
    assert memo.is_workday(date(2026, 12, 31))  # still the remembered answer
    memo.forget()
    assert not memo.is_workday(date(2026, 12, 31))
