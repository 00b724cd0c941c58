"""Small wording helpers shared by the explanations."""

from __future__ import annotations

from datetime import date


def yuan_zh(fen: int) -> str:
    return f"{fen // 100:,}.{fen % 100:02d} 元"


def yuan_en(fen: int) -> str:
    return f"CNY {fen // 100:,}.{fen % 100:02d}"


def day(value: date) -> str:
    return value.isoformat()


def capitalised(text: str) -> str:
    """English explanations are assembled from clauses; the first one starts the sentence."""
    return text[:1].upper() + text[1:]
