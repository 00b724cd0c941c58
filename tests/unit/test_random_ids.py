"""Case numbers read well on the phone and cover their whole space."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime

from weiquan.adapters.crypto import RandomIds

NUMBER = re.compile(r"WQ-20261125-[2-9A-HJKMNP-Z]{6}")  # no 0/O, 1/I/L to mistake


def test_a_case_number_is_the_day_and_six_unambiguous_characters() -> None:
    ids = RandomIds()
    numbers = [ids.case_number(datetime(2026, 11, 25, 3, tzinfo=UTC)) for _ in range(2000)]
    assert all(NUMBER.fullmatch(n) for n in numbers)
    assert len(set(numbers)) == len(numbers)


def test_every_character_appears_in_every_position() -> None:
    ids = RandomIds()
    suffixes = [ids.case_number(datetime(2026, 11, 25, tzinfo=UTC))[-6:] for _ in range(3000)]
    for position in range(6):
        seen = Counter(s[position] for s in suffixes)
        assert len(seen) == 31  # about 97 of each: none missing, so no digit is stuck
