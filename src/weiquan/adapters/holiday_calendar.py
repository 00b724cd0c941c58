"""The working-day calendar of the People's Republic of China.

Backed by ``chinese-calendar`` (statutory holidays and 调休 make-up days from the State Council's
annual notices).  A deployment can add a year the library does not know yet by loading a
holiday-cn style JSON file (``{"year": 2027, "days": [{"name", "date", "isOffDay"}]}``), because the
notice for the next year is published in November while a library release may take longer.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import chinese_calendar

from weiquan.domain.errors import CalendarOutOfRange, ValidationFailed


@dataclass
class ChinaWorkdayCalendar:
    """Implements :class:`weiquan.domain.calendar.WorkdayCalendar`."""

    extra_off_days: dict[date, str] = field(default_factory=dict)
    extra_work_days: set[date] = field(default_factory=set)
    extra_years: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._first = min(chinese_calendar.holidays).year
        self._last = max(d.year for d in chinese_calendar.holidays)

    def covered_years(self) -> tuple[int, int]:
        last = self._last
        while last + 1 in self.extra_years:
            last += 1
        return (self._first, last)

    def is_workday(self, day: date) -> bool:
        first, last = self.covered_years()
        if not first <= day.year <= last:
            raise CalendarOutOfRange(
                f"{day.isoformat()} 超出节假日日历覆盖范围（{first}–{last} 年）：该年度放假安排尚未载入，"
                f"期限无法计算。The holiday calendar covers {first}–{last}; load the official "
                f"arrangement for {day.year} with `weiquan calendar load` first.",
                field="date",
            )
        if day.year in self.extra_years:
            if day in self.extra_off_days:
                return False
            return day in self.extra_work_days or day.weekday() < 5
        return bool(chinese_calendar.is_workday(day))

    def load_year_file(self, path: Path) -> int:
        """Adds one year from a holiday-cn JSON file; returns the year loaded."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            year = int(data["year"])
            entries = [
                (date.fromisoformat(d["date"]), d["name"], bool(d["isOffDay"]))
                for d in data["days"]
            ]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ValidationFailed(f"节假日文件无法读取 / unreadable holiday file: {exc}") from exc
        self.add_year(year, entries)
        return year

    def add_year(self, year: int, entries: Iterable[tuple[date, str, bool]]) -> None:
        entries = list(entries)
        if not entries:
            raise ValidationFailed(
                f"{year} 年的放假安排为空：尚未发布的年份不能载入 / the {year} arrangement is empty",
                field="year",
            )
        for day, name, is_off in entries:
            if day.year != year:
                raise ValidationFailed(f"{day} 不属于 {year} 年", field="date")
            if is_off:
                self.extra_off_days[day] = name
            else:
                self.extra_work_days.add(day)
        self.extra_years.add(year)


def load_calendar(extra_files: Iterable[Path] = ()) -> ChinaWorkdayCalendar:
    cal = ChinaWorkdayCalendar()
    for path in extra_files:
        cal.load_year_file(path)
    return cal
