"""Money is integer fen (分). Parsing and formatting live here so nothing else uses floats."""

from __future__ import annotations

import re

from weiquan.domain.errors import ValidationFailed

# One hundred million yuan: far beyond any consumer dispute, small enough to catch typos and abuse.
MAX_AMOUNT_FEN = 100_000_000 * 100
_YUAN = re.compile(r"^(\d+)(?:\.(\d{1,2}))?$")
# Fixed wording (no typed text inside), so the pages can translate each message as a whole.
AMOUNT_NEGATIVE = "金额不能是负数"
AMOUNT_TOO_LARGE = "金额超出合理范围（上限 1 亿元）"
AMOUNT_UNREADABLE = "无法识别的金额，请只填数字，例如 299.50"


def require_amount(fen: int, *, field: str = "amount_fen", allow_zero: bool = False) -> int:
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise ValidationFailed("金额必须是以分为单位的整数", field=field)
    if fen < 0 or (fen == 0 and not allow_zero):
        raise ValidationFailed("金额必须大于 0", field=field)
    if fen > MAX_AMOUNT_FEN:
        raise ValidationFailed(AMOUNT_TOO_LARGE, field=field)
    return fen


def yuan_to_fen(text: str, *, field: str = "amount") -> int:
    """'1,299.5' → 129950, exactly; currency signs and thousands separators are tolerated.
    A negative or an absurdly large amount is refused as such, not as unreadable."""
    cleaned = (
        text.strip().replace(",", "").replace("，", "").lstrip("¥￥").removesuffix("元").strip()
    )
    negative = cleaned[:1] in ("-", "－", "−")
    match = _YUAN.match(cleaned[1:].lstrip("¥￥").strip() if negative else cleaned)
    if not match:
        raise ValidationFailed(AMOUNT_UNREADABLE, field=field)
    if negative:
        raise ValidationFailed(AMOUNT_NEGATIVE, field=field)
    whole, cents = match.group(1), (match.group(2) or "").ljust(2, "0")
    if len(whole.lstrip("0")) > len(str(MAX_AMOUNT_FEN // 100)):
        raise ValidationFailed(AMOUNT_TOO_LARGE, field=field)
    fen = int(whole) * 100 + int(cents)
    if fen > MAX_AMOUNT_FEN:
        raise ValidationFailed(AMOUNT_TOO_LARGE, field=field)
    return fen


def format_fen(fen: int) -> str:
    """129950 → '¥1,299.50'."""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    return f"{sign}¥{yuan:,}.{cents:02d}"
