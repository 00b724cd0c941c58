"""The rules engine as the entrypoints use it: decoded JSON in, the public output dict out."""

from __future__ import annotations

from typing import Any

from weiquan.domain.calendar import WorkdayCalendar
from weiquan.domain.rules import assess, assessment_to_dict, parse_facts


def assess_facts(mapping: object, *, calendar: WorkdayCalendar) -> dict[str, Any]:
    """Parse, assess and serialise; raises ValidationFailed (or CalendarOutOfRange) naming the field."""
    return assessment_to_dict(assess(parse_facts(mapping), calendar))
