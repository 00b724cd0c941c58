"""R11 trademark damages (商标法 Art 63–64) and R12 resale-price-maintenance risk (反垄断法 Art 18).

These serve the loss-assessment tool for merchants and brands.  R12 exists to *warn*: the product
never enforces resale prices (see the legal guardrails in the product brief).
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction

from weiquan.domain.rules import articles as art
from weiquan.domain.rules.facts import PriceClause, ResalePriceFacts, TrademarkFacts
from weiquan.domain.rules.model import Finding, RuleId
from weiquan.domain.rules.periods import RuleContext
from weiquan.domain.rules.text import yuan_en, yuan_zh

STATUTORY_TRADEMARK_CAP_FEN = 5_000_000_00
MAX_TRADEMARK_MULTIPLE = Fraction(5)


def _round_fen(amount: Fraction) -> int:
    """Half-up rounding to whole fen (amounts here are never negative)."""
    return int(amount + Fraction(1, 2))


def _base_damages(tm: TrademarkFacts) -> tuple[str, int] | None:
    """Art 63(1): the first computable of actual loss, the infringer's profit, a licence multiple."""
    if tm.actual_loss_fen is not None:
        return ("actual_loss", tm.actual_loss_fen)
    if tm.infringer_profit_fen is not None:
        return ("infringer_profit", tm.infringer_profit_fen)
    if tm.licence_fee_fen is not None:
        return ("licence_fee_multiple", _round_fen(tm.licence_fee_fen * tm.licence_fee_multiple))
    return None


_BASIS_TEXT = {
    "actual_loss": ("权利人的实际损失", "the right-holder's actual loss"),
    "infringer_profit": ("侵权人因侵权所获利益", "the infringer's profit"),
    "licence_fee_multiple": (
        "商标许可使用费的合理倍数",
        "a reasonable multiple of the licence fee",
    ),
}


def trademark_damages(ctx: RuleContext) -> Finding | None:
    tm = ctx.facts.trademark
    if tm is None:
        return None
    rule = RuleId.TRADEMARK_DAMAGES
    if tm.lawful_source_proven:
        return Finding(
            rule=rule,
            applies=False,
            articles=(art.TML_64,),
            remedy="stop_selling",
            explanation_zh="销售者不知道是侵权商品，能证明合法取得并说明提供者的，不承担赔偿责任，但应停止销售。",
            explanation_en="A seller who did not know, proves a lawful source and names the "
            "supplier owes no damages, but must stop selling.",
        )
    if tm.mark_unused_three_years:
        return Finding(
            rule=rule,
            applies=False,
            articles=(art.TML_64,),
            remedy="stop_infringement",
            explanation_zh="注册商标专用权人不能证明此前3年实际使用过该商标、也不能证明因侵权受到其他损失的，被控侵权人不承担赔偿责任。",
            explanation_en="A mark unused for the prior 3 years, with no other loss shown, earns "
            "no damages (the infringement must still stop).",
        )
    base = _base_damages(tm)
    if base is None:
        return Finding(
            rule=rule,
            applies=True,
            articles=(art.TML_63,),
            remedy="statutory",
            amount_fen=STATUTORY_TRADEMARK_CAP_FEN,
            explanation_zh="实际损失、侵权获利和许可使用费均难以确定的，由法院根据侵权情节判决500万元以下的赔偿。",
            explanation_en="With no loss, profit or licence fee to go on, the court awards up to "
            "CNY 5,000,000 according to the circumstances.",
        )
    return _computed_damages(tm, *base)


def _computed_damages(tm: TrademarkFacts, basis: str, base_fen: int) -> Finding:
    basis_zh, basis_en = _BASIS_TEXT[basis]
    multiple = Fraction(1)
    punitive_zh = punitive_en = ""
    if tm.bad_faith_serious:
        multiple = tm.punitive_multiple or MAX_TRADEMARK_MULTIPLE
        shown = f"{float(multiple):g}"
        punitive_zh = f"恶意侵权且情节严重，按{shown}倍计算（法定1–5倍）；"
        punitive_en = f" Wilful and serious infringement: ×{shown} (the law allows 1–5)."
    total = _round_fen(base_fen * multiple) + tm.enforcement_costs_fen
    return Finding(
        rule=RuleId.TRADEMARK_DAMAGES,
        applies=True,
        articles=(art.TML_63,),
        remedy=basis,
        amount_fen=total,
        explanation_zh=f"按{basis_zh}计算：{yuan_zh(base_fen)}；{punitive_zh}加上制止侵权的合理开支 "
        f"{yuan_zh(tm.enforcement_costs_fen)}，合计 {yuan_zh(total)}。",
        explanation_en=f"Based on {basis_en}: {yuan_en(base_fen)}.{punitive_en} Plus reasonable "
        f"enforcement costs of {yuan_en(tm.enforcement_costs_fen)}: "
        f"{yuan_en(total)} in all.",
    )


SAFE_HARBOUR_FROM = date(2026, 2, 1)
RPM_SHARE_LIMIT = Fraction(5)
RPM_TURNOVER_LIMIT_FEN = 100_000_000_00
NON_PRICE_SHARE_LIMIT = Fraction(15)
NO_SALES_FINE_CAP_FEN = 5_000_000_00
UNIMPLEMENTED_FINE_CAP_FEN = 3_000_000_00


def _fine_exposure(rp: ResalePriceFacts) -> int | None:
    """反垄断法 Art 56: up to 10% of prior-year sales; ≤5 M without sales; ≤3 M if not implemented."""
    if not rp.implemented:
        return UNIMPLEMENTED_FINE_CAP_FEN
    if rp.prior_year_sales_fen is None:
        return None
    if rp.prior_year_sales_fen == 0:
        return NO_SALES_FINE_CAP_FEN
    return _round_fen(Fraction(rp.prior_year_sales_fen, 10))


def _in_rpm_safe_harbour(rp: ResalePriceFacts, today: date) -> bool:
    return (
        today >= SAFE_HARBOUR_FROM
        and rp.market_share_percent is not None
        and rp.market_share_percent < RPM_SHARE_LIMIT
        and rp.goods_turnover_fen is not None
        and rp.goods_turnover_fen < RPM_TURNOVER_LIMIT_FEN
    )


def rpm_risk(ctx: RuleContext) -> Finding | None:
    rp = ctx.facts.resale_price
    if rp is None:
        return None
    rule = RuleId.RPM_RISK
    if rp.clause in {PriceClause.MAXIMUM, PriceClause.RECOMMENDED}:
        return Finding(
            rule=rule,
            applies=False,
            articles=(art.AML_18,),
            explanation_zh="最高转售价或不附奖惩的建议零售价不属于禁止的固定或限定最低转售价格；一旦附带奖惩即可能变成限价。",
            explanation_en="A maximum resale price, or a recommended price with no rewards or "
            "penalties attached, is not banned; attach penalties and it becomes RPM.",
        )
    if rp.genuine_agency:
        return Finding(
            rule=rule,
            applies=False,
            articles=(art.AML_18, art.MCI_21_23),
            explanation_zh="代理商不承担实质性商业风险的真实代理关系，不属于转售价格限制。",
            explanation_en="A genuine agent bearing no substantive commercial risk does not resell: "
            "no resale-price restraint.",
        )
    if rp.clause is PriceClause.NON_PRICE:
        return _non_price_restraint(ctx, rp)
    return _price_restraint(ctx, rp)


def _non_price_restraint(ctx: RuleContext, rp: ResalePriceFacts) -> Finding:
    safe = (
        ctx.facts.today >= SAFE_HARBOUR_FROM
        and rp.market_share_percent is not None
        and rp.market_share_percent < NON_PRICE_SHARE_LIMIT
    )
    if safe:
        return Finding(
            rule=RuleId.RPM_RISK,
            applies=False,
            articles=(art.MAP_SAFE_HARBOUR,),
            explanation_zh="非价格纵向限制，相关市场份额低于15%，处于安全港内。",
            explanation_en="A non-price vertical restraint with a market share below 15%: inside "
            "the safe harbour.",
        )
    return Finding(
        rule=RuleId.RPM_RISK,
        applies=True,
        articles=(art.AML_18, art.MAP_SAFE_HARBOUR),
        remedy="effects_review",
        explanation_zh="非价格纵向限制不在安全港内（份额未知或不低于15%），需要评估其排除、限制竞争的效果；任何措施都不得以价格为触发条件。",
        explanation_en="A non-price vertical restraint outside the safe harbour (share unknown or "
        "15% or more) needs an effects review; nothing may be triggered by price.",
    )


def _price_restraint(ctx: RuleContext, rp: ResalePriceFacts) -> Finding:
    today = ctx.facts.today
    if _in_rpm_safe_harbour(rp, today):
        return Finding(
            rule=RuleId.RPM_RISK,
            applies=False,
            articles=(art.AML_18, art.MAP_SAFE_HARBOUR),
            explanation_zh="协议期间相关市场份额低于5%且所涉商品营业额低于1亿元，处于2026年2月1日起施行的安全港内（安全港转移举证责任，并非豁免）。",
            explanation_en="Share below 5% and turnover of the goods below CNY 100 M: inside the "
            "safe harbour in force since 2026-02-01 (it shifts the burden, it is "
            "not immunity).",
        )
    if rp.proves_no_effect:
        return Finding(
            rule=RuleId.RPM_RISK,
            applies=False,
            articles=(art.AML_18, art.MCI_21_23),
            explanation_zh="经营者能够证明该协议不具有排除、限制竞争效果的，不予禁止（举证责任在经营者）。",
            explanation_en="The firm proves the agreement has no anticompetitive effect, so it is "
            "not banned (the burden is the firm's).",
        )
    exposure = _fine_exposure(rp)
    fine_zh = (
        f"罚款风险最高约 {yuan_zh(exposure)}，"
        if exposure is not None
        else "罚款为上一年度销售额的1%–10%，"
    )
    fine_en = (
        f"Fine exposure up to about {yuan_en(exposure)}; "
        if exposure is not None
        else "Fines run at 1–10% of prior-year sales; "
    )
    return Finding(
        rule=RuleId.RPM_RISK,
        applies=True,
        articles=(art.AML_18, art.AML_56, art.AML_63, art.ECL_35),
        remedy="prohibited_rpm",
        amount_fen=exposure,
        explanation_zh="固定转售价格或限定最低转售价格属于被禁止的纵向垄断协议。"
        f"{fine_zh}情节特别严重的可按2–5倍处罚；平台对商家控价还可能违反电子商务法第35条。"
        "本系统不提供任何价格管控功能。",
        explanation_en="Fixing resale prices or setting a minimum resale price is a banned "
        f"vertical agreement. {fine_en}especially serious cases ×2–5; a platform "
        "policing merchants' prices may also breach E-Commerce Law Art 35. This "
        "product offers no price enforcement.",
    )
