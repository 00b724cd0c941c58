"""Checks a consumer's claims against what the findings allow, so an excessive claim is explained
before it is submitted — never silently accepted, never silently cut (PRODUCT: 确保维权请求合理、
合法、有效).

A claim is flagged, with the reason and the ceiling, when:
- a refund asks for more than was paid (消保法 Art 24: the price is refunded, not more);
- compensation asks for more than the higher of the punitive amounts the facts support plus the
  stated actual loss (R3 and R5 do not stack: the consumer chooses one), or there is no basis at all
  (民法典 Art 584: damages are limited to the loss);
- a return, exchange or repair has no finding under which it applies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from weiquan.domain.errors import ValidationFailed
from weiquan.domain.money import format_fen, require_amount
from weiquan.domain.rules.model import Assessment, RuleId

PUNITIVE = (RuleId.PUNITIVE_FRAUD, RuleId.PUNITIVE_FOOD, RuleId.PUNITIVE_INJURY)
GOODS_REMEDIES = (RuleId.RETURN_7DAY, RuleId.QUALITY_REMEDY)
CLAIM_KINDS = frozenset(
    {"refund", "return", "exchange", "repair", "compensation", "apology", "other"}
)


@dataclass(frozen=True, slots=True)
class ClaimedRemedy:
    kind: str
    amount_fen: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in CLAIM_KINDS:
            raise ValidationFailed(f"未知的诉求类型：{self.kind}", field="claims.kind")
        if self.amount_fen is not None:
            require_amount(self.amount_fen, field="claims.amount_fen")


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimCheck:
    kind: str
    amount_fen: int | None
    within_law: bool
    reason_zh: str
    reason_en: str
    ceiling_fen: int | None = None
    rules: tuple[RuleId, ...] = ()


def check_claims(
    claims: Sequence[ClaimedRemedy],
    assessment: Assessment,
    *,
    price_paid_fen: int | None,
    loss_fen: int | None,
) -> list[ClaimCheck]:
    return [_check(claim, assessment, price_paid_fen, loss_fen) for claim in claims]


def _check(
    claim: ClaimedRemedy, assessment: Assessment, price: int | None, loss: int | None
) -> ClaimCheck:
    if claim.kind == "refund":
        return _check_refund(claim, price)
    if claim.kind == "compensation":
        return _check_compensation(claim, assessment, loss)
    if claim.kind in ("return", "exchange", "repair"):
        return _check_goods_remedy(claim, assessment)
    return ClaimCheck(
        kind=claim.kind,
        amount_fen=claim.amount_fen,
        within_law=True,
        reason_zh="此项诉求不涉及金额上限。",
        reason_en="This claim has no legal ceiling to check.",
    )


def _check_refund(claim: ClaimedRemedy, price: int | None) -> ClaimCheck:
    amount = claim.amount_fen
    if price is None or amount is None or amount <= price:
        return ClaimCheck(
            kind="refund",
            amount_fen=amount,
            within_law=True,
            ceiling_fen=price,
            rules=(RuleId.REFUND_DUE,),
            reason_zh="退款以实际支付的价款为限。",
            reason_en="A refund is at most the price paid.",
        )
    return ClaimCheck(
        kind="refund",
        amount_fen=amount,
        within_law=False,
        ceiling_fen=price,
        rules=(RuleId.REFUND_DUE,),
        reason_zh=(
            f"退款金额 {format_fen(amount)} 超过实付金额 {format_fen(price)}：退款以实际支付的价款为限"
            "（消费者权益保护法第24条）；超出部分如属损失，请作为“赔偿”提出并说明依据。"
        ),
        reason_en=(
            f"The refund of {format_fen(amount)} exceeds the {format_fen(price)} paid; ask for "
            "any further loss as compensation, with its basis."
        ),
    )


def _check_compensation(
    claim: ClaimedRemedy, assessment: Assessment, loss: int | None
) -> ClaimCheck:
    applying = [
        f
        for f in assessment.findings
        if f.rule in PUNITIVE and f.applies and f.amount_fen is not None
    ]
    best = max(applying, key=lambda f: f.amount_fen or 0, default=None)
    ceiling = (best.amount_fen or 0 if best else 0) + (loss or 0)
    rules = (best.rule,) if best else ()
    amount = claim.amount_fen
    if ceiling == 0:
        return ClaimCheck(
            kind="compensation",
            amount_fen=amount,
            within_law=False,
            reason_zh=(
                "根据已填写的事实，没有可依据的惩罚性赔偿条款，也未填写实际损失；赔偿以实际损失为限"
                "（民法典第584条）。如商家有欺诈或食品不符合安全标准，请补充相应事实。"
            ),
            reason_en=(
                "On these facts no punitive damages apply and no actual loss is stated; damages "
                "are limited to the loss (Civil Code Art 584)."
            ),
        )
    if amount is None or amount <= ceiling:
        return ClaimCheck(
            kind="compensation",
            amount_fen=amount,
            within_law=True,
            ceiling_fen=ceiling,
            rules=rules,
            reason_zh=f"在法律允许的范围内（上限 {format_fen(ceiling)}）。",
            reason_en=f"Within what the law allows (up to {format_fen(ceiling)}).",
        )
    basis = f"依据 {best.rule.value}" if best else "无"
    return ClaimCheck(
        kind="compensation",
        amount_fen=amount,
        within_law=False,
        ceiling_fen=ceiling,
        rules=rules,
        reason_zh=(
            f"赔偿金额 {format_fen(amount)} 超过依法可主张的 {format_fen(ceiling)}（惩罚性赔偿{basis}，"
            "加实际损失；欺诈三倍赔偿与食品十倍赔偿不能同时主张）。"
        ),
        reason_en=(
            f"The compensation of {format_fen(amount)} exceeds the {format_fen(ceiling)} the law "
            "supports (the higher punitive amount plus the actual loss; R3 and R5 do not stack)."
        ),
    )


def _check_goods_remedy(claim: ClaimedRemedy, assessment: Assessment) -> ClaimCheck:
    supporting = tuple(
        f.rule for f in assessment.findings if f.rule in GOODS_REMEDIES and f.applies
    )
    if supporting:
        return ClaimCheck(
            kind=claim.kind,
            amount_fen=claim.amount_fen,
            within_law=True,
            rules=supporting,
            reason_zh="有法律依据支持该诉求。",
            reason_en="The law supports this claim on these facts.",
        )
    return ClaimCheck(
        kind=claim.kind,
        amount_fen=claim.amount_fen,
        within_law=False,
        reason_zh=(
            "根据已填写的事实，七日无理由退货和质量问题退换修均不适用；"
            "可与商家协商，或补充质量问题等事实。"
        ),
        reason_en=(
            "On these facts neither the 7-day return nor the quality remedies apply; negotiate, "
            "or add facts such as a quality defect."
        ),
    )
