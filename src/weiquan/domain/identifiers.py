"""Chinese identifiers: 统一社会信用代码 (GB 32100-2015) and administrative division codes (GB/T 2260)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from weiquan.domain.errors import ValidationFailed

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # I, O, Z, S and V are never used
_USCC_VALUES = {ch: value for value, ch in enumerate(USCC_ALPHABET)}
# W_i = 3^(i-1) mod 31 for positions 1..17 (GB 32100-2015 §5).
_USCC_WEIGHTS = [pow(3, i, 31) for i in range(17)]
_ORG_CODE_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]  # GB 11714, embedded at positions 9–17
_USCC_SHAPE = re.compile(rf"^[{USCC_ALPHABET}]{{18}}$")
_REGION_SHAPE = re.compile(r"^[1-9]\d{5}$")


class UsccCheck(StrEnum):
    VALID = "valid"
    # Some codes issued in early pilot areas fail the checksum yet are real: a warning, not a reject.
    CHECKSUM_WARNING = "checksum_warning"


@dataclass(frozen=True, slots=True)
class UsccResult:
    code: str
    check: UsccCheck
    region_code: str

    @property
    def warning(self) -> str | None:
        if self.check is UsccCheck.VALID:
            return None
        return "统一社会信用代码校验位不符（部分早期试点代码如此），请核对营业执照原件"


def uscc_check_character(first_17: str) -> str:
    total = sum(
        _USCC_VALUES[ch] * weight for ch, weight in zip(first_17, _USCC_WEIGHTS, strict=True)
    )
    return USCC_ALPHABET[(31 - total % 31) % 31]


def org_code_check_character(first_8: str) -> str:
    def value(ch: str) -> int:
        return int(ch) if ch.isdigit() else ord(ch) - ord("A") + 10

    remainder = (
        11 - sum(value(ch) * w for ch, w in zip(first_8, _ORG_CODE_WEIGHTS, strict=True)) % 11
    )
    return {10: "X", 11: "0"}.get(remainder, str(remainder))


def validate_uscc(raw: str) -> UsccResult:
    """Accepts a well-formed code; a failed check character is reported as a warning."""
    code = raw.strip().upper()
    if not _USCC_SHAPE.match(code):
        raise ValidationFailed(
            "统一社会信用代码应为 18 位，由数字和大写字母组成（不含 I、O、Z、S、V）",
            field="uscc",
        )
    region = code[2:8]
    if not _REGION_SHAPE.match(region):
        raise ValidationFailed("统一社会信用代码第 3–8 位应为行政区划代码", field="uscc")
    passes = uscc_check_character(code[:17]) == code[17]
    return UsccResult(code, UsccCheck.VALID if passes else UsccCheck.CHECKSUM_WARNING, region)


def validate_region_code(raw: str, known: frozenset[str] | None = None) -> str:
    """A six-digit GB/T 2260 code; when ``known`` is given the code must be listed there."""
    code = raw.strip()
    if not _REGION_SHAPE.match(code):
        raise ValidationFailed("行政区划代码应为 6 位数字（GB/T 2260）", field="region_code")
    if known is not None and code not in known:
        raise ValidationFailed(f"未知的行政区划代码：{code}", field="region_code")
    return code


def region_contains(outer: str, inner: str) -> bool:
    """Whether division ``outer`` contains ``inner`` (a province contains its counties)."""
    if outer.endswith("0000"):
        return inner[:2] == outer[:2]
    if outer.endswith("00"):
        return inner[:4] == outer[:4]
    return inner == outer
