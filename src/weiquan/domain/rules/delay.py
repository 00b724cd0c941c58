"""R14: an obligation left undone more than 15 days counts as wilful delay (处罚办法 Art 8–10).

The flag supports a report (举报, R7) under 消保法 Art 56(8); the report clock is quoted from
:func:`periods.report_clock`.  ``refunded_at`` is the only completion the facts record, so for
repair or replacement the explanation says the flag holds only if that remedy is still outstanding.
"""

from __future__ import annotations

from datetime import date

from weiquan.domain.rules import articles as art
from weiquan.domain.rules.facts import Problem
from weiquan.domain.rules.model import ArticleRef, Finding, RuleId
from weiquan.domain.rules.periods import RuleContext
from weiquan.domain.rules.quality import NONCONFORMING
from weiquan.domain.rules.text import day

DELAY_DAYS = 15
_DEMANDS = NONCONFORMING | {Problem.LATE_DELIVERY}
_REPORT_ZH = "可以向市场监管部门举报；部门应在收到举报材料之日起15个工作日内（可延长15个工作日）核查并决定是否立案，实名举报的在决定后5个工作日内告知。"
_REPORT_EN = (
    "It may be reported to the market regulator, which must check and decide whether to "
    "open a case within 15 working days of receiving the report (extendable by 15) and "
    "tell a named reporter within 5 working days of deciding."
)


def wilful_delay(ctx: RuleContext, *, return_right: bool) -> Finding | None:
    facts = ctx.facts
    if facts.goods_received_back_at is not None:
        return _judge(
            ctx,
            facts.goods_received_back_at,
            cited=(art.SDR_31, art.CPM_9),
            start_text=("商家收到退回商品", "the seller got the goods back"),
            owed_text=("退款", "refund"),
        )
    if facts.return_notice_at is None:
        return None
    if facts.problem in _DEMANDS:
        return _judge(
            ctx,
            facts.return_notice_at,
            cited=(art.CPM_8,),
            start_text=(
                "消费者提出退换修或退款要求",
                "the consumer asked for a return, repair, replacement or refund",
            ),
            owed_text=("退款或修理更换", "refund, repair or replacement"),
        )
    if return_right:
        limit = ctx.days_after(facts.return_notice_at, DELAY_DAYS, rule=RuleId.WILFUL_DELAY)
        return Finding(
            rule=RuleId.WILFUL_DELAY,
            applies=False,
            articles=(art.SDR_31, art.CPM_9),
            deadline=limit.day,
            explanation_zh=f"商家收到退货要求后超过15日（{day(limit.day)} 之后）仍未办理或未提供有效退货地址的，"
            "视为故意拖延或无理拒绝。",
            explanation_en=f"If the seller has not handled the return or given a return address "
            f"15 days after the request (after {day(limit.day)}), that counts as "
            "wilful delay.",
        )
    return None


def _judge(
    ctx: RuleContext,
    start: date,
    *,
    cited: tuple[ArticleRef, ...],
    start_text: tuple[str, str],
    owed_text: tuple[str, str],
) -> Finding:
    facts = ctx.facts
    (start_zh, start_en), (owed_zh, owed_en) = start_text, owed_text
    limit = ctx.days_after(start, DELAY_DAYS, rule=RuleId.WILFUL_DELAY)
    done = facts.refunded_at
    late = (done or facts.today) > limit.day
    articles = (*cited, art.CPL_56, art.PPR_18, art.CMP_31)
    if not late:
        state_zh = f"已于 {day(done)} 完成" if done else "尚未超过15日"
        state_en = f"it was done on {day(done)}" if done else "15 days have not yet passed"
        return Finding(
            rule=RuleId.WILFUL_DELAY,
            applies=False,
            articles=cited,
            deadline=limit.day,
            explanation_zh=f"自{start_zh}（{day(start)}）起超过15日（{day(limit.day)} 之后）仍未{owed_zh}的，"
            f"视为故意拖延；目前{state_zh}。",
            explanation_en=f"Counting from when {start_en} ({day(start)}), leaving the {owed_en} "
            f"undone after {day(limit.day)} is wilful delay; {state_en}.",
        )
    when_zh = f"直到 {day(done)} 才完成" if done else "至今未完成"
    when_en = f"it was only done on {day(done)}" if done else "it is still outstanding"
    repair_zh = (
        "（修理、更换已完成的除外）"
        if done is None and facts.goods_received_back_at is None
        else ""
    )
    repair_en = (
        " (unless a repair or replacement was made)"
        if done is None and facts.goods_received_back_at is None
        else ""
    )
    return Finding(
        rule=RuleId.WILFUL_DELAY,
        applies=True,
        articles=articles,
        remedy="report_wilful_delay",
        deadline=limit.day,
        explanation_zh=f"自{start_zh}（{day(start)}）起超过15日仍未{owed_zh}，{when_zh}{repair_zh}，"
        f"视为故意拖延或无理拒绝。{_REPORT_ZH}",
        explanation_en=f"More than 15 days after {start_en} ({day(start)}), {when_en}{repair_en}: "
        f"that counts as wilful delay or refusal. {_REPORT_EN}",
    )
