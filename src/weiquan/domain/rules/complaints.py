"""R6 admissibility of an administrative complaint and R8 civil limitation.

R7 (reports, 举报) has no finding of its own: its clock lives in :func:`periods.report_clock`
for the report workflow, and the wilful-delay finding says when a report is worth making.
"""

from __future__ import annotations

from weiquan.domain.rules import articles as art
from weiquan.domain.rules.facts import Facts, Problem
from weiquan.domain.rules.model import ArticleRef, Finding, RuleId
from weiquan.domain.rules.periods import PeriodEnd, RuleContext
from weiquan.domain.rules.returns import touches_purchase
from weiquan.domain.rules.text import day


def _touches_complaint(facts: Facts) -> bool:
    return touches_purchase(facts) or any(
        value is not None
        for value in (
            facts.prepaid,
            facts.knew_of_harm_at,
            facts.handled_elsewhere,
            facts.problem,
            facts.purpose,
            facts.price_paid_fen,
        )
    )


def _rejection_grounds(ctx: RuleContext) -> list[tuple[str, str]]:
    facts = ctx.facts
    grounds: list[tuple[str, str]] = []
    if facts.is_business_purchase:
        grounds.append(
            (
                "不是为生活消费需要购买（第15条第3项）",
                "the purchase was not for personal consumption (Art 15(3))",
            )
        )
    if facts.handled_elsewhere:
        grounds.append(
            (
                "同一争议已由法院、仲裁机构、行政机关、消协或调解组织受理或处理（第15条第2项）",
                (
                    "a court, arbitrator, authority, consumer association or mediator "
                    "has already taken up the same dispute (Art 15(2))"
                ),
            )
        )
    knew = facts.knew_of_harm_at
    if knew is not None and not ctx.still_within_years(knew, 3, on=facts.today):
        window = ctx.years_after(knew, 3, rule=RuleId.ADMISSIBILITY)
        if facts.today > window.day:
            grounds.append(
                (
                    f"自知道权益受侵害之日起已超过3年（截至 {day(window.day)}）（第15条第4项）",
                    (
                        f"more than 3 years have passed since the harm became known "
                        f"(the period ended {day(window.day)}) (Art 15(4))"
                    ),
                )
            )
    return grounds


def admissibility(ctx: RuleContext) -> Finding | None:
    facts = ctx.facts
    if not _touches_complaint(facts):
        return None
    decide_by = ctx.working_days_after(facts.today, 7, field="today")
    grounds = _rejection_grounds(ctx)
    cited: tuple[ArticleRef, ...] = (art.CMP_14, art.REG_46)
    clock_zh = f"如今天提交，市场监管部门应在 {day(decide_by)} 前（7个工作日）决定是否受理并告知。"
    clock_en = (
        f"Filed today, the market regulator must decide on acceptance and say so by "
        f"{day(decide_by)} (7 working days)."
    )
    if grounds:
        return Finding(
            rule=RuleId.ADMISSIBILITY,
            applies=False,
            articles=(*cited, art.CMP_15),
            remedy="other_channels",
            deadline=decide_by,
            explanation_zh="投诉将不予受理："
            + "；".join(g[0] for g in grounds)
            + f"。可考虑协商、调解、仲裁或诉讼。{clock_zh}",
            explanation_en="The complaint would be rejected: "
            + "; ".join(g[1] for g in grounds)
            + f". Negotiation, mediation, arbitration or court remain. {clock_en}",
        )
    return Finding(
        rule=RuleId.ADMISSIBILITY,
        applies=True,
        articles=(*cited, art.CMP_21),
        remedy="file_complaint",
        deadline=decide_by,
        explanation_zh=f"投诉可以受理（须写明身份、被投诉人、具体请求和事实）。{clock_zh}"
        "受理后经双方同意调解的，应在受理后60日与45个工作日中较早者届满前调解完毕，检测鉴定时间不计入。",
        explanation_en=f"The complaint is admissible (it must name the complainant, the business, "
        f"the request and the facts). {clock_en} If both sides agree to mediate, "
        "mediation must end by the earlier of 60 days and 45 working days after "
        "acceptance, not counting testing time.",
    )


def limitation(ctx: RuleContext) -> Finding | None:
    facts = ctx.facts
    if facts.knew_of_harm_at is None:
        return None
    rule = RuleId.LIMITATION
    if facts.problem is Problem.KNOWING_DEFECT_INJURY:
        # 产品质量法 Art 45 is the special rule 民法典 Art 188 defers to ("法律另有规定的").
        end: PeriodEnd = ctx.years_after(facts.knew_of_harm_at, 2, rule=rule)
        cited: tuple[ArticleRef, ...] = (art.PQL_45, art.CC_188)
        period_zh, period_en = "产品缺陷损害赔偿的诉讼时效为2年", "Product-defect damages: 2 years"
        if facts.signed_at is not None:
            long_stop = ctx.years_after(facts.signed_at, 10, rule=rule)
            if long_stop.day < end.day:
                end = long_stop
                period_zh += "，且自交付最初消费者满10年丧失"
                period_en += ", and lost 10 years after delivery to the first consumer"
    else:
        end = ctx.years_after(facts.knew_of_harm_at, 3, rule=rule)
        cited = (art.CC_188,)
        period_zh, period_en = (
            "诉讼时效为3年，自知道或应当知道权利受损之日起算",
            ("The limitation period is 3 years from when the harm became known"),
        )
    if end.rolled:
        cited = (*cited, art.CC_203)
    if facts.today <= end.day:
        return Finding(
            rule=rule,
            applies=True,
            articles=cited,
            remedy="claim_in_time",
            deadline=end.day,
            explanation_zh=f"{period_zh}，截止 {day(end.day)}，目前仍在时效内。",
            explanation_en=f"{period_en}; it ends on {day(end.day)} and the claim is still in time.",
        )
    ctx.caveat(
        "limitation_is_a_defence_unverified",
        "【未核实】诉讼时效是抗辩事由，一般认为法院不主动适用；对方未提出时效抗辩的，仍可能获得支持。",
        "[UNVERIFIED] Limitation is generally a defence the court does not raise of its own "
        "motion; a late claim may still succeed if the other side does not plead it.",
        rule=rule,
    )
    return Finding(
        rule=rule,
        applies=False,
        articles=cited,
        deadline=end.day,
        explanation_zh=f"{period_zh}，已于 {day(end.day)} 届满。",
        explanation_en=f"{period_en}; it ended on {day(end.day)}.",
    )
