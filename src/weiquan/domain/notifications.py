"""Who is told what, and how a notice reads: pure rules over case events.

A case event that asks someone to act (a complaint to answer, an offer to accept, a mediation to
attend) produces notices. :data:`RULES` is the one table of which event tells which audience what;
the services resolve an audience to people and write the notices in the same transaction as the
event (a transactional outbox), so there is no notice for an event that was rolled back and no
event without its notices.

Delivery arithmetic lives here too (backoff with jitter, the give-up horizon, quiet hours for SMS),
with the time and the random draw passed in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from typing import Any

from weiquan.domain.calendar import CHINA_TZ
from weiquan.domain.cases import Case, CaseEvent
from weiquan.domain.lifecycle import Action, CaseStatus
from weiquan.domain.money import format_fen


class NoticeKind(StrEnum):
    COMPLAINT_RECEIVED = "complaint_received"
    COMPLAINT_INADMISSIBLE = "complaint_inadmissible"
    MERCHANT_REPLIED = "merchant_replied"
    OFFER_MADE = "offer_made"
    MERCHANT_REFUSED = "merchant_refused"
    EVIDENCE_REQUESTED = "evidence_requested"
    OFFER_ACCEPTED = "offer_accepted"
    MEDIATION_OPENED = "mediation_opened"
    MEDIATION_INVITATION = "mediation_invitation"
    PROPOSAL_MADE = "proposal_made"
    AGREEMENT_REACHED = "agreement_reached"
    CASE_REFERRED = "case_referred"


class Audience(StrEnum):
    CONSUMER = "consumer"
    MERCHANT_STAFF = "merchant_staff"  # every active staff account of the merchant
    MEDIATOR_POOL = "mediator_pool"  # every active mediator, while nobody holds the case
    REGIONAL_REGULATORS = "regional_regulators"  # regulators whose region contains the case's


class ChannelName(StrEnum):
    IN_APP = "in_app"
    EMAIL = "email"
    SMS = "sms"


class NoticeState(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


# Notices that start or move a statutory clock (暂行办法 reply and acceptance periods, mediation
# terms, referral): a person cannot switch them off and e-mails carry no unsubscribe link.
STATUTORY = frozenset(
    {
        NoticeKind.COMPLAINT_RECEIVED,
        NoticeKind.COMPLAINT_INADMISSIBLE,
        NoticeKind.MERCHANT_REFUSED,  # tells the consumer that mediation has begun
        NoticeKind.MEDIATION_OPENED,
        NoticeKind.AGREEMENT_REACHED,
        NoticeKind.CASE_REFERRED,
    }
)

EventMatch = Callable[[CaseEvent], bool]


def _action(*actions: Action) -> EventMatch:
    return lambda e: e.action in actions


def _entered(status: CaseStatus) -> EventMatch:
    return lambda e: e.to_status is status and e.from_status is not status


@dataclass(frozen=True, slots=True)
class Rule:
    """When ``match`` holds for an event, ``kind`` goes to each audience."""

    match: EventMatch
    kind: NoticeKind
    audiences: tuple[Audience, ...]


C, MS, POOL, REG = (
    Audience.CONSUMER,
    Audience.MERCHANT_STAFF,
    Audience.MEDIATOR_POOL,
    Audience.REGIONAL_REGULATORS,
)

# Read top to bottom: an audience is told by the first rule that matches an event, so the
# specific news ("the merchant refused") comes before the general one ("mediation has begun").
RULES: tuple[Rule, ...] = (
    Rule(_action(Action.ADMIT), NoticeKind.COMPLAINT_RECEIVED, (MS,)),
    Rule(_action(Action.DECLARE_INADMISSIBLE), NoticeKind.COMPLAINT_INADMISSIBLE, (C,)),
    Rule(_action(Action.REPLY), NoticeKind.MERCHANT_REPLIED, (C,)),
    Rule(_action(Action.MAKE_OFFER), NoticeKind.OFFER_MADE, (C,)),
    Rule(_action(Action.REFUSE), NoticeKind.MERCHANT_REFUSED, (C,)),
    Rule(_action(Action.REQUEST_EVIDENCE), NoticeKind.EVIDENCE_REQUESTED, (C,)),
    Rule(_action(Action.ACCEPT_OFFER), NoticeKind.OFFER_ACCEPTED, (MS,)),
    Rule(_action(Action.PROPOSE_SETTLEMENT), NoticeKind.PROPOSAL_MADE, (C, MS)),
    Rule(_entered(CaseStatus.MEDIATION), NoticeKind.MEDIATION_OPENED, (C, MS)),
    Rule(_entered(CaseStatus.MEDIATION), NoticeKind.MEDIATION_INVITATION, (POOL,)),
    Rule(_entered(CaseStatus.AGREEMENT), NoticeKind.AGREEMENT_REACHED, (C, MS)),
    Rule(_action(Action.REFER), NoticeKind.CASE_REFERRED, (REG, C, MS)),
)


@dataclass(frozen=True, slots=True)
class NoticeIntent:
    """A notice to an audience, before the services know who is in it."""

    case_id: str
    case_number: str
    event_seq: int
    kind: NoticeKind
    audience: Audience
    consumer_id: str
    merchant_id: str
    region_code: str
    shop_id: str
    params: dict[str, Any]
    actor_id: str | None  # the person who acted is not told about their own act

    @property
    def statutory(self) -> bool:
        return self.kind in STATUTORY


def intents_for(case: Case, events: list[CaseEvent]) -> list[NoticeIntent]:
    """The notices a case's new events call for, in event order."""
    intents: list[NoticeIntent] = []
    for event in events:
        told: set[Audience] = set()
        for rule in RULES:
            if not rule.match(event):
                continue
            for audience in rule.audiences:
                if audience in told:
                    continue
                told.add(audience)
                intents.append(
                    NoticeIntent(
                        case_id=case.id,
                        case_number=case.number,
                        event_seq=event.seq,
                        kind=rule.kind,
                        audience=audience,
                        consumer_id=case.consumer_id,
                        merchant_id=case.merchant_id,
                        region_code=case.region_code,
                        shop_id=case.shop_id,
                        params=notice_params(case, rule.kind),
                        actor_id=event.actor.user_id,
                    )
                )
    return intents


def _due_for(case: Case, kind: NoticeKind) -> datetime | None:
    d = case.deadlines
    by_kind: dict[NoticeKind, datetime | None] = {
        NoticeKind.COMPLAINT_RECEIVED: d.reply_due_at,
        NoticeKind.MERCHANT_REPLIED: d.negotiation_due_at,
        NoticeKind.OFFER_MADE: d.negotiation_due_at,
        NoticeKind.EVIDENCE_REQUESTED: d.negotiation_due_at or d.mediation_due_at,
        NoticeKind.OFFER_ACCEPTED: d.fulfilment_due_at,
        NoticeKind.MEDIATION_OPENED: d.mediation_due_at,
        NoticeKind.MEDIATION_INVITATION: d.mediation_due_at,
        NoticeKind.PROPOSAL_MADE: d.mediation_due_at,
        NoticeKind.AGREEMENT_REACHED: d.fulfilment_due_at,
    }
    return by_kind.get(kind)


def notice_params(case: Case, kind: NoticeKind) -> dict[str, Any]:
    """What a notice says beyond its kind: the case title, the amount on offer, the due time.
    JSON-ready, since the notice is rendered later in the recipient's language."""
    params: dict[str, Any] = {"title": case.title}
    due = _due_for(case, kind)
    if due is not None:
        params["due_at"] = due.isoformat()
    offer = case.open_offer
    if kind in (NoticeKind.OFFER_MADE, NoticeKind.PROPOSAL_MADE) and offer is not None:
        params["amount_fen"] = offer.total_fen
    return params


# ---------------------------------------------------------------------------------------------
# How a notice reads, in the recipient's language

LANGUAGES = ("zh_CN", "en")


@dataclass(frozen=True, slots=True)
class Wording:
    subject: str
    happened: str
    todo: str  # what the person can do; "{due}" is where the deadline goes
    todo_open: str = ""  # the same when the deadline is not known yet (calendar not published)


_ZH: dict[NoticeKind, Wording] = {
    NoticeKind.COMPLAINT_RECEIVED: Wording(
        "收到新投诉",
        "消费者对贵店的投诉已受理。",
        "请在 {due} 前答复、提出解决方案或说明理由。",
        "请尽快答复、提出解决方案或说明理由；期限确定后会显示在案件页面。",
    ),
    NoticeKind.COMPLAINT_INADMISSIBLE: Wording(
        "投诉不予受理", "您的投诉不予受理，原因见案件页面。", "如有异议，可补充材料后重新提交。"
    ),
    NoticeKind.MERCHANT_REPLIED: Wording(
        "商家已答复", "商家答复了您的投诉。", "请查看答复；协商期至 {due}。", "请查看答复。"
    ),
    NoticeKind.OFFER_MADE: Wording(
        "商家提出解决方案",
        "商家提出了解决方案，金额 {amount}。",
        "请在 {due} 前接受或拒绝；拒绝后案件转入调解。",
        "请尽快接受或拒绝；拒绝后案件转入调解。",
    ),
    NoticeKind.MERCHANT_REFUSED: Wording(
        "商家拒绝了您的诉求", "商家拒绝了您的诉求，案件已转入调解。", "调解员将联系双方。"
    ),
    NoticeKind.EVIDENCE_REQUESTED: Wording(
        "请补充证据", "对方请求您补充证据。", "请在 {due} 前上传相关材料。", "请尽快上传相关材料。"
    ),
    NoticeKind.OFFER_ACCEPTED: Wording(
        "消费者接受了方案",
        "消费者接受了贵店的解决方案。",
        "请在 {due} 前履行。",
        "请尽快履行；期限见案件页面。",
    ),
    NoticeKind.MEDIATION_OPENED: Wording(
        "案件转入调解",
        "协商未果，案件已转入在线调解。",
        "调解期限至 {due}，请留意调解员的联系。",
        "请留意调解员的联系；调解期限见案件页面。",
    ),
    NoticeKind.MEDIATION_INVITATION: Wording(
        "有案件待调解",
        "一件案件进入调解队列，尚无调解员认领。",
        "请认领并在 {due} 前完成调解。",
        "请认领；调解期限见案件页面。",
    ),
    NoticeKind.PROPOSAL_MADE: Wording(
        "调解员提出调解方案",
        "调解员提出了调解方案，金额 {amount}。",
        "请在 {due} 前表示同意或不同意。",
        "请尽快表示同意或不同意。",
    ),
    NoticeKind.AGREEMENT_REACHED: Wording(
        "已达成调解协议",
        "双方已达成调解协议。",
        "请按协议在 {due} 前履行。",
        "请按协议履行；期限见案件页面。",
    ),
    NoticeKind.CASE_REFERRED: Wording(
        "案件已移交监管部门",
        "调解未成，案件已移交商家所在地市场监管部门。",
        "监管部门将依法处理；可在案件页面查看进展。",
    ),
}

_EN: dict[NoticeKind, Wording] = {
    NoticeKind.COMPLAINT_RECEIVED: Wording(
        "New complaint",
        "A consumer's complaint against your shop has been accepted.",
        "Reply, make an offer or give your reasons by {due}.",
        "Reply, make an offer or give your reasons soon; the case page will show the deadline.",
    ),
    NoticeKind.COMPLAINT_INADMISSIBLE: Wording(
        "Complaint not accepted",
        "Your complaint was not accepted; the case page says why.",
        "If you disagree, add what was missing and file it again.",
    ),
    NoticeKind.MERCHANT_REPLIED: Wording(
        "The merchant replied",
        "The merchant replied to your complaint.",
        "Read the reply; negotiation runs until {due}.",
        "Read the reply.",
    ),
    NoticeKind.OFFER_MADE: Wording(
        "The merchant made an offer",
        "The merchant offered a settlement of {amount}.",
        "Accept or reject it by {due}; rejecting it takes the case to mediation.",
        "Accept or reject it soon; rejecting it takes the case to mediation.",
    ),
    NoticeKind.MERCHANT_REFUSED: Wording(
        "The merchant refused your claims",
        "The merchant refused your claims; the case has gone to mediation.",
        "A mediator will contact both sides.",
    ),
    NoticeKind.EVIDENCE_REQUESTED: Wording(
        "More evidence requested",
        "You have been asked for more evidence.",
        "Upload it by {due}.",
        "Upload it soon.",
    ),
    NoticeKind.OFFER_ACCEPTED: Wording(
        "The consumer accepted your offer",
        "The consumer accepted your offer.",
        "Carry it out by {due}.",
        "Carry it out; the case page shows the deadline.",
    ),
    NoticeKind.MEDIATION_OPENED: Wording(
        "The case has gone to mediation",
        "Negotiation did not settle the case; it is now in online mediation.",
        "Mediation runs until {due}; a mediator will be in touch.",
        "A mediator will be in touch; the case page shows the deadline.",
    ),
    NoticeKind.MEDIATION_INVITATION: Wording(
        "A case awaits a mediator",
        "A case has entered the mediation queue and nobody holds it yet.",
        "Take it on and finish mediation by {due}.",
        "Take it on; the case page shows the deadline.",
    ),
    NoticeKind.PROPOSAL_MADE: Wording(
        "The mediator made a proposal",
        "The mediator proposed a settlement of {amount}.",
        "Say whether you agree by {due}.",
        "Say soon whether you agree.",
    ),
    NoticeKind.AGREEMENT_REACHED: Wording(
        "Mediation agreement reached",
        "Both sides have reached a mediation agreement.",
        "Carry it out by {due}.",
        "Carry it out; the case page shows the deadline.",
    ),
    NoticeKind.CASE_REFERRED: Wording(
        "Case referred to the regulator",
        "Mediation failed; the case has been referred to the market regulator of the "
        "merchant's region.",
        "The regulator will handle it; follow progress on the case page.",
    ),
}

WORDINGS: Mapping[str, Mapping[NoticeKind, Wording]] = {"zh_CN": _ZH, "en": _EN}


@dataclass(frozen=True, slots=True)
class RenderedNotice:
    subject: str  # "[维权] 收到新投诉 · 案件 WQ…"
    headline: str  # what happened
    todo: str  # what to do by when
    case_number: str

    @property
    def text(self) -> str:
        return f"{self.headline}\n{self.todo}"


def due_text(due: datetime, language: str) -> str:
    """Beijing time, a period's end shown as 24:00 of its last day (民法典 Art 203)."""
    local = due.astimezone(CHINA_TZ)
    clock = f"{local:%H:%M}"
    if local.time() == time.min:
        local, clock = local - timedelta(days=1), "24:00"
    if language == "en":
        return f"{local.day} {local:%b %Y} {clock} (Beijing time)"
    return f"{local.year}年{local.month}月{local.day}日 {clock}"


def render(
    kind: NoticeKind, case_number: str, params: Mapping[str, Any], language: str
) -> RenderedNotice:
    """The notice in ``language`` ("zh_CN" or "en"; anything else reads as Chinese)."""
    language = language if language in WORDINGS else "zh_CN"
    wording = WORDINGS[language][kind]
    due_at = params.get("due_at")
    if due_at:
        todo = wording.todo.format(due=due_text(datetime.fromisoformat(due_at), language))
    else:
        todo = wording.todo_open or wording.todo
    amount = format_fen(int(params.get("amount_fen") or 0))
    title = str(params.get("title", ""))
    if language == "en":
        subject = f"[Weiquan] {wording.subject} · case {case_number}"
        headline = f"Case {case_number} ({title}): {wording.happened.format(amount=amount)}"
    else:
        subject = f"[维权] {wording.subject} · 案件 {case_number}"
        headline = f"案件 {case_number}（{title}）：{wording.happened.format(amount=amount)}"
    return RenderedNotice(subject, headline, todo, case_number)


# ---------------------------------------------------------------------------------------------
# Delivery arithmetic


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with jitter, up to a horizon after which a notice is given up."""

    first_delay: timedelta = timedelta(seconds=30)
    max_delay: timedelta = timedelta(hours=1)
    give_up_after: timedelta = timedelta(hours=24)

    def next_attempt(self, *, attempts: int, now: datetime, draw: float) -> datetime:
        """When to try again after ``attempts`` failures; ``draw`` in [0, 1) spreads retries
        over the upper half of the interval ("equal jitter"), so a burst that failed together
        does not retry together."""
        ceiling: timedelta = min(self.max_delay, self.first_delay * (2 ** max(attempts - 1, 0)))
        half = ceiling / 2
        return now + half + half * draw

    def gives_up(self, *, created_at: datetime, now: datetime) -> bool:
        return now - created_at >= self.give_up_after


@dataclass(frozen=True, slots=True)
class QuietHours:
    """SMS that is not urgent waits until morning (default 22:00–08:00 Beijing time)."""

    start: time = time(22, 0)
    end: time = time(8, 0)

    def holds(self, moment: datetime) -> bool:
        local = moment.astimezone(CHINA_TZ).time()
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def ends_after(self, moment: datetime) -> datetime:
        """The first moment at or after ``moment`` outside quiet hours."""
        if not self.holds(moment):
            return moment
        local = moment.astimezone(CHINA_TZ)
        end = local.replace(hour=self.end.hour, minute=self.end.minute, second=0, microsecond=0)
        if end <= local:
            end += timedelta(days=1)
        return end


class DeliveryFailure(Exception):
    """A channel could not deliver. ``retry``: worth another try later (a timeout, a provider's
    throttling); otherwise giving up now is right (an invalid number, a rejected template).
    ``code`` is the provider's or protocol's code, never the message's content."""

    def __init__(self, code: str, *, retry: bool) -> None:
        super().__init__(code)
        self.code = code
        self.retry = retry

    def __str__(self) -> str:
        return f"{self.code} ({'retry' if self.retry else 'give up'})"
