"""The working-day calendar of the People's Republic of China.

Backed by ``chinese-calendar`` (statutory holidays and 调休 make-up days from the State Council's
annual notices).  A deployment can add a year the library does not know yet by loading a
holiday-cn style JSON file (``{"year": 2027, "days": [{"name", "date", "isOffDay"}]}``), because the
notice for the next year is published in November while a library release may take longer.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import chinese_calendar

from weiquan.domain.errors import CalendarOutOfRange, ValidationFailed

log = logging.getLogger("weiquan.calendar")


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
        # A loaded notice has the last word on the days it names, including the last days of
        # the year before (see add_year), which the library may have from an older notice.
        if day in self.extra_off_days:
            return False
        if day in self.extra_work_days:
            return True
        if day.year in self.extra_years:
            return day.weekday() < 5
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
        for day, _name, _is_off in entries:
            # The notice for a year also arranges the days around its New Year's Day, which can
            # fall in the last days of December before it (the 2019 notice made 29 December 2018
            # a working day and gave 30–31 December off).
            if day.year != year and not (day.year == year - 1 and day.month == 12):
                raise ValidationFailed(
                    f"{day} 不属于 {year} 年的放假安排 / {day} is outside the {year} arrangement",
                    field="date",
                )
        for day, name, is_off in entries:
            if is_off:
                self.extra_off_days[day] = name
                self.extra_work_days.discard(day)
            else:
                self.extra_work_days.add(day)
                self.extra_off_days.pop(day, None)
        self.extra_years.add(year)


def install_year_file(content: bytes, folder: Path) -> int:
    """Checks a holiday-cn year file and puts it in the year folder as ``<year>.json``; returns
    the year. Written beside and renamed into place, so a reader never sees half a file, and a
    file that does not read as a year's arrangement never gets there."""
    folder.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=folder, suffix=".part")
    part = Path(name)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
        year = ChinaWorkdayCalendar().load_year_file(part)
        part.replace(folder / f"{year}.json")
    finally:
        part.unlink(missing_ok=True)
    return year


def load_calendar(extra_files: Iterable[Path] = ()) -> ChinaWorkdayCalendar:
    cal = ChinaWorkdayCalendar()
    for path in extra_files:
        cal.load_year_file(path)
    return cal


class YearFilesCalendar:
    """Implements :class:`weiquan.domain.calendar.WorkdayCalendar`: the library's years plus the
    year files given in the settings and those in a folder (``weiquan calendar load`` puts them
    there), re-read by :meth:`reload` when the folder changes, so running servers and workers
    take up a newly published year without a restart."""

    def __init__(self, files: Iterable[Path] = (), folder: Path | None = None) -> None:
        self._files = list(files)
        self._folder = folder
        self._lock = threading.Lock()
        self._stamp = self._look()
        self._current = load_calendar([*self._files, *self._folder_files()])

    def is_workday(self, day: date) -> bool:
        return self._current.is_workday(day)

    def covered_years(self) -> tuple[int, int]:
        return self._current.covered_years()

    def reload(self) -> bool:
        """Re-reads the year files if the folder changed; whether the calendar changed. A file
        that cannot be read leaves the calendar as it was (and is reported in the log)."""
        with self._lock:
            stamp = self._look()
            if stamp == self._stamp:
                return False
            try:
                calendar = load_calendar([*self._files, *self._folder_files()])
            except ValidationFailed as exc:
                log.error("holiday year files not taken up: %s", exc.message)
                return False
            self._stamp, self._current = stamp, calendar
            return True

    def _folder_files(self) -> list[Path]:
        if self._folder is None or not self._folder.is_dir():
            return []
        return sorted(self._folder.glob("*.json"))

    def _look(self) -> tuple[tuple[str, int, int], ...]:
        """What the folder holds: each file's name, size and modification time."""
        found = []
        for path in self._folder_files():
            try:
                stat = path.stat()
            except OSError:  # removed while we looked
                continue
            found.append((path.name, stat.st_size, stat.st_mtime_ns))
        return tuple(found)
