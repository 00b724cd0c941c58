"""R9 platform liability (消保法 Art 44; 电商法 Art 37–38) and R10 the counter-notice clock (Art 43)."""

from __future__ import annotations

from weiquan.domain.rules import articles as art
from weiquan.domain.rules.model import ArticleRef, Finding, RuleId
from weiquan.domain.rules.periods import RuleContext
from weiquan.domain.rules.text import capitalised, day

# Strongest basis first: the remedy reported is the first that holds.
_BASES: tuple[tuple[str, str, str, tuple[ArticleRef, ...]], ...] = (
    (
        "liable_as_seller",
        "平台标记自营或足以让人误认为自营，承担销售者责任",
        "the listing is (or looks) self-operated, so the platform answers as the seller",
        (art.ECL_37, art.OCI_4),
    ),
    (
        "joint_liability",
        "平台知道或应当知道侵权而未采取必要措施，与经营者承担连带责任",
        "the platform knew or should have known and did not act, so it is jointly liable",
        (art.CPL_44, art.ECL_38),
    ),
    (
        "platform_pays_first",
        "平台不能提供销售者真实名称、地址和有效联系方式，消费者可要求平台先行赔偿",
        "the platform cannot identify the seller, so it pays first and may recover from the seller",
        (art.CPL_44,),
    ),
    (
        "livestream_room_liable_as_seller",
        "直播间运营者未标明实际销售者，承担销售者责任",
        "the live-stream room did not name the real seller, so its operator answers as the seller",
        (art.OCI_11,),
    ),
)


def platform_liability(ctx: RuleContext) -> Finding | None:
    platform = ctx.facts.platform
    if platform is None:
        return None
    holds = {
        "liable_as_seller": platform.self_operated is True,
        "joint_liability": platform.knew_or_should_have_known is True
        and platform.took_necessary_measures is not True,
        "platform_pays_first": platform.seller_identity_provided is False,
        "livestream_room_liable_as_seller": platform.livestream_seller_disclosed is False,
    }
    found = [basis for basis in _BASES if holds[basis[0]]]
    if not found:
        return Finding(
            rule=RuleId.PLATFORM_LIABILITY,
            applies=False,
            articles=(art.CPL_44, art.ECL_38),
            explanation_zh="平台已披露销售者身份、未标记自营，也没有证据表明其明知或应知而未处置：由销售者承担责任，平台应协助维权。",
            explanation_en="The platform identified the seller, did not present the listing as its "
            "own and is not shown to have known and failed to act: the seller "
            "answers, and the platform must help.",
        )
    cited: list[ArticleRef] = []
    for basis in found:
        cited += [a for a in basis[3] if a not in cited]
    return Finding(
        rule=RuleId.PLATFORM_LIABILITY,
        applies=True,
        articles=tuple(cited),
        remedy=found[0][0],
        explanation_zh="；".join(basis[1] for basis in found) + "。",
        explanation_en=capitalised("; ".join(basis[2] for basis in found)) + ".",
    )


NOTARISATION_CAP_WORKING_DAYS = 20


def ip_counter_notice(ctx: RuleContext) -> Finding | None:
    notice = ctx.facts.ip_counter_notice
    if notice is None:
        return None
    rule = RuleId.IP_COUNTER_NOTICE
    base = ctx.days_after(notice.reached_right_holder_at, 15, rule=rule)
    cited: list[ArticleRef] = [art.ECL_43, art.ECL_42]
    deadline = base.day
    extra = min(notice.excluded_delay_working_days, NOTARISATION_CAP_WORKING_DAYS)
    if notice.excluded_delay_working_days > NOTARISATION_CAP_WORKING_DAYS:
        ctx.caveat(
            "notarisation_delay_capped",
            "公证、认证等延迟最多不计入20个工作日，超出部分仍计入15日期限。",
            "Notarisation or authentication delays are excluded for 20 working days at "
            "most; the rest counts against the 15 days.",
            rule=rule,
        )
    if extra:
        deadline = ctx.working_days_after(deadline, extra, field="ip_counter_notice")
        cited.append(art.IPR_2)
    elif base.rolled:
        cited.append(art.CC_203)
    told = notice.complaint_or_suit_notified_at
    clock_zh = (
        f"不侵权声明于 {day(notice.reached_right_holder_at)} 送达权利人，期限至 {day(deadline)}"
    )
    clock_en = (
        f"The counter-notice reached the right-holder on "
        f"{day(notice.reached_right_holder_at)}; the period ends on {day(deadline)}"
    )
    if told is not None and told <= deadline:
        applies, remedy = False, "takedown_stands"
        zh = f"{clock_zh}；权利人已于 {day(told)} 告知已投诉或起诉，删除等措施可以维持。"
        en = f"{clock_en}. The right-holder reported a complaint or suit on {day(told)}: the takedown stands."
    elif told is None and ctx.facts.today <= deadline:
        applies, remedy = False, "await_right_holder"
        zh = f"{clock_zh}；届时仍未收到已投诉或起诉的通知的，平台应当及时终止所采取的措施。"
        en = f"{clock_en}. If no complaint or suit is reported by then, the platform must restore the listing."
    else:
        applies, remedy = True, "restore_listing"
        zh = f"{clock_zh}；期限内未收到已投诉或起诉的通知，平台应当及时终止删除、屏蔽等措施，恢复链接。"
        en = f"{clock_en}. No complaint or suit was reported in time: the platform must restore the listing."
    return Finding(
        rule=rule,
        applies=applies,
        articles=tuple(cited),
        remedy=remedy,
        deadline=deadline,
        explanation_zh=zh,
        explanation_en=en,
    )
