"""Self-regulation pledges (行业自律承诺): a body publishes measurable terms, merchants join, and
keeping them is measured from each closed case."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from weiquan.domain.cases import require_text
from weiquan.domain.errors import ValidationFailed
from weiquan.domain.trust.grade import CaseOutcome


class TermKind(StrEnum):
    REPLY_WITHIN_HOURS = "reply_within_hours"  # e.g. 24 小时内答复
    CLOSE_WITHIN_DAYS = "close_within_days"  # e.g. 15 日内办结
    KEEP_AGREEMENTS = "keep_agreements"  # 和解、调解协议全部履行


TERM_LABELS_ZH = {
    TermKind.REPLY_WITHIN_HOURS: "{value} 小时内答复投诉",
    TermKind.CLOSE_WITHIN_DAYS: "{value} 日内办结投诉",
    TermKind.KEEP_AGREEMENTS: "履行全部和解与调解协议",
}
_LIMITS = {
    TermKind.REPLY_WITHIN_HOURS: (1, 240),
    TermKind.CLOSE_WITHIN_DAYS: (1, 180),
    TermKind.KEEP_AGREEMENTS: (0, 0),
}


@dataclass(frozen=True, slots=True)
class PledgeTerm:
    kind: TermKind
    value: int = 0

    def __post_init__(self) -> None:
        low, high = _LIMITS[self.kind]
        if not low <= self.value <= high:
            raise ValidationFailed(
                f"承诺「{self.kind.value}」的数值应在 {low}–{high} 之间", field="terms.value"
            )

    @property
    def label_zh(self) -> str:
        return TERM_LABELS_ZH[self.kind].format(value=self.value)

    def kept_by(self, outcome: CaseOutcome) -> bool | None:
        """Whether this case kept the term; ``None`` when the term does not apply to it."""
        if self.kind is TermKind.REPLY_WITHIN_HOURS:
            return outcome.reply_hours is not None and outcome.reply_hours <= self.value
        if self.kind is TermKind.CLOSE_WITHIN_DAYS:
            return outcome.days_to_close is not None and outcome.days_to_close <= self.value
        if outcome.agreements == 0:
            return None
        return outcome.agreements_kept >= outcome.agreements


@dataclass(frozen=True, slots=True)
class Pledge:
    id: str
    body_name: str  # the 行业自律组织 publishing it
    title: str
    terms: tuple[PledgeTerm, ...]
    published_at: datetime
    published_by: str

    def __post_init__(self) -> None:
        require_text(self.body_name, field="body_name", limit=200)
        require_text(self.title, field="title", limit=200)
        if not self.terms:
            raise ValidationFailed("承诺至少包含一项可衡量的条款", field="terms")
        if len({t.kind for t in self.terms}) != len(self.terms):
            raise ValidationFailed("同类条款只能出现一次", field="terms")


@dataclass(slots=True)
class Membership:
    pledge_id: str
    merchant_id: str
    joined_at: datetime
    left_at: datetime | None = None
    checks: int = 0
    kept: int = 0

    @property
    def active(self) -> bool:
        return self.left_at is None

    def record(self, pledge: Pledge, outcome: CaseOutcome) -> tuple[int, int]:
        """Measures one closed case against every term; returns (checked, kept)."""
        verdicts = [t.kept_by(outcome) for t in pledge.terms]
        checked = sum(1 for v in verdicts if v is not None)
        kept = sum(1 for v in verdicts if v)
        self.checks += checked
        self.kept += kept
        return checked, kept

    @property
    def keeping_rate(self) -> float | None:
        return self.kept / self.checks if self.checks else None
