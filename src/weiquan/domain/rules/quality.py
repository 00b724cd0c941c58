"""R2: remedies for goods that do not conform (消保法 Art 23–24; 民法典 Art 582, 610, 621).

The day the consumer raised the problem is ``return_notice_at`` when given, else ``today``.
"""

from __future__ import annotations

from datetime import date

from weiquan.domain.rules import articles as art
from weiquan.domain.rules.facts import Goods, Problem
from weiquan.domain.rules.model import ArticleRef, Finding, RuleId
from weiquan.domain.rules.periods import RuleContext
from weiquan.domain.rules.text import capitalised, day

NONCONFORMING = frozenset(
    {
        Problem.QUALITY_DEFECT,
        Problem.NOT_AS_DESCRIBED,
        Problem.FRAUD,
        Problem.UNSAFE_FOOD,
        Problem.KNOWING_DEFECT_INJURY,
    }
)


def quality_remedy(ctx: RuleContext) -> Finding | None:
    facts = ctx.facts
    if facts.problem is Problem.LABEL_FLAW_ONLY:
        return Finding(
            rule=RuleId.QUALITY_REMEDY,
            applies=False,
            articles=(art.CPL_23, art.CPL_24),
            explanation_zh="仅有标签、说明瑕疵而不影响质量、不造成误导的，不构成质量不合格；可要求更正。",
            explanation_en="A label or manual flaw that neither affects quality nor misleads is not "
            "a quality defect; the consumer may ask for it to be corrected.",
        )
    if facts.problem not in NONCONFORMING:
        return None
    if facts.signed_at is None:
        return Finding(
            rule=RuleId.QUALITY_REMEDY,
            applies=True,
            articles=(art.CPL_24, art.CC_582),
            remedy="return_replace_or_repair",
            explanation_zh="商品不符合质量要求，可要求退货、更换或修理，运输等必要费用由经营者承担；"
            "请补充签收日期以判断能否直接退货。",
            explanation_en="Non-conforming goods may be returned, replaced or repaired at the "
            "business's transport cost; give the signing date to see whether a "
            "straight return is open.",
        )
    raised = facts.return_notice_at or facts.today
    # 民法典 Art 621(2): the 2-year notice limit does not protect a seller who knew of the defect.
    seller_knew = facts.problem in {Problem.FRAUD, Problem.KNOWING_DEFECT_INJURY}
    if seller_knew or ctx.still_within_years(facts.signed_at, 2, on=raised):
        return _remedy(ctx, facts.signed_at, raised)
    notice_limit = ctx.years_after(facts.signed_at, 2, rule=RuleId.QUALITY_REMEDY)
    if raised > notice_limit.day:
        return Finding(
            rule=RuleId.QUALITY_REMEDY,
            applies=False,
            articles=(art.CC_621,),
            deadline=notice_limit.day,
            explanation_zh=f"自收货起2年内（至 {day(notice_limit.day)}）未提出质量异议的，视为质量合格"
            "（有质保期的按质保期；出卖人知道或应当知道瑕疵的不受此限）。",
            explanation_en=f"No quality objection within 2 years of receipt (by "
            f"{day(notice_limit.day)}) means the goods count as conforming (a "
            "warranty period prevails; a seller who knew is not protected).",
        )
    # In time only thanks to the roll-over of the 2-year limit: say what it rested on.
    return _remedy(ctx, facts.signed_at, raised, also_cite=(art.CC_621, art.CC_203))


def _remedy(
    ctx: RuleContext, signed: date, raised: date, *, also_cite: tuple[ArticleRef, ...] = ()
) -> Finding:
    facts = ctx.facts
    consumer = not facts.is_business_purchase
    seven = ctx.days_after(signed, 7, rule=RuleId.QUALITY_REMEDY)
    cited: list[ArticleRef] = [art.CPL_24] if consumer else []
    # Only consumers have the unconditional 7-day return (消保法 Art 24); for them, reaching the
    # other branches means the 7 days are over.
    past_zh, past_en = ("已超过7日，", "more than 7 days after receipt, ") if consumer else ("", "")
    if consumer and raised <= seven.day:
        remedy, deadline = "return", seven.day
        cited.append(art.REG_18)
        zh = f"收货后7日内（至 {day(seven.day)}）提出的，可以直接退货，按实付价款一次性退清。"
        en = (
            f"Raised within 7 days of receipt (by {day(seven.day)}): a straight return, refunded "
            "in full at the price paid."
        )
    elif facts.purpose_defeated:
        remedy, deadline = "return", None
        cited += [art.CC_610, art.REG_18] if consumer else [art.CC_610]
        zh = f"{past_zh}质量问题致使不能实现合同目的，可以解除合同退货。"
        en = capitalised(
            f"{past_en}the defect defeats the purpose of the contract, so it may be rescinded."
        )
    else:
        remedy, deadline = "replace_or_repair", None
        cited += [art.CC_582, art.PQL_40]
        zh = f"{past_zh}质量问题不影响合同目的实现，可要求更换或修理。"
        en = capitalised(
            f"{past_en}the purpose of the contract is not defeated, so the "
            "remedy is replacement or repair."
        )
    burden_zh, burden_en = "", ""
    if consumer and facts.goods is Goods.DURABLE:
        six_months = ctx.months_after(signed, 6, rule=RuleId.QUALITY_REMEDY)
        if raised <= six_months.day:
            cited.append(art.CPL_23)
            deadline = deadline or six_months.day
            burden_zh = f"耐用商品自收货起6个月内（至 {day(six_months.day)}）发现瑕疵，由经营者承担举证责任。"
            burden_en = (
                f" Durable goods within 6 months of receipt (to {day(six_months.day)}): "
                "the business must prove there is no defect."
            )
    cost_zh = "运输等必要费用由经营者承担。" if consumer else ""
    cost_en = " The business pays transport and other necessary costs." if consumer else ""
    return Finding(
        rule=RuleId.QUALITY_REMEDY,
        applies=True,
        articles=(*cited, *also_cite),
        remedy=remedy,
        amount_fen=facts.price_paid_fen if remedy == "return" else None,
        deadline=deadline,
        explanation_zh=zh + burden_zh + cost_zh,
        explanation_en=en + burden_en + cost_en,
    )
