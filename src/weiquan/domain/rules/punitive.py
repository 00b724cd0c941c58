"""Punitive damages: R3 fraud (消保法 55(1)), R4 knowing defect (55(2)), R5 food (食安法 148(2)).

``amount_fen`` is the *added* award the statute grants; restitution of the price (the "退一" of
"退一赔三") is a separate remedy reported by the return and quality findings.
"""

from __future__ import annotations

from weiquan.domain.rules import articles as art
from weiquan.domain.rules.facts import Goods, Problem
from weiquan.domain.rules.model import Finding, RuleId
from weiquan.domain.rules.periods import RuleContext
from weiquan.domain.rules.text import capitalised, yuan_en, yuan_zh

FRAUD_MINIMUM_FEN = 500_00
FOOD_MINIMUM_FEN = 1_000_00

_BAD_FAITH_ZH = "以夹带、掉包、造假、篡改生产日期、捏造事实等方式索赔的，不适用惩罚性赔偿，并可能被移送公安机关处理。"
_BAD_FAITH_EN = (
    "Claims built by planting items, swapping goods, faking dates or inventing facts get "
    "no punitive damages and may be referred to the police."
)


def fraud_award(price_paid_fen: int) -> int:
    """消保法 55(1): three times the price, at least 500 yuan."""
    return max(3 * price_paid_fen, FRAUD_MINIMUM_FEN)


def food_award(price_paid_fen: int | None, loss_fen: int | None) -> int:
    """食安法 148(2): ten times the price or three times the loss, whichever the consumer
    prefers (so the higher), at least 1,000 yuan."""
    return max(10 * (price_paid_fen or 0), 3 * (loss_fen or 0), FOOD_MINIMUM_FEN)


def _bad_faith_caveat(ctx: RuleContext, rule: RuleId) -> None:
    ctx.caveat("bad_faith_claim", _BAD_FAITH_ZH, _BAD_FAITH_EN, rule=rule)


def punitive_fraud(ctx: RuleContext) -> Finding | None:
    facts = ctx.facts
    rule = RuleId.PUNITIVE_FRAUD
    if facts.problem is Problem.LABEL_FLAW_ONLY:
        return Finding(
            rule=rule,
            applies=False,
            articles=(art.CPL_55_1, art.REG_49_1),
            explanation_zh="标签标识、说明书、宣传材料的瑕疵不影响商品质量且不误导消费者的，不构成欺诈，不支持三倍赔偿。",
            explanation_en="A label, manual or advertising flaw that neither affects quality nor "
            "misleads is not fraud: no triple damages.",
        )
    if facts.problem not in {Problem.FRAUD, Problem.UNSAFE_FOOD}:
        return None
    if facts.is_business_purchase:
        return Finding(
            rule=rule,
            applies=False,
            articles=(art.CPL_55_1,),
            explanation_zh="三倍赔偿只保护为生活消费购买的消费者。",
            explanation_en="Triple damages protect purchases for personal consumption only.",
        )
    if facts.bad_faith:
        _bad_faith_caveat(ctx, rule)
        return Finding(
            rule=rule,
            applies=False,
            articles=(art.CPL_55_1, art.REG_49_2),
            explanation_zh=_BAD_FAITH_ZH,
            explanation_en=_BAD_FAITH_EN,
        )
    if facts.problem is Problem.UNSAFE_FOOD:
        return Finding(
            rule=rule,
            applies=False,
            articles=(art.CPL_55_1, art.FDI_9),
            explanation_zh="食品安全惩罚性赔偿与欺诈三倍赔偿只能择一主张；食品十倍赔偿金额更高，已按其评估。",
            explanation_en="Food punitive damages and fraud triple damages cannot be stacked; the "
            "food award is higher and is the one assessed.",
        )
    return _fraud_award_finding(ctx)


def _fraud_award_finding(ctx: RuleContext) -> Finding:
    facts = ctx.facts
    rule = RuleId.PUNITIVE_FRAUD
    cited = (art.CPL_55_1, art.CPM_16)
    food_zh = food_en = ""
    if facts.goods is Goods.FOOD:
        food_zh = "如该食品不符合食品安全标准，也可改按食品安全法主张十倍赔偿（二者择一）。"
        food_en = (
            " If the food fails a food-safety standard, the ten-fold food award may be "
            "claimed instead (one or the other)."
        )
    if facts.price_paid_fen is None:
        return Finding(
            rule=rule,
            applies=True,
            articles=cited,
            remedy="refund_plus_3x",
            explanation_zh="经营者欺诈的，可要求退还价款并增加赔偿价款的三倍，不足500元的按500元；"
            f"请补充实付价款以计算金额。{food_zh}",
            explanation_en="Fraud: refund plus added damages of three times the price, at least "
            f"CNY 500; give the price paid to compute the figure.{food_en}",
        )
    ctx.caveat(
        "fraud_price_basis_unverified",
        "【未核实】非食品欺诈赔偿中“价款”是否指扣除优惠券后的实付金额，尚无经核实的依据；此处按实付价款计算。",
        "[UNVERIFIED] Whether 'price' for non-food fraud damages means the amount paid after "
        "coupons is not confirmed; the amount actually paid is used here.",
        rule=rule,
    )
    award = fraud_award(facts.price_paid_fen)
    floor_zh = "（三倍不足500元，按500元计）" if award == FRAUD_MINIMUM_FEN else ""
    floor_en = " (three times is below CNY 500, so CNY 500)" if award == FRAUD_MINIMUM_FEN else ""
    return Finding(
        rule=rule,
        applies=True,
        articles=cited,
        remedy="refund_plus_3x",
        amount_fen=award,
        explanation_zh=f"经营者欺诈：退还价款 {yuan_zh(facts.price_paid_fen)}，另行赔偿 "
        f"{yuan_zh(award)}{floor_zh}。{food_zh}",
        explanation_en=f"Fraud: refund of {yuan_en(facts.price_paid_fen)} plus added damages of "
        f"{yuan_en(award)}{floor_en}.{food_en}",
    )


def punitive_injury(ctx: RuleContext) -> Finding | None:
    facts = ctx.facts
    if facts.problem is not Problem.KNOWING_DEFECT_INJURY:
        return None
    rule = RuleId.PUNITIVE_INJURY
    cited = (art.CPL_55_2, art.CPL_49, art.CPL_51, art.CC_1207)
    if facts.loss_fen is None:
        return Finding(
            rule=rule,
            applies=True,
            articles=cited,
            remedy="up_to_2x_loss",
            explanation_zh="明知商品有缺陷仍然提供，造成死亡或健康严重损害的，除赔偿损失外，可要求所受损失2倍以下的"
            "惩罚性赔偿；请补充损失金额以计算上限。",
            explanation_en="Knowingly defective goods causing death or serious harm to health: on "
            "top of compensation, punitive damages of up to twice the loss; give "
            "the loss to compute the cap.",
        )
    cap = 2 * facts.loss_fen
    return Finding(
        rule=rule,
        applies=True,
        articles=cited,
        remedy="up_to_2x_loss",
        amount_fen=cap,
        explanation_zh=f"除赔偿损失 {yuan_zh(facts.loss_fen)} 外，可要求最高 {yuan_zh(cap)} 的惩罚性赔偿"
        "（所受损失2倍以下，由法院确定）。",
        explanation_en=f"Besides compensation of {yuan_en(facts.loss_fen)}, punitive damages of up "
        f"to {yuan_en(cap)} (at most twice the loss; the court sets the figure).",
    )


def punitive_food(ctx: RuleContext) -> Finding | None:
    facts = ctx.facts
    rule = RuleId.PUNITIVE_FOOD
    if facts.goods is Goods.FOOD and facts.problem is Problem.LABEL_FLAW_ONLY:
        return Finding(
            rule=rule,
            applies=False,
            articles=(art.FSL_148_2,),
            explanation_zh="食品标签、说明书瑕疵不影响食品安全且不会误导消费者的，不支持十倍赔偿。",
            explanation_en="A food label or manual flaw that neither affects safety nor misleads "
            "earns no ten-fold award.",
        )
    if facts.goods is Goods.FOOD and facts.problem is Problem.FRAUD:
        return Finding(
            rule=rule,
            applies=False,
            articles=(art.FSL_148_2, art.FDI_9),
            explanation_zh="十倍赔偿以食品不符合食品安全标准为前提；如确实不符合，请将问题选为“不安全食品”（与三倍赔偿择一）。",
            explanation_en="The ten-fold award needs the food to fail a food-safety standard; if it "
            "does, report the problem as unsafe_food (it replaces triple damages).",
        )
    if facts.problem is not Problem.UNSAFE_FOOD:
        return None
    if facts.is_business_purchase:
        return Finding(
            rule=rule,
            applies=False,
            articles=(art.FSL_148_2,),
            explanation_zh="十倍赔偿保护的是消费者；为经营购买的不适用。",
            explanation_en="The ten-fold award protects consumers, not purchases for business.",
        )
    if facts.bad_faith:
        _bad_faith_caveat(ctx, rule)
        return Finding(
            rule=rule,
            applies=False,
            articles=(art.FSL_148_2, art.FDI_15),
            explanation_zh=_BAD_FAITH_ZH,
            explanation_en=_BAD_FAITH_EN,
        )
    return _food_award_finding(ctx)


def _food_award_finding(ctx: RuleContext) -> Finding:
    facts = ctx.facts
    cited = (art.FSL_148_2, art.FDI_1, art.FDI_9)
    who_zh = "（对销售者须证明其明知；可先向生产者或销售者任一方索赔，首负责任）"
    who_en = (
        " (against a seller, it must have known; either the producer or the seller must pay "
        "first when asked)"
    )
    if facts.price_paid_fen is None and facts.loss_fen is None:
        return Finding(
            rule=RuleId.PUNITIVE_FOOD,
            applies=True,
            articles=cited,
            remedy="10x_price_or_3x_loss",
            explanation_zh=f"不符合食品安全标准的食品：可要求价款10倍或损失3倍的赔偿金，不足1000元的按1000元{who_zh}；"
            "请补充实付价款或损失金额。",
            explanation_en="Food failing a safety standard: ten times the price or three times the "
            f"loss, at least CNY 1,000{who_en}; give the price paid or the loss.",
        )
    ten_x = 10 * (facts.price_paid_fen or 0)
    three_x = 3 * (facts.loss_fen or 0)
    award = food_award(facts.price_paid_fen, facts.loss_fen)
    known_price, known_loss = facts.price_paid_fen is not None, facts.loss_fen is not None
    price_zh = f"价款10倍为 {yuan_zh(ten_x)}，" if known_price else ""
    price_en = f"ten times the price is {yuan_en(ten_x)}, " if known_price else ""
    loss_zh = f"损失3倍为 {yuan_zh(three_x)}，" if known_loss else ""
    loss_en = f"three times the loss is {yuan_en(three_x)}, " if known_loss else ""
    if award == FOOD_MINIMUM_FEN and max(ten_x, three_x) < FOOD_MINIMUM_FEN:
        remedy = "minimum_1000"
    else:
        remedy = "10x_price" if ten_x >= three_x else "3x_loss"
    return Finding(
        rule=RuleId.PUNITIVE_FOOD,
        applies=True,
        articles=cited,
        remedy=remedy,
        amount_fen=award,
        explanation_zh=f"{price_zh}{loss_zh}最低1000元；"
        f"可主张 {yuan_zh(award)}{who_zh}，另可要求赔偿损失。不能与欺诈三倍赔偿叠加。",
        explanation_en=capitalised(
            f"{price_en}{loss_en}minimum CNY 1,000: the award is {yuan_en(award)}{who_en}, "
            "besides compensation for the loss. It does not stack with triple damages for fraud."
        ),
    )
