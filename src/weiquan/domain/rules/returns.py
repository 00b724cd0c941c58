"""R1: the seven-day no-reason return for remote sales, and the refund clock that follows it.

Interpretation: the 7 days are calendar days counted from the day after signing (办法 Art 10), and
a last day that is a rest day rolls over to the next working day (民法典 Art 203).  Many platforms
count 7×24 hours instead; ours is the reading more favourable to the consumer and the one the
Civil Code prescribes for periods in law.
"""

from __future__ import annotations

from weiquan.domain.rules import articles as art
from weiquan.domain.rules.facts import Channel, Facts, Goods, Problem, Purpose
from weiquan.domain.rules.model import ArticleRef, Finding, RuleId
from weiquan.domain.rules.periods import PeriodEnd, RuleContext
from weiquan.domain.rules.text import day

STATUTORY_EXCLUSIONS = frozenset(
    {Goods.CUSTOM_MADE, Goods.FRESH_PERISHABLE, Goods.DIGITAL_UNSEALED, Goods.NEWSPAPER_PERIODICAL}
)
EXCLUDED_ONLY_IF_CONFIRMED = frozenset(
    {Goods.HYGIENE_UNSEALED, Goods.ACTIVATION_VALUE_LOSS, Goods.NEAR_EXPIRY_OR_FLAWED_DISCLOSED}
)
_GOODS_ZH = {
    Goods.CUSTOM_MADE: "定作商品",
    Goods.FRESH_PERISHABLE: "鲜活易腐商品",
    Goods.DIGITAL_UNSEALED: "在线下载或已拆封的数字化商品",
    Goods.NEWSPAPER_PERIODICAL: "已交付的报纸、期刊",
    Goods.HYGIENE_UNSEALED: "拆封后影响人身安全或品质的商品",
    Goods.ACTIVATION_VALUE_LOSS: "激活或试用后价值贬损较大的商品",
    Goods.NEAR_EXPIRY_OR_FLAWED_DISCLOSED: "已明示临近保质期或有瑕疵的商品",
}


def touches_purchase(facts: Facts) -> bool:
    """Whether the facts describe a purchase of goods at all (not only a brand or prepaid matter)."""
    return any(
        value is not None
        for value in (
            facts.channel,
            facts.signed_at,
            facts.return_notice_at,
            facts.goods_received_back_at,
        )
    ) or (facts.goods is not None and facts.goods is not Goods.PREPAID_SERVICE)


def return_window(ctx: RuleContext) -> PeriodEnd | None:
    """The last day to send the return notice: signing day + 7, rolled past rest days."""
    if ctx.facts.signed_at is None:
        return None
    return ctx.days_after(ctx.facts.signed_at, 7, rule=RuleId.RETURN_7DAY)


def _refusal(reason_zh: str, reason_en: str, *cited: ArticleRef) -> Finding:
    return Finding(
        rule=RuleId.RETURN_7DAY,
        applies=False,
        articles=(art.CPL_25, *cited),
        explanation_zh=f"不适用七日无理由退货：{reason_zh}",
        explanation_en=f"No 7-day no-reason return: {reason_en}",
    )


def _exclusion(ctx: RuleContext) -> Finding | None:
    """A refusal on the nature of the goods, or None when the goods qualify."""
    facts = ctx.facts
    goods = facts.goods
    if goods is None or facts.seller_promised_returns:
        return None
    if goods is Goods.PREPAID_SERVICE:
        return _refusal(
            "该条只适用于商品，不适用于预付服务。", "the right covers goods, not prepaid services."
        )
    if goods in STATUTORY_EXCLUSIONS:
        return _refusal(
            f"{_GOODS_ZH[goods]}属于法定除外商品，且商家未承诺可退。",
            f"{goods.value} goods are excluded by law and the seller promised no returns for them.",
            art.SDR_6,
        )
    if goods in EXCLUDED_ONLY_IF_CONFIRMED and facts.consumer_confirmed_exclusion:
        return _refusal(
            f"{_GOODS_ZH[goods]}在购买时经消费者确认不适用无理由退货。",
            f"the consumer confirmed at purchase that these {goods.value} goods "
            "cannot be returned without reason.",
            art.SDR_7,
            art.REG_19,
        )
    return None


def seven_day_return(ctx: RuleContext) -> Finding | None:
    facts = ctx.facts
    if not touches_purchase(facts):
        return None
    if facts.channel is None:
        ctx.caveat(
            "channel_assumed_online",
            "未说明购买渠道，按网络购物评估。",
            "No channel given: assessed as an online purchase.",
            rule=RuleId.RETURN_7DAY,
        )
    if facts.channel is Channel.OFFLINE:
        return _refusal(
            "线下购物不享有法定无理由退货权（商家自愿承诺的除外，按其承诺）。",
            "in-store purchases carry no statutory no-reason return (a seller's own "
            "promise still binds it).",
        )
    if facts.purpose is Purpose.BUSINESS:
        return _refusal(
            "该权利只保护为生活消费购买的消费者。",
            "the right protects purchases for personal consumption only.",
        )
    refusal = _exclusion(ctx)
    if refusal is not None:
        return refusal
    if facts.goods_intact is False:
        return _refusal(
            "退回的商品应当完好（为查验拆封、合理调试不影响完好）。",
            "the goods must come back intact (opening or testing them for inspection "
            "does not spoil that).",
            art.SDR_8,
        )
    return _timely_return(ctx)


def _basis(ctx: RuleContext) -> tuple[ArticleRef, ...]:
    facts = ctx.facts
    cited: list[ArticleRef] = [art.CPL_25, art.SDR_10]
    if facts.seller_promised_returns and facts.goods in (
        STATUTORY_EXCLUSIONS | EXCLUDED_ONLY_IF_CONFIRMED
    ):
        cited.append(art.OCI_2)
    if facts.goods in EXCLUDED_ONLY_IF_CONFIRMED:
        cited += [art.SDR_7, art.REG_19]
    return tuple(cited)


def _basis_note(ctx: RuleContext) -> tuple[str, str]:
    facts = ctx.facts
    goods = facts.goods
    if goods is None:
        return ("", "")
    excluded_anyway = goods in STATUTORY_EXCLUSIONS or (
        goods in EXCLUDED_ONLY_IF_CONFIRMED and facts.consumer_confirmed_exclusion
    )
    if excluded_anyway and facts.seller_promised_returns:
        return (
            "商家承诺此类商品也可无理由退货，应遵守承诺。",
            " The seller promised returns for goods the law lets it exclude, so it is bound.",
        )
    if goods in EXCLUDED_ONLY_IF_CONFIRMED:
        return (
            f"{_GOODS_ZH[goods]}只有在购买时经消费者确认才可排除，未确认不得拒绝。",
            (
                " These goods are excluded only with the consumer's confirmation at purchase; "
                "without it the seller may not refuse."
            ),
        )
    return ("", "")


def _timely_return(ctx: RuleContext) -> Finding:
    facts = ctx.facts
    window = return_window(ctx)
    note_zh, note_en = _basis_note(ctx)
    cited = _basis(ctx)
    if window is None:
        return Finding(
            rule=RuleId.RETURN_7DAY,
            applies=True,
            articles=cited,
            remedy="return_without_reason",
            amount_fen=facts.price_paid_fen,
            explanation_zh=f"可以七日无理由退货，期限自签收次日起算7日；请补充签收日期以计算截止日。{note_zh}",
            explanation_en="A 7-day no-reason return is available, counted from the day after "
            f"signing for the goods; give the signing date to get the deadline.{note_en}",
        )
    if window.rolled:
        cited = (*cited, art.CC_203)
        ctx.caveat(
            "return_window_rolled_over",
            "第7日为休息日，按民法典第203条顺延；部分平台按7×24小时计算，可能不予顺延，建议尽早发出退货通知。",
            "The 7th day is a rest day, so the period rolls over under Civil Code Art 203; some "
            "platforms count 7×24 hours without roll-over, so send the notice early.",
            rule=RuleId.RETURN_7DAY,
        )
    roll_zh = "（第7日为休息日，顺延至其后第一个工作日）" if window.rolled else ""
    roll_en = " (the 7th day was a rest day, so it rolls over)" if window.rolled else ""
    sent = facts.return_notice_at
    acted_on = sent if sent is not None else facts.today
    in_time = acted_on <= window.day
    verb_zh = "退货通知发出于" if sent is not None else "今天是"
    verb_en = "the return notice went out on" if sent is not None else "today is"
    if in_time:
        zh = (
            f"可以七日无理由退货：截止 {day(window.day)}{roll_zh}，{verb_zh} {day(acted_on)}。"
            f"退货运费由消费者承担（另有约定的除外）。{note_zh}"
        )
        en = (
            f"The 7-day no-reason return holds: the deadline is {day(window.day)}{roll_en} and "
            f"{verb_en} {day(acted_on)}. The consumer pays return shipping unless agreed "
            f"otherwise.{note_en}"
        )
    else:
        zh = (
            f"七日无理由退货期限已于 {day(window.day)} 届满{roll_zh}，{verb_zh} {day(acted_on)}。"
            "如商品有质量问题，仍可按质量问题主张退换修。"
        )
        en = (
            f"The 7-day no-reason return ended on {day(window.day)}{roll_en}; {verb_en} "
            f"{day(acted_on)}. Quality remedies remain if the goods are defective."
        )
    return Finding(
        rule=RuleId.RETURN_7DAY,
        applies=in_time,
        articles=cited,
        remedy="return_without_reason" if in_time else None,
        amount_fen=facts.price_paid_fen if in_time else None,
        deadline=window.day,
        explanation_zh=zh,
        explanation_en=en,
    )


def refund_due(ctx: RuleContext, seven_day: Finding | None) -> Finding | None:
    """办法 Art 13: refund within 7 days of the seller getting the goods back."""
    facts = ctx.facts
    back = facts.goods_received_back_at
    if facts.problem is Problem.LATE_DELIVERY and back is None:
        return _late_delivery(ctx)
    if seven_day is None or not seven_day.applies:
        if back is None:
            return None
        return Finding(
            rule=RuleId.REFUND_DUE,
            applies=False,
            articles=(art.SDR_13,),
            explanation_zh="没有七日无理由退货权，退款时限按质量问题的处理或双方约定确定。",
            explanation_en="Without a 7-day return right, the refund follows the quality remedy "
            "or what the parties agreed.",
        )
    if back is None:
        if facts.return_notice_at is None:
            return None  # nothing is being returned yet, so no refund is owed
        return Finding(
            rule=RuleId.REFUND_DUE,
            applies=True,
            articles=(art.SDR_13, art.CPL_25),
            remedy="refund",
            amount_fen=facts.price_paid_fen,
            explanation_zh="商家收到退回商品之日起7日内应当退款；请补充商家签收退货的日期以计算截止日。",
            explanation_en="The seller must refund within 7 days of receiving the goods back; give "
            "that date to get the deadline.",
        )
    due = ctx.days_after(back, 7, rule=RuleId.REFUND_DUE)
    return _refund_status(ctx, due)


def _refund_status(ctx: RuleContext, due: PeriodEnd) -> Finding:
    facts = ctx.facts
    cited = (art.SDR_13, art.CPL_25, *((art.CC_203,) if due.rolled else ()))
    paid = facts.refunded_at
    if paid is None:
        overdue = facts.today > due.day
        zh = (
            f"应于 {day(due.day)} 前退款，"
            + ("已逾期未退。" if overdue else "尚在期限内。")
            + "退款金额以实际支付为准，按原支付方式退回。"
        )
        en = (
            f"The refund is due by {day(due.day)}; "
            + ("it is overdue. " if overdue else "that date has not passed. ")
            + "The refund is the amount actually paid, to the original payment methods."
        )
        remedy = "refund_overdue" if overdue else "refund"
    elif paid <= due.day:
        zh, en, remedy = (
            f"商家已于 {day(paid)} 按时退款（截止 {day(due.day)}）。",
            f"The seller refunded on {day(paid)}, in time (due {day(due.day)}).",
            "refunded",
        )
    else:
        zh, en, remedy = (
            f"商家于 {day(paid)} 退款，晚于截止日 {day(due.day)}。",
            f"The seller refunded on {day(paid)}, after the {day(due.day)} deadline.",
            "refunded_late",
        )
    return Finding(
        rule=RuleId.REFUND_DUE,
        applies=True,
        articles=cited,
        remedy=remedy,
        amount_fen=facts.price_paid_fen,
        deadline=due.day,
        explanation_zh=zh,
        explanation_en=en,
    )


def _late_delivery(ctx: RuleContext) -> Finding:
    """消保法 Art 53: paid in advance and not delivered as agreed: deliver, or refund with interest."""
    return Finding(
        rule=RuleId.REFUND_DUE,
        applies=True,
        articles=(art.CPL_53, art.ECL_20),
        remedy="deliver_or_refund",
        amount_fen=ctx.facts.price_paid_fen,
        explanation_zh="未按约定时间交付的，消费者可要求继续履行或退回预付款，并由经营者承担预付款利息和合理费用；"
        "运输途中的风险由经营者承担。",
        explanation_en="Not delivered when agreed: the consumer may demand delivery or a refund of "
        "what was paid, with interest and reasonable costs; the seller bears the "
        "risk in transit.",
    )
