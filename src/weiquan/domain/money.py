"""Money is integer fen (分). Parsing and formatting live here so nothing else uses floats."""

from __future__ import annotations

import re

from weiquan.domain.errors import ValidationFailed

# One hundred million yuan: far beyond any consumer dispute, small enough to catch typos and abuse.
MAX_AMOUNT_FEN = 100_000_000 * 100
_YUAN = re.compile(r"^(\d{1,12})(?:\.(\d{1,2}))?$")


def require_amount(fen: int, *, field: str = "amount_fen", allow_zero: bool = False) -> int:
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise ValidationFailed("金额必须是以分为单位的整数", field=field)
    if fen < 0 or (fen == 0 and not allow_zero):
        raise ValidationFailed("金额必须大于 0", field=field)
    if fen > MAX_AMOUNT_FEN:
        raise ValidationFailed("金额超出合理范围（上限 1 亿元）", field=field)
    return fen


def yuan_to_fen(text: str, *, field: str = "amount") -> int:
    """'1,299.5' → 129950, exactly; currency signs and thousands separators are tolerated."""
    cleaned = (
        text.strip().replace(",", "").replace("，", "").lstrip("¥￥").removesuffix("元").strip()
    )
    match = _YUAN.match(cleaned)
    if not match:
        raise ValidationFailed(f"无法识别的金额：{text!r}", field=field)
    whole, cents = match.group(1), (match.group(2) or "").ljust(2, "0")
    return int(whole) * 100 + int(cents)


def format_fen(fen: int) -> str:
    """129950 → '¥1,299.50'."""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    return f"{sign}¥{yuan:,}.{cents:02d}"
