"""Text normalisation that makes Traditional and Simplified, full- and half-width copies equal."""

from __future__ import annotations

from functools import lru_cache

import opencc

from weiquan.domain.text_signals import content_characters, fold_text


@lru_cache(maxsize=1)
def _traditional_to_simplified() -> opencc.OpenCC:
    # Building the converter parses OpenCC's dictionaries (a few ms); one per process is enough.
    return opencc.OpenCC("t2s")


def normalise(text: str) -> str:
    """Simplified, NFKC-folded, lower-case text with punctuation variants and spacing folded."""
    return str(_traditional_to_simplified().convert(fold_text(text)))


def content_key(text: str) -> str:
    """Only the letters, digits and ideographs of the normalised text.

    Two statements with the same content key differ at most in script, width, case, spacing,
    punctuation and symbols: that is what a copy-paste with cosmetic edits looks like.
    """
    return content_characters(normalise(text))
