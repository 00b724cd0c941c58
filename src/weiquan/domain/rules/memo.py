"""A working-day calendar that remembers its answers.

Whether a day is a working day does not change once a year's arrangement is loaded, and the
engine asks the same few hundred days over and over; chinese-calendar validates every date by
scanning its whole table, which made the lookups most of an assessment's cost.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from weiquan.domain.calendar import WorkdayCalendar


class MemoisedCalendar:
    """Implements :class:`WorkdayCalendar` over another one, caching ``is_workday``.

    Out-of-range days are not cached (the inner calendar raises each time), so loading a new
    year into the inner calendar later is still seen for those days.
    """

    def __init__(self, inner: WorkdayCalendar, *, max_days: int = 40_000) -> None:
        self.inner = inner
        self._is_workday = lru_cache(maxsize=max_days)(inner.is_workday)

    def is_workday(self, day: date) -> bool:
        return self._is_workday(day)

    def covered_years(self) -> tuple[int, int]:
        return self.inner.covered_years()

    def forget(self) -> None:
        """Drops every remembered answer: the inner calendar has taken up new year data, which
        may also change days it knew (a notice arranges the end of the year before)."""
        self._is_workday.cache_clear()
