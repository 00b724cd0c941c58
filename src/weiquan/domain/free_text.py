"""What free text (reasons, statements, descriptions, names) may contain.

Control characters have no place in text a person writes: NUL and the C0/C1 controls break
exports and terminals and hide content from reviewers, and the bidirectional overrides and
isolates (U+202A–U+202E, U+2066–U+2069) make text read differently from what is stored, so
a reason or statement that shows one thing could record another. Line breaks and tabs stay.
"""

from __future__ import annotations

from typing import Final

from weiquan.domain.errors import ValidationFailed

_KEPT: Final = frozenset("\t\n\r")
_BIDI_CONTROLS: Final = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))
CONTROL_CHARACTERS_MESSAGE: Final = "含有不可见的控制字符"


def is_control_character(ch: str) -> bool:
    code = ord(ch)
    if ch in _KEPT:
        return False
    return code < 0x20 or 0x7F <= code <= 0x9F or ch in _BIDI_CONTROLS


def refuse_control_characters(value: str, *, field: str) -> None:
    """ValidationFailed naming the field and the first offending character's position."""
    for position, ch in enumerate(value, start=1):
        if is_control_character(ch):
            raise ValidationFailed(
                f"{CONTROL_CHARACTERS_MESSAGE}（第 {position} 个字符，U+{ord(ch):04X}）",
                field=field,
            )
