"""R13: refunds of prepaid balances (条例 Art 22; 预付式消费解释 Art 14–22).

Fractions of a fen are rounded in the consumer's favour (处罚办法 Art 10: where nothing was agreed,
the conversion most favourable to the consumer applies).
"""

from __future__ import annotations

import math
from datetime import date
from fractions import Fraction

from weiquan.domain.rules import articles as art
from weiquan.domain.rules.facts import PrepaidFacts
from weiquan.domain.rules.model import ArticleRef, Finding, RuleId
from weiquan.domain.rules.periods import RuleContext
from weiquan.domain.rules.text import day, yuan_en, yuan_zh


def prepaid_refund_fen(prepaid: PrepaidFacts) -> int:
    """The unused principal to return, without interest (§9 R13)."""
    if prepaid.consumer_at_fault:
        # Consumed value at the undiscounted face value; the consumer never owes more than paid.
        return max(prepaid.paid_fen - prepaid.used_face_value_fen, 0)
    balance = prepaid.paid_fen + prepaid.bonus_fen
    if balance == 0:
        return 0
    consumed = Fraction(prepaid.used_face_value_fen * prepaid.paid_fen, balance)
    return prepaid.paid_fen - math.floor(consumed)


def prepaid_refund(ctx: RuleContext) -> Finding | None:
    prepaid = ctx.facts.prepaid
    if prepaid is None:
        return None
    rule = RuleId.PREPAID_REFUND
    if prepaid.paid_at is not None and prepaid.used_face_value_fen == 0:
        window = ctx.days_after(prepaid.paid_at, 7, rule=rule)
        if ctx.facts.today <= window.day:
            return Finding(
                rule=rule,
                applies=True,
                articles=(art.PPI_14, art.REG_22),
                remedy="full_refund",
                amount_fen=prepaid.paid_fen,
                deadline=window.day,
                explanation_zh=f"付款之日起7日内（至 {day(window.day)}）且尚未消费，可要求全额返还预付款本金 "
                f"{yuan_zh(prepaid.paid_fen)}（此前已获得过相同商品或服务的除外）。",
                explanation_en=f"Within 7 days of payment (to {day(window.day)}) and nothing used: "
                f"the whole principal of {yuan_en(prepaid.paid_fen)} comes back "
                "(unless the same goods or service had been received before).",
            )
    if prepaid.unlimited_use_until is not None and prepaid.paid_at is not None:
        return _time_based_refund(ctx, prepaid, prepaid.paid_at, prepaid.unlimited_use_until)
    return _balance_refund(prepaid)


def _balance_refund(prepaid: PrepaidFacts) -> Finding:
    refund = prepaid_refund_fen(prepaid)
    cited: tuple[ArticleRef, ...]
    if prepaid.consumer_at_fault:
        zh = (
            f"因消费者自身原因解除的，已消费部分按原价（不计赠送和折扣）{yuan_zh(prepaid.used_face_value_fen)} "
            f"计算，可退 {yuan_zh(refund)}，利息按一年期定期存款基准利率计算。"
        )
        en = (
            f"Ended for the consumer's own reasons: what was used counts at face value "
            f"({yuan_en(prepaid.used_face_value_fen)}), so {yuan_en(refund)} comes back, with "
            "interest at the 1-year deposit rate."
        )
        cited = (art.REG_22, art.PPI_19, art.PPI_16)
    else:
        zh = (
            f"非因消费者原因：已消费面值 {yuan_zh(prepaid.used_face_value_fen)} 按 实付/(实付+赠送) 折算，"
            f"应退未消费余额 {yuan_zh(refund)}，并按合同成立时一年期贷款市场报价利率计付利息。"
        )
        en = (
            f"Not the consumer's fault: the {yuan_en(prepaid.used_face_value_fen)} used is scaled "
            f"by paid/(paid + bonus), so the unused {yuan_en(refund)} comes back, with interest "
            "at the 1-year LPR of the contract date."
        )
        cited = (art.REG_22, art.PPI_18, art.PPI_16, art.CPM_10)
    return Finding(
        rule=RuleId.PREPAID_REFUND,
        applies=refund > 0,
        articles=cited,
        remedy="refund_balance" if refund > 0 else None,
        amount_fen=refund,
        explanation_zh=zh,
        explanation_en=en,
    )


def _time_based_refund(
    ctx: RuleContext, prepaid: PrepaidFacts, start: date, until: date
) -> Finding:
    total = (until - start).days
    remaining = max((until - ctx.facts.today).days, 0)
    refund = math.ceil(Fraction(prepaid.paid_fen * remaining, total)) if total else 0
    return Finding(
        rule=RuleId.PREPAID_REFUND,
        applies=refund > 0,
        articles=(art.PPI_22, art.REG_22),
        remedy="refund_remaining_term" if refund > 0 else None,
        amount_fen=refund,
        explanation_zh=f"不限次数的服务按剩余期限比例退款：剩余 {remaining} 天 / 共 {total} 天，"
        f"应退 {yuan_zh(refund)}。",
        explanation_en=f"Unlimited-use service: refund in proportion to the time left, {remaining} "
        f"of {total} days, i.e. {yuan_en(refund)}.",
    )
