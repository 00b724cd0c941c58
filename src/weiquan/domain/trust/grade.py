"""The merchant credit grade: a published formula (docs/credit-grade.md), explainable line by line.

Each component is a rate in [0, 1] shrunk toward a published prior as if the merchant had
``PRIOR_WEIGHT`` extra cases at the prior rate (a Bayesian beta prior). A shop with three cases
therefore sits near the prior; one with three thousand is judged on its own record. The running
sums are updated once per closed case, so the grade never needs a rescan.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from weiquan.domain.cases import Case, CaseEvent
from weiquan.domain.errors import ValidationFailed
from weiquan.domain.lifecycle import Action, CaseStatus

PRIOR_WEIGHT = 10
VIOLATION_PENALTY = 10.0
MAX_VIOLATION_PENALTY = 40.0
FAST_REPLY_HOURS = 24  # a reply within a day earns full speed credit
SLOW_REPLY_HOURS = 72  # none after three days
FEW_CASES = 30  # below this, the page says the grade rests largely on the prior


class Grade(StrEnum):
    RECOMMENDED = "recommended"
    CAUTION = "caution"
    NOT_RECOMMENDED = "not_recommended"


GRADE_LABELS_ZH = {
    Grade.RECOMMENDED: "建议下单",
    Grade.CAUTION: "谨慎下单",
    Grade.NOT_RECOMMENDED: "不建议下单",
}
RECOMMENDED_FROM = 80.0
CAUTION_FROM = 60.0


@dataclass(frozen=True, slots=True)
class ComponentRule:
    name: str
    label_zh: str
    weight: float
    prior: float


COMPONENTS = (
    ComponentRule("response", "答复率", 0.20, 0.80),
    ComponentRule("speed", "首次答复速度", 0.10, 0.50),
    ComponentRule("resolution", "解决率", 0.25, 0.60),
    ComponentRule("fulfilment", "履约率", 0.20, 0.90),
    ComponentRule("satisfaction", "消费者满意度", 0.15, 0.60),
    ComponentRule("pledges", "自律承诺履行率", 0.10, 0.80),
)


@dataclass(frozen=True, slots=True)
class GradePolicy:
    """The formula's numbers. The defaults are the published ones (docs/credit-grade.md); a
    deployment may set its own weights and prior strength, and then publishes them too."""

    components: tuple[ComponentRule, ...] = COMPONENTS
    prior_weight: float = PRIOR_WEIGHT
    recommended_from: float = RECOMMENDED_FROM
    caution_from: float = CAUTION_FROM

    def __post_init__(self) -> None:
        names = sorted(rule.name for rule in self.components)
        if names != sorted(rule.name for rule in COMPONENTS):
            raise ValidationFailed(
                "评分须包含且仅包含这些分项：" + "、".join(r.name for r in COMPONENTS),
                field="grade_weights",
            )
        if any(rule.weight < 0 for rule in self.components):
            raise ValidationFailed("分项权重不能为负", field="grade_weights")
        total = sum(rule.weight for rule in self.components)
        if abs(total - 1) > 1e-6:
            raise ValidationFailed(f"分项权重之和应为 1，现为 {total:g}", field="grade_weights")
        if not 0 < self.prior_weight <= 10_000:
            raise ValidationFailed(
                "先验强度应在 0（不含）到 10000 之间", field="grade_prior_weight"
            )
        if not 0 <= self.caution_from <= self.recommended_from <= 100:
            raise ValidationFailed("等级分界应满足 0 ≤ 谨慎 ≤ 建议 ≤ 100", field="grade_thresholds")

    def with_weights(self, weights: dict[str, float]) -> GradePolicy:
        """The same policy with the named components' weights replaced (priors stay)."""
        unknown = set(weights) - {rule.name for rule in self.components}
        if unknown:
            raise ValidationFailed(
                f"不认识的评分分项：{'、'.join(sorted(unknown))}", field="grade_weights"
            )
        components = tuple(
            ComponentRule(r.name, r.label_zh, weights.get(r.name, r.weight), r.prior)
            for r in self.components
        )
        return GradePolicy(components, self.prior_weight, self.recommended_from, self.caution_from)


DEFAULT_POLICY = GradePolicy()


@dataclass(frozen=True, slots=True)
class CaseOutcome:
    """What one closed case contributes to its merchant's grade."""

    case_id: str
    merchant_id: str
    replied: bool
    reply_hours: float | None
    resolved: bool
    agreements: int
    agreements_kept: int
    rating: int | None
    days_to_close: float | None

    @property
    def speed_milli(self) -> int:
        """Speed credit in thousandths: full within a day, falling to none at three days."""
        if self.reply_hours is None:
            return 0
        span = SLOW_REPLY_HOURS - FAST_REPLY_HOURS
        credit = (SLOW_REPLY_HOURS - self.reply_hours) / span
        return round(1000 * min(1.0, max(0.0, credit)))


def outcome_of(case: Case, events: list[CaseEvent]) -> CaseOutcome:
    """A closed case's contribution, read from its record and history."""
    reply_hours = None
    if case.merchant_replied_at and case.submitted_at:
        reply_hours = (case.merchant_replied_at - case.submitted_at).total_seconds() / 3600
    agreed = sum(
        1
        for e in events
        if e.is_transition and e.to_status in (CaseStatus.SETTLED, CaseStatus.AGREEMENT)
    )
    kept = sum(1 for e in events if e.action is Action.CONFIRM_FULFILMENT)
    days = None
    if case.closed_at and case.submitted_at:
        days = (case.closed_at - case.submitted_at).total_seconds() / 86400
    return CaseOutcome(
        case_id=case.id,
        merchant_id=case.merchant_id,
        replied=case.merchant_replied_at is not None,
        reply_hours=reply_hours,
        resolved=kept > 0 and case.status is CaseStatus.CLOSED,
        agreements=agreed,
        agreements_kept=min(kept, agreed),
        rating=case.rating,
        days_to_close=days,
    )


@dataclass(slots=True)
class GradeSums:
    """Running totals per merchant; every field is a count (speed in thousandths)."""

    merchant_id: str
    cases: int = 0
    replied: int = 0
    speed_milli: int = 0
    resolved: int = 0
    agreements: int = 0
    agreements_kept: int = 0
    rating_sum: int = 0
    ratings: int = 0
    violations: int = 0
    pledge_checks: int = 0
    pledge_kept: int = 0
    version: int = 0

    def add_case(self, outcome: CaseOutcome) -> None:
        self.cases += 1
        self.replied += int(outcome.replied)
        self.speed_milli += outcome.speed_milli
        self.resolved += int(outcome.resolved)
        self.agreements += outcome.agreements
        self.agreements_kept += outcome.agreements_kept
        if outcome.rating is not None:
            self.add_rating(outcome.rating)

    def remove_case(self, outcome: CaseOutcome, *, with_rating: bool) -> None:
        """Takes a counted case back out (a dispute found the complaint malicious)."""
        self.cases -= 1
        self.replied -= int(outcome.replied)
        self.speed_milli -= outcome.speed_milli
        self.resolved -= int(outcome.resolved)
        self.agreements -= outcome.agreements
        self.agreements_kept -= outcome.agreements_kept
        if with_rating and outcome.rating is not None:
            self.rating_sum -= outcome.rating
            self.ratings -= 1

    def add_rating(self, stars: int) -> None:
        self.rating_sum += stars
        self.ratings += 1

    def add_pledge_checks(self, checked: int, kept: int) -> None:
        self.pledge_checks += checked
        self.pledge_kept += kept

    def observations(self) -> dict[str, tuple[float, int]]:
        """Per component: (the observed successes, how many observations)."""
        return {
            "response": (self.replied, self.cases),
            "speed": (self.speed_milli / 1000, self.cases),
            "resolution": (self.resolved, self.cases),
            "fulfilment": (self.agreements_kept, self.agreements),
            "satisfaction": ((self.rating_sum - self.ratings) / 4, self.ratings),
            "pledges": (self.pledge_kept, self.pledge_checks),
        }


@dataclass(frozen=True, slots=True)
class ComponentLine:
    name: str
    label_zh: str
    weight: float
    observed: float | None  # the raw rate, None with no observations
    observations: int
    prior: float
    shrunk: float
    points: float


@dataclass(frozen=True, slots=True)
class CreditGrade:
    merchant_id: str
    score: float
    grade: Grade
    cases: int
    lines: tuple[ComponentLine, ...]
    violations: int
    penalty: float
    few_cases: bool
    prior_weight: float = PRIOR_WEIGHT

    @property
    def label_zh(self) -> str:
        return GRADE_LABELS_ZH[self.grade]

    def why(self) -> list[str]:
        """The breakdown in words, as the merchant page shows it."""
        text = [
            f"{line.label_zh}：{_rate(line.observed)}（{line.observations} 次观察），"
            f"按先验 {line.prior:.0%} 加权 {self.prior_weight:g} 次修正为 {line.shrunk:.1%}，"
            f"权重 {line.weight:.0%}，得 {line.points:.1f} 分"
            for line in self.lines
        ]
        if self.violations:
            text.append(f"经查实的违法违规 {self.violations} 起，扣 {self.penalty:.0f} 分")
        if self.few_cases:
            text.append(f"已结案件仅 {self.cases} 件（少于 {FEW_CASES} 件），评分主要取决于先验")
        return text


def _rate(value: float | None) -> str:
    return "暂无数据" if value is None else f"{value:.1%}"


def compute(sums: GradeSums, policy: GradePolicy = DEFAULT_POLICY) -> CreditGrade:
    observed = sums.observations()
    lines = []
    k = policy.prior_weight
    for rule in policy.components:
        successes, n = observed[rule.name]
        shrunk = (successes + k * rule.prior) / (n + k)
        lines.append(
            ComponentLine(
                name=rule.name,
                label_zh=rule.label_zh,
                weight=rule.weight,
                observed=successes / n if n else None,
                observations=n,
                prior=rule.prior,
                shrunk=shrunk,
                points=100 * rule.weight * shrunk,
            )
        )
    penalty = min(MAX_VIOLATION_PENALTY, VIOLATION_PENALTY * sums.violations)
    score = round(max(0.0, sum(line.points for line in lines) - penalty), 1)
    return CreditGrade(
        merchant_id=sums.merchant_id,
        score=score,
        grade=grade_for(score, policy),
        cases=sums.cases,
        lines=tuple(lines),
        violations=sums.violations,
        penalty=penalty,
        few_cases=sums.cases < FEW_CASES,
        prior_weight=k,
    )


def grade_for(score: float, policy: GradePolicy = DEFAULT_POLICY) -> Grade:
    if score >= policy.recommended_from:
        return Grade.RECOMMENDED
    if score >= policy.caution_from:
        return Grade.CAUTION
    return Grade.NOT_RECOMMENDED


@dataclass(frozen=True, slots=True)
class GradeHistoryEntry:
    merchant_id: str
    at: datetime
    score: float
    grade: Grade
    cases: int
    trigger: str  # what moved it: "case:<id>", "report:<id>", "rating:<case id>"
