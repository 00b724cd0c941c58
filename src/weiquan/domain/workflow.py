"""What each lifecycle step does beyond the status change: offers, acceptances and deadlines.

Each function takes the case, who acts, the time and the calendar; it calls ``Case.apply`` (the one
place a status changes) and never reads the clock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from weiquan.domain.accounts import Actor, Role
from weiquan.domain.calendar import (
    WorkdayCalendar,
    add_calendar_days,
    add_working_days,
    china_date,
    due_or_note,
    end_of_day,
    working_days_between,
)
from weiquan.domain.cases import (
    Case,
    Claim,
    InadmissibleGround,
    Offer,
    OfferKind,
    OfferState,
    Purpose,
    require_text,
)
from weiquan.domain.errors import Conflict, ValidationFailed
from weiquan.domain.lifecycle import Action, CaseStatus

LIMITATION_YEARS = 3  # 暂行办法 Art 15(4); 民法典 Art 188


@dataclass(frozen=True, slots=True)
class DeadlinePolicy:
    """Per-deployment periods. Defaults follow PRODUCT.md and 暂行办法 Art 21 / 条例 Art 46."""

    reply_working_days: int = 3
    negotiation_working_days: int = 10
    mediation_working_days: int = 45
    mediation_calendar_days: int = 60
    fulfilment_calendar_days: int = 15
    auto_close_calendar_days: int = 15

    def __post_init__(self) -> None:
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if not 1 <= value <= 365:
                raise ValidationFailed(f"{name} 应在 1 到 365 天之间", field=name)


def admissibility(case: Case, at: datetime) -> InadmissibleGround | None:
    """The grounds of 暂行办法 Art 15 that can be decided from the record alone."""
    if case.purpose is Purpose.BUSINESS:
        return InadmissibleGround.NOT_CONSUMPTION
    if case.handled_elsewhere:
        return InadmissibleGround.HANDLED_ELSEWHERE
    if case.noticed_on is not None:
        today = china_date(at)
        try:
            limit = case.noticed_on.replace(year=case.noticed_on.year + LIMITATION_YEARS)
        except ValueError:  # 29 February
            limit = case.noticed_on.replace(year=case.noticed_on.year + LIMITATION_YEARS, day=28)
        if today > limit:
            return InadmissibleGround.TIME_BARRED
    return None


def submit(
    case: Case, *, actor: Actor, at: datetime, cal: WorkdayCalendar, policy: DeadlinePolicy
) -> None:
    """Submit, then decide admission at once on the grounds the record can show."""
    if case.noticed_on is not None and case.noticed_on > china_date(at):
        raise ValidationFailed("知道权益受损的日期不能晚于今天", field="noticed_on")
    case.apply(Action.SUBMIT, actor=actor, at=at, reason="消费者提交投诉")
    case.submitted_at = at
    ground = admissibility(case, at)
    system = Actor.system("admission:暂行办法15")
    if ground is not None:
        case.inadmissible_ground = ground
        case.apply(
            Action.DECLARE_INADMISSIBLE,
            actor=system,
            at=at,
            reason=f"不予受理：{ground.value}",
            payload={"ground": ground.value},
        )
        case.closed_at = at
        return
    start = china_date(at)
    reply_due, note_1 = due_or_note(lambda: add_working_days(start, policy.reply_working_days, cal))
    nego_due, note_2 = due_or_note(
        lambda: add_working_days(start, policy.negotiation_working_days, cal)
    )
    case.deadlines.reply_due_at, case.deadlines.negotiation_due_at = reply_due, nego_due
    case.deadlines.note = note_1 or note_2
    case.apply(
        Action.ADMIT,
        actor=system,
        at=at,
        reason="材料齐全，予以受理；商家须在期限内答复",
        payload={"reply_due_at": _iso(reply_due), "negotiation_due_at": _iso(nego_due)},
    )


def reply(case: Case, *, actor: Actor, at: datetime, text: str) -> None:
    require_text(text, field="text", limit=5_000)
    case.apply(Action.REPLY, actor=actor, at=at, reason="商家答复", payload={"text": text})
    case.merchant_replied_at = case.merchant_replied_at or at


def make_offer(
    case: Case,
    *,
    actor: Actor,
    at: datetime,
    offer_id: str,
    terms: tuple[Claim, ...],
    note: str,
    fulfil_within_days: int = 15,
) -> Offer:
    if not terms:
        raise ValidationFailed("方案至少包含一项内容", field="terms")
    if not 1 <= fulfil_within_days <= 90:
        raise ValidationFailed("履行期限应在 1 到 90 天之间", field="fulfil_within_days")
    require_text(note, field="note", limit=2_000, required=False)
    kind = OfferKind.PROPOSAL if actor.role is Role.MEDIATOR else OfferKind.OFFER
    action = Action.PROPOSE_SETTLEMENT if kind is OfferKind.PROPOSAL else Action.MAKE_OFFER
    case.apply(
        action,
        actor=actor,
        at=at,
        reason=note or "提出解决方案",
        payload={"offer_id": offer_id, "terms": [_claim_dict(t) for t in terms]},
    )
    for earlier in case.offers:
        if earlier.state is OfferState.OPEN:
            earlier.state = OfferState.SUPERSEDED
    offer = Offer(
        id=offer_id,
        kind=kind,
        made_by=actor,
        terms=terms,
        note=note,
        made_at=at,
        fulfil_within_days=fulfil_within_days,
    )
    case.offers.append(offer)
    case.merchant_replied_at = case.merchant_replied_at or (
        at if actor.role is Role.MERCHANT else None
    )
    return offer


def _require_open_offer(case: Case, offer_id: str, kind: OfferKind) -> Offer:
    offer = case.open_offer
    if offer is None or offer.id != offer_id or offer.kind is not kind:
        raise Conflict("该方案已不再有效（可能已被新方案取代），请刷新后重试")
    return offer


def accept_offer(
    case: Case,
    *,
    actor: Actor,
    at: datetime,
    offer_id: str,
    cal: WorkdayCalendar,
) -> None:
    offer = _require_open_offer(case, offer_id, OfferKind.OFFER)
    case.apply(
        Action.ACCEPT_OFFER,
        actor=actor,
        at=at,
        reason="消费者接受商家方案",
        payload={"offer_id": offer_id},
    )
    offer.state = OfferState.ACCEPTED
    offer.accepted_by["consumer"] = at
    _start_fulfilment(case, at, offer.fulfil_within_days, cal)


def reject_offer(
    case: Case,
    *,
    actor: Actor,
    at: datetime,
    offer_id: str,
    reason: str,
    cal: WorkdayCalendar,
    policy: DeadlinePolicy,
) -> None:
    offer = _require_open_offer(case, offer_id, OfferKind.OFFER)
    before = case.status
    case.apply(
        Action.REJECT_OFFER, actor=actor, at=at, reason=reason, payload={"offer_id": offer_id}
    )
    offer.state = OfferState.REJECTED
    if before is not case.status:
        _start_mediation(case, at, cal, policy)


def escalate(
    case: Case,
    *,
    actor: Actor,
    at: datetime,
    reason: str,
    cal: WorkdayCalendar,
    policy: DeadlinePolicy,
    action: Action = Action.ESCALATE,
) -> None:
    """Negotiation → mediation, by the consumer, the merchant refusing, or the deadline worker."""
    if action not in (Action.ESCALATE, Action.REFUSE):
        raise ValidationFailed("unsupported escalation", field="action")
    case.apply(action, actor=actor, at=at, reason=reason)
    _start_mediation(case, at, cal, policy)


def assign_mediator(case: Case, *, actor: Actor, at: datetime, mediator_id: str) -> None:
    case.apply(
        Action.ASSIGN_MEDIATOR,
        actor=actor,
        at=at,
        reason="指派调解员",
        payload={"mediator_id": mediator_id},
    )
    case.mediator_id = mediator_id


def accept_settlement(
    case: Case, *, actor: Actor, at: datetime, offer_id: str, cal: WorkdayCalendar
) -> None:
    offer = _require_open_offer(case, offer_id, OfferKind.PROPOSAL)
    party = case.party_of(actor)
    if party in offer.accepted_by:
        raise Conflict("您已同意该调解方案")
    case.apply(
        Action.ACCEPT_SETTLEMENT,
        actor=actor,
        at=at,
        reason="同意调解方案",
        payload={"offer_id": offer_id, "party": party},
    )
    offer.accepted_by[party] = at
    if {"consumer", "merchant"} <= offer.accepted_by.keys():
        offer.state = OfferState.ACCEPTED
        case.apply(
            Action.CONCLUDE_AGREEMENT,
            actor=Actor.system("both_parties_accepted"),
            at=at,
            reason="双方均同意调解方案，达成调解协议",
            payload={"offer_id": offer_id},
        )
        _start_fulfilment(case, at, offer.fulfil_within_days, cal)


def reject_settlement(
    case: Case, *, actor: Actor, at: datetime, offer_id: str, reason: str
) -> None:
    offer = _require_open_offer(case, offer_id, OfferKind.PROPOSAL)
    party = case.party_of(actor)
    case.apply(
        Action.REJECT_SETTLEMENT,
        actor=actor,
        at=at,
        reason=reason,
        payload={"offer_id": offer_id, "party": party},
    )
    offer.state = OfferState.REJECTED


def conclude_agreement(
    case: Case, *, actor: Actor, at: datetime, reason: str, cal: WorkdayCalendar
) -> None:
    """A mediator records an agreement reached with both parties (e.g. by telephone, 暂行办法18)."""
    offer = case.open_offer
    days = offer.fulfil_within_days if offer else 15
    case.apply(
        Action.CONCLUDE_AGREEMENT,
        actor=actor,
        at=at,
        reason=reason,
        payload={"offer_id": offer.id if offer else None},
    )
    if offer is not None:
        offer.state = OfferState.ACCEPTED
    _start_fulfilment(case, at, days, cal)


def record_failure(case: Case, *, actor: Actor, at: datetime, reason: str) -> None:
    case.apply(Action.RECORD_FAILURE, actor=actor, at=at, reason=reason)
    _end_open_deadlines(case)
    open_offer = case.open_offer
    if open_offer is not None:
        open_offer.state = OfferState.SUPERSEDED


def _end_open_deadlines(case: Case) -> None:
    """A stage that ended takes its deadlines with it, open ones included: a referred or
    fulfilled case has no mediation deadline left to wait for."""
    d = case.deadlines
    d.reply_due_at = d.negotiation_due_at = d.mediation_due_at = d.fulfilment_due_at = None
    d.note, d.bound_at = "", None


def confirm_fulfilment(case: Case, *, actor: Actor, at: datetime) -> None:
    case.apply(Action.CONFIRM_FULFILMENT, actor=actor, at=at, reason="确认对方已履行")
    _end_open_deadlines(case)


def refer_or_issue_dossier(
    case: Case, *, actor: Actor, at: datetime, reason: str, refer: bool
) -> None:
    """After failed mediation: refer to the regulator of the merchant's region, or issue a dossier."""
    if refer and not case.region_code:
        raise ValidationFailed("商家经营地行政区划未知，无法移交监管部门", field="region_code")
    action = Action.REFER if refer else Action.ISSUE_DOSSIER
    case.apply(
        action,
        actor=actor,
        at=at,
        reason=reason,
        payload={"region_code": case.region_code} if refer else {},
    )


def close(case: Case, *, actor: Actor, at: datetime, reason: str) -> None:
    case.apply(Action.CLOSE, actor=actor, at=at, reason=reason)
    case.closed_at = at


def withdraw(case: Case, *, actor: Actor, at: datetime, reason: str) -> None:
    case.apply(Action.WITHDRAW, actor=actor, at=at, reason=reason)
    case.closed_at = at


def add_statement(case: Case, *, actor: Actor, at: datetime, text: str) -> None:
    require_text(text, field="text", limit=5_000)
    case.apply(Action.ADD_STATEMENT, actor=actor, at=at, reason="补充陈述", payload={"text": text})


def request_evidence(case: Case, *, actor: Actor, at: datetime, text: str) -> None:
    """The merchant or the mediator asks the consumer for specific evidence (what and why)."""
    require_text(text, field="text", limit=2_000)
    case.apply(
        Action.REQUEST_EVIDENCE, actor=actor, at=at, reason="请求补充证据", payload={"text": text}
    )


ALREADY_RATED = "本案已经评价过，每个案件只能评价一次"


def rate(case: Case, *, actor: Actor, at: datetime, stars: int, comment: str) -> None:
    """The consumer's one rating of how the case was handled; it is what the merchant's grade
    counts under satisfaction, so a second one would silently replace a counted rating."""
    if case.rating is not None:
        raise Conflict(ALREADY_RATED, field="stars")
    if isinstance(stars, bool) or not isinstance(stars, int) or not 1 <= stars <= 5:
        raise ValidationFailed("评分应为 1 到 5 的整数", field="stars")
    require_text(comment, field="comment", limit=1_000, required=False)
    case.apply(
        Action.RATE,
        actor=actor,
        at=at,
        reason="评价处理结果",
        payload={"stars": stars, "comment": comment},
    )
    case.rating = stars


def reopen(
    case: Case,
    *,
    actor: Actor,
    at: datetime,
    reason: str,
    cal: WorkdayCalendar,
    policy: DeadlinePolicy,
) -> None:
    case.apply(Action.REOPEN, actor=actor, at=at, reason=reason)
    case.deadlines.fulfilment_due_at = None
    if case.status is CaseStatus.MEDIATION:
        _start_mediation(case, at, cal, policy)


def _mediation_due(
    start: date, cal: WorkdayCalendar, policy: DeadlinePolicy
) -> tuple[datetime | None, dict[str, str | None], str]:
    """Mediation ends at the earlier of 45 working days (暂行办法21) and 60 days (条例46).

    When the working-day bound reaches past the calendar but the 60-day bound does not, the
    working days up to the 60-day bound can still be counted exactly: fewer than 45 proves the
    60-day bound is the earlier one, so the deadline is known without guessing any holiday.
    """
    by_working, note_1 = due_or_note(
        lambda: add_working_days(start, policy.mediation_working_days, cal)
    )
    by_calendar, note_2 = due_or_note(
        lambda: add_calendar_days(start, policy.mediation_calendar_days, cal)
    )
    due: datetime | None = None
    if by_working and by_calendar:
        due = min(by_working, by_calendar)
    elif by_calendar and _fewer_working_days_than(start, by_calendar, policy, cal):
        due = by_calendar
    shown = {
        "mediation_due_by_working_days": _iso(by_working),
        "mediation_due_by_calendar_days": _iso(by_calendar),
        "mediation_due_at": _iso(due),
    }
    return due, shown, "" if due else (note_1 or note_2)


def calendar_day_bound(start: date, days: int) -> datetime:
    """The end of a ``days``-day limit before any roll past rest days: known without holiday
    data, so a deadline left open still has a date people and queues can go by."""
    return end_of_day(start + timedelta(days=days))


def _fewer_working_days_than(
    start: date, due: datetime, policy: DeadlinePolicy, cal: WorkdayCalendar
) -> bool:
    last_day = china_date(due) - timedelta(days=1)  # ``due`` is midnight after the last day
    return working_days_between(start, last_day, cal) < policy.mediation_working_days


def _start_mediation(
    case: Case, at: datetime, cal: WorkdayCalendar, policy: DeadlinePolicy
) -> None:
    due, shown, note = _mediation_due(china_date(at), cal, policy)
    case.deadlines.mediation_due_at = due
    case.deadlines.note = note
    case.deadlines.bound_at = (
        calendar_day_bound(china_date(at), policy.mediation_calendar_days) if note else None
    )
    case.deadlines.reply_due_at = case.deadlines.negotiation_due_at = None
    case.new_events[-1].payload.update(shown)


def _start_fulfilment(case: Case, at: datetime, days: int, cal: WorkdayCalendar) -> None:
    start = china_date(at)
    due, note = due_or_note(lambda: add_calendar_days(start, days, cal))
    case.deadlines.fulfilment_due_at = due
    case.deadlines.mediation_due_at = case.deadlines.reply_due_at = None
    case.deadlines.negotiation_due_at = None
    case.deadlines.note = note
    case.deadlines.bound_at = calendar_day_bound(start, days) if note else None
    case.new_events[-1].payload["fulfilment_due_at"] = _iso(due)


@dataclass(frozen=True, slots=True)
class DueStep:
    action: Action
    rule: str
    reason: str


def due_step(case: Case, now: datetime, policy: DeadlinePolicy) -> DueStep | None:
    """The step the deadline worker must take on this case now, if any (pure decision)."""
    rule = _DUE_RULES.get(case.status)
    return rule(case, now, policy) if rule else None


def _due_in_negotiation(case: Case, now: datetime, _policy: DeadlinePolicy) -> DueStep | None:
    d = case.deadlines
    if d.reply_due_at and now >= d.reply_due_at and case.merchant_replied_at is None:
        return DueStep(
            Action.ESCALATE, "merchant_silent_past_reply_deadline", "商家逾期未答复，自动转入调解"
        )
    if d.negotiation_due_at and now >= d.negotiation_due_at:
        return DueStep(
            Action.ESCALATE, "negotiation_period_expired", "协商期届满未达成一致，自动转入调解"
        )
    return None


def _due_in_mediation(case: Case, now: datetime, _policy: DeadlinePolicy) -> DueStep | None:
    due = case.deadlines.mediation_due_at
    if due and now >= due:
        return DueStep(
            Action.RECORD_FAILURE,
            "mediation_deadline_passed",
            "调解期限届满未达成协议，调解终止（暂行办法第21条、实施条例第46条）",
        )
    return None


def _due_after_failure(case: Case, _now: datetime, _policy: DeadlinePolicy) -> DueStep | None:
    if case.region_code:
        return DueStep(
            Action.REFER, "failed_mediation_follow_up", "调解未成，移交商家经营地市场监管部门"
        )
    return DueStep(
        Action.ISSUE_DOSSIER, "failed_mediation_follow_up", "调解未成，出具诉讼/仲裁材料"
    )


def _due_in_fulfilment(case: Case, now: datetime, _policy: DeadlinePolicy) -> DueStep | None:
    due = case.deadlines.fulfilment_due_at
    if due and now >= due:
        return DueStep(
            Action.REOPEN, "fulfilment_not_confirmed", "履行期限届满仍未确认履行，案件重新处理"
        )
    return None


def _due_when_fulfilled(case: Case, now: datetime, policy: DeadlinePolicy) -> DueStep | None:
    quiet_since = case.updated_at
    if quiet_since and now - quiet_since >= timedelta(days=policy.auto_close_calendar_days):
        return DueStep(Action.CLOSE, "fulfilled_auto_close", "履行完毕，自动结案")
    return None


_DUE_RULES: dict[CaseStatus, Callable[[Case, datetime, DeadlinePolicy], DueStep | None]] = {
    CaseStatus.NEGOTIATION: _due_in_negotiation,
    CaseStatus.MEDIATION: _due_in_mediation,
    CaseStatus.MEDIATION_FAILED: _due_after_failure,
    CaseStatus.SETTLED: _due_in_fulfilment,
    CaseStatus.AGREEMENT: _due_in_fulfilment,
    CaseStatus.FULFILLED: _due_when_fulfilled,
}


def refresh_open_deadlines(
    case: Case, *, entered_at: datetime, cal: WorkdayCalendar, policy: DeadlinePolicy
) -> bool:
    """Computes deadlines left open because the calendar did not cover them when the case entered
    its current stage (``entered_at``). Returns whether every deadline is now known."""
    if not case.deadlines.note:
        return True
    start = china_date(entered_at)
    d = case.deadlines
    if case.status is CaseStatus.NEGOTIATION:
        d.reply_due_at, note_1 = due_or_note(
            lambda: add_working_days(start, policy.reply_working_days, cal)
        )
        d.negotiation_due_at, note_2 = due_or_note(
            lambda: add_working_days(start, policy.negotiation_working_days, cal)
        )
        d.note = note_1 or note_2
    elif case.status is CaseStatus.MEDIATION:
        d.mediation_due_at, _shown, d.note = _mediation_due(start, cal, policy)
    elif case.status in (CaseStatus.SETTLED, CaseStatus.AGREEMENT):
        accepted = [o for o in case.offers if o.state is OfferState.ACCEPTED]
        days = accepted[-1].fulfil_within_days if accepted else policy.fulfilment_calendar_days
        d.fulfilment_due_at, d.note = due_or_note(lambda: add_calendar_days(start, days, cal))
    else:
        d.note = ""
    if not d.note:
        d.bound_at = None
    return not d.note


def schedule(case: Case, policy: DeadlinePolicy) -> None:
    """Sets when the worker must next look at the case: the earliest deadline that can fire."""
    d = case.deadlines
    candidates: list[datetime | None] = []
    if case.status is CaseStatus.NEGOTIATION:
        reply_due = d.reply_due_at if case.merchant_replied_at is None else None
        candidates = [reply_due, d.negotiation_due_at]
    elif case.status is CaseStatus.MEDIATION:
        candidates = [d.mediation_due_at]
    elif case.status in (CaseStatus.SETTLED, CaseStatus.AGREEMENT):
        candidates = [d.fulfilment_due_at]
    elif case.status is CaseStatus.MEDIATION_FAILED:
        candidates = [case.updated_at]
    elif case.status is CaseStatus.FULFILLED and case.updated_at is not None:
        candidates = [case.updated_at + timedelta(days=policy.auto_close_calendar_days)]
    known = [moment for moment in candidates if moment is not None]
    d.next_check_at = min(known) if known else None


def take_due_step(
    case: Case, step: DueStep, *, now: datetime, cal: WorkdayCalendar, policy: DeadlinePolicy
) -> None:
    actor = Actor.system(step.rule)
    if step.action is Action.ESCALATE:
        escalate(case, actor=actor, at=now, reason=step.reason, cal=cal, policy=policy)
    elif step.action is Action.RECORD_FAILURE:
        record_failure(case, actor=actor, at=now, reason=step.reason)
    elif step.action in (Action.REFER, Action.ISSUE_DOSSIER):
        refer_or_issue_dossier(
            case, actor=actor, at=now, reason=step.reason, refer=step.action is Action.REFER
        )
    elif step.action is Action.REOPEN:
        reopen(case, actor=actor, at=now, reason=step.reason, cal=cal, policy=policy)
    elif step.action is Action.CLOSE:
        close(case, actor=actor, at=now, reason=step.reason)


def _claim_dict(claim: Claim) -> dict[str, object]:
    return {"kind": claim.kind.value, "amount_fen": claim.amount_fen, "note": claim.note}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
