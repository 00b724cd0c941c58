"""Notifications: notices written with the events that call for them, and the sender.

Queueing happens inside the caller's unit of work (a transactional outbox): :func:`queue` adds the
notice rows to the transaction that saves the case, so a rolled-back event leaves no notice and a
committed one always has its notices. The in-app notice *is* its row, delivered when written; an
e-mail or SMS notice is pending until :func:`deliver_due` has handed it to its channel.

Delivery is at least once: a batch is leased in one short transaction, delivered outside any
transaction (a slow SMTP server must not hold the database), and the outcomes are written in a
second one. A sender that dies in between leaves its lease to run out; the notices are then
delivered again, with the same notice id, which receivers use to discard the copy.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from weiquan.domain.accounts import Principal, Role
from weiquan.domain.cases import Case
from weiquan.domain.errors import NotFound, PermissionDenied, ValidationFailed
from weiquan.domain.identifiers import region_contains
from weiquan.domain.notifications import (
    LANGUAGES,
    Audience,
    ChannelName,
    DeliveryFailure,
    NoticeIntent,
    NoticeState,
    RenderedNotice,
    intents_for,
    render,
)
from weiquan.services import webhooks
from weiquan.services.context import Services
from weiquan.services.notify_ports import (
    Channels,
    Claimed,
    Contact,
    NoticeRow,
    NotifyPolicy,
    OutgoingMessage,
)
from weiquan.services.ports import UnitOfWork

# ---------------------------------------------------------------------------------------------
# Queueing, inside the caller's transaction


def pending_intents(cases: Iterable[Case]) -> list[NoticeIntent]:
    """The notices the cases' unsaved events call for; read them before the save clears them."""
    return [intent for case in cases for intent in intents_for(case, case.new_events)]


class _Audiences:
    """Who is in each audience, looked up once per transaction however many notices."""

    def __init__(self, uow: UnitOfWork, intents: Sequence[NoticeIntent]) -> None:
        wanted = {i.audience for i in intents}
        merchants = [i.merchant_id for i in intents if i.audience is Audience.MERCHANT_STAFF]
        self.staff = uow.notices.staff_of(merchants) if merchants else {}
        self.mediators = uow.notices.active_mediators() if Audience.MEDIATOR_POOL in wanted else []
        self.regulators = uow.notices.regulators() if Audience.REGIONAL_REGULATORS in wanted else []

    def members(self, intent: NoticeIntent) -> list[str]:
        if intent.audience is Audience.CONSUMER:
            people = [intent.consumer_id]
        elif intent.audience is Audience.MERCHANT_STAFF:
            people = self.staff.get(intent.merchant_id, [])
        elif intent.audience is Audience.MEDIATOR_POOL:
            people = self.mediators
        else:
            people = [
                user_id
                for user_id, region in self.regulators
                if region and intent.region_code and region_contains(region, intent.region_code)
            ]
        return [p for p in people if p != intent.actor_id]


def _channels_for(
    intent: NoticeIntent, contact: Contact | None, available: Channels
) -> list[ChannelName]:
    """In-app always; e-mail and SMS where the deployment has the channel, the person has the
    address and, for notices that are not statutory, has not switched the channel off."""
    chosen = [ChannelName.IN_APP]
    if contact is None:
        return chosen
    wants_email = intent.statutory or contact.email_enabled
    if available.email is not None and contact.has_email and wants_email:
        chosen.append(ChannelName.EMAIL)
    wants_sms = intent.statutory or contact.sms_enabled
    if available.sms is not None and contact.has_phone and wants_sms:
        chosen.append(ChannelName.SMS)
    return chosen


def queue(
    uow: UnitOfWork,
    intents: Sequence[NoticeIntent],
    *,
    now: datetime,
    channels: Channels,
) -> int:
    """Writes the notices for ``intents`` into the caller's transaction, by the ``channels``
    this deployment has; how many rows."""
    if not intents:
        return 0
    audiences = _Audiences(uow, intents)
    recipients = [(intent, person) for intent in intents for person in audiences.members(intent)]
    contacts = uow.notices.contacts([person for _, person in recipients])
    rows = [
        _new_row(_notice_id(), intent, person, channel, now)
        for intent, person in recipients
        for channel in _channels_for(intent, contacts.get(person), channels)
    ]
    uow.notices.add_all(rows)
    webhooks.queue(uow, intents, now=now)
    return len(rows)


def _notice_id() -> str:
    # Random, and drawn apart from the case ids: a notice id is what receivers deduplicate by,
    # and taking it from the case id sequence would shift the ids of the cases filed with it.
    return str(uuid.uuid4())


def _new_row(
    notice_id: str, intent: NoticeIntent, person: str, channel: ChannelName, now: datetime
) -> NoticeRow:
    in_app = channel is ChannelName.IN_APP  # in the bell the moment it is committed
    return NoticeRow(
        id=notice_id,
        recipient_id=person,
        channel=channel,
        audience=intent.audience,
        kind=intent.kind,
        case_id=intent.case_id,
        case_number=intent.case_number,
        event_seq=intent.event_seq,
        params=intent.params,
        statutory=intent.statutory,
        state=NoticeState.DELIVERED if in_app else NoticeState.PENDING,
        attempts=0,
        next_attempt_at=None if in_app else now,
        last_error=None,
        created_at=now,
        delivered_at=now if in_app else None,
    )


# ---------------------------------------------------------------------------------------------
# The sender


@dataclass
class DeliveryRound:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    deferred: int = 0

    @property
    def handled(self) -> int:
        return self.delivered + self.retrying + self.failed + self.deferred


@dataclass(frozen=True, slots=True)
class _Outcome:
    notice: NoticeRow
    state: str  # "delivered" | "retry" | "failed" | "deferred"
    at: datetime
    error: str = ""


def deliver_due(
    svc: Services,
    *,
    now: datetime,
    batch_size: int = 200,
    draw: Callable[[], float] = random.random,
) -> DeliveryRound:
    """Delivers one batch of due notices; call it again while it reports work."""
    with svc.uow() as uow:
        claimed = uow.notices.claim_due(now, limit=batch_size, lease_until=now + svc.notify.lease)
        uow.commit()
    outcomes = [_attempt(svc, item, now, draw) for item in claimed]
    round_ = DeliveryRound()
    with svc.uow() as uow:
        delivered = [o.notice.id for o in outcomes if o.state == "delivered"]
        uow.notices.mark_delivered(delivered, at=now)
        round_.delivered = len(delivered)
        for outcome in outcomes:
            _record(uow, outcome, round_)
        uow.commit()
    return round_


def _record(uow: UnitOfWork, outcome: _Outcome, round_: DeliveryRound) -> None:
    notice, attempts = outcome.notice, outcome.notice.attempts + 1
    if outcome.state == "retry":
        uow.notices.reschedule(notice.id, at=outcome.at, attempts=attempts, error=outcome.error)
        round_.retrying += 1
    elif outcome.state == "failed":
        uow.notices.mark_failed(notice.id, attempts=attempts, error=outcome.error)
        round_.failed += 1
    elif outcome.state == "deferred":
        uow.notices.defer(notice.id, until=outcome.at)
        round_.deferred += 1


def _attempt(svc: Services, item: Claimed, now: datetime, draw: Callable[[], float]) -> _Outcome:
    notice, contact = item.notice, item.contact
    channel = svc.channels.get(notice.channel)
    address = contact.email if notice.channel is ChannelName.EMAIL else contact.phone
    if channel is None or not address:
        return _Outcome(notice, "failed", now, "no_channel" if channel is None else "no_address")
    if notice.channel is ChannelName.SMS and svc.notify.quiet_hours.holds(now):
        return _Outcome(notice, "deferred", svc.notify.quiet_hours.ends_after(now))
    try:
        channel.deliver(outgoing(svc.notify, notice, address, contact.language))
    except DeliveryFailure as exc:
        return _failure(svc.notify, notice, now, exc.code, retry=exc.retry, draw=draw)
    except Exception as exc:  # noqa: BLE001 - an adapter's surprise is retried, not lost
        return _failure(svc.notify, notice, now, type(exc).__name__, retry=True, draw=draw)
    return _Outcome(notice, "delivered", now)


def _failure(
    policy: NotifyPolicy,
    notice: NoticeRow,
    now: datetime,
    code: str,
    *,
    retry: bool,
    draw: Callable[[], float],
) -> _Outcome:
    if not retry or policy.retry.gives_up(created_at=notice.created_at, now=now):
        return _Outcome(notice, "failed", now, code)
    at = policy.retry.next_attempt(attempts=notice.attempts + 1, now=now, draw=draw())
    return _Outcome(notice, "retry", at, code)


def case_link(policy: NotifyPolicy, case_id: str | None) -> str:
    base = policy.base_url.rstrip("/")
    return f"{base}/cases/{case_id}" if case_id else f"{base}/notifications"


def outgoing(
    policy: NotifyPolicy, notice: NoticeRow, address: str, language: str
) -> OutgoingMessage:
    rendered: RenderedNotice = render(notice.kind, notice.case_number, notice.params, language)
    link = case_link(policy, notice.case_id)
    return OutgoingMessage(
        notice_id=notice.id,
        channel=notice.channel,
        to=address,
        language=language,
        subject=rendered.subject,
        text=f"{rendered.text}\n{link}",
        link=link,
        statutory=notice.statutory,
        template=notice.kind.value,
        template_params={"case": notice.case_number, "due": rendered.todo[:35]},
    )


def send_code(
    svc: Services, *, channel: ChannelName, to: str, code: str, language: str, message_id: str
) -> None:
    """Sends a one-time sign-in code at once, bypassing the outbox and quiet hours; raises
    DeliveryFailure when the channel refused it (the caller tells the person to try again)."""
    adapter = svc.channels.get(channel)
    if adapter is None:
        raise DeliveryFailure("no_channel", retry=False)
    text = (
        f"Your Weiquan sign-in code is {code}. It expires in 5 minutes."
        if language == "en"
        else f"您的维权平台登录验证码是 {code}，5 分钟内有效。请勿告诉他人。"
    )
    adapter.deliver(
        OutgoingMessage(
            notice_id=message_id,
            channel=channel,
            to=to,
            language=language,
            subject="Weiquan sign-in code" if language == "en" else "维权平台登录验证码",
            text=text,
            statutory=True,
            urgent=True,
            template="sign_in_code",
            template_params={"code": code},
        )
    )


# ---------------------------------------------------------------------------------------------
# In-app reading, the case record, and staff retries


@dataclass(frozen=True, slots=True)
class InboxItem:
    notice: NoticeRow
    rendered: RenderedNotice


def inbox(
    svc: Services, *, principal: Principal, language: str, limit: int = 50, offset: int = 0
) -> tuple[list[InboxItem], int]:
    """The person's in-app notices, newest first, in ``language``; and how many are unread."""
    if not 1 <= limit <= 200 or offset < 0:
        raise ValidationFailed("limit 应在 1–200 之间，offset 不能为负", field="limit")
    with svc.uow(readonly=True) as uow:
        rows = uow.notices.inbox(principal.user_id, limit=limit, offset=offset)
        unread = uow.notices.unread_count(principal.user_id)
    items = [InboxItem(r, render(r.kind, r.case_number, r.params, language)) for r in rows]
    return items, unread


def unread_count(svc: Services, *, principal: Principal) -> int:
    with svc.uow(readonly=True) as uow:
        return uow.notices.unread_count(principal.user_id)


def mark_read(
    svc: Services, *, principal: Principal, notice_ids: Sequence[str] | None, now: datetime
) -> int:
    """Marks the person's own notices read; another person's ids simply match nothing."""
    with svc.uow() as uow:
        count = uow.notices.mark_read(principal.user_id, notice_ids, at=now)
        uow.commit()
    return count


@dataclass(frozen=True, slots=True)
class Reach:
    """How an audience was told of one event by one channel: how many notices, how many have
    reached their recipient (an in-app notice reaches them when written), and when the first
    did."""

    audience: Audience
    channel: ChannelName
    total: int
    delivered: int
    failed: int
    first_delivered_at: datetime | None


def reach_by_event(rows: Sequence[NoticeRow]) -> dict[int, list[Reach]]:
    """A case's notices summed up per event, audience and channel, for its timeline."""
    groups: dict[tuple[int, Audience, ChannelName], list[NoticeRow]] = {}
    for row in rows:
        if row.event_seq is not None:
            groups.setdefault((row.event_seq, row.audience, row.channel), []).append(row)
    summary: dict[int, list[Reach]] = {}
    for (seq, audience, channel), members in groups.items():
        times = [n.delivered_at for n in members if n.delivered_at is not None]
        summary.setdefault(seq, []).append(
            Reach(
                audience=audience,
                channel=channel,
                total=len(members),
                delivered=len(times),
                failed=sum(n.state is NoticeState.FAILED for n in members),
                first_delivered_at=min(times) if times else None,
            )
        )
    return summary


def case_notices(svc: Services, case_id: str) -> list[NoticeRow]:
    """Every notice about a case; the caller has already checked the case is visible."""
    with svc.uow(readonly=True) as uow:
        return uow.notices.for_case(case_id)


def failed_notices(svc: Services, *, principal: Principal, limit: int = 100) -> list[NoticeRow]:
    _require_staff(principal)
    with svc.uow(readonly=True) as uow:
        return uow.notices.failed(limit=limit)


def retry_notice(svc: Services, notice_id: str, *, principal: Principal, now: datetime) -> None:
    _require_staff(principal)
    with svc.uow() as uow:
        if not uow.notices.retry(notice_id, now=now):
            raise NotFound("找不到该失败通知，可能已重发")
        uow.commit()


def _require_staff(principal: Principal) -> None:
    if principal.role not in (Role.ADMIN, Role.MEDIATOR):
        raise PermissionDenied("只有调解员或管理员可以查看和重发失败的通知")


def unsubscribe(svc: Services, notice_id: str, *, now: datetime) -> None:
    """One-click unsubscription from an e-mail (RFC 8058): switches off e-mail for the notices
    of its recipient that are not statutory. The notice id (random, 122 bits, only in that
    person's e-mail) is the authority, as the link must work without signing in."""
    with svc.uow() as uow:
        recipient = uow.notices.recipient_of(notice_id)
        if recipient is None:
            raise NotFound("找不到该通知，退订链接可能已失效")
        contact = uow.notices.contact_of(recipient)
        uow.notices.set_preferences(
            recipient,
            language=contact.language,
            email=contact.email,
            email_enabled=False,
            sms_enabled=contact.sms_enabled,
            now=now,
        )
        uow.commit()


def preferences(svc: Services, *, principal: Principal) -> Contact:
    """The person's own language, e-mail address and channel choices (their own data)."""
    with svc.uow(readonly=True) as uow:
        return uow.notices.contact_of(principal.user_id)


def set_preferences(
    svc: Services,
    *,
    principal: Principal,
    language: str,
    email: str | None,
    email_enabled: bool,
    sms_enabled: bool,
    now: datetime,
) -> None:
    if language not in LANGUAGES:
        raise ValidationFailed("不支持该语言", field="language")
    email = (email or "").strip() or None
    if email is not None and (
        "@" not in email or len(email) > 254 or any(c.isspace() for c in email)
    ):
        raise ValidationFailed("电子邮件地址格式不正确", field="email")
    with svc.uow() as uow:
        uow.notices.set_preferences(
            principal.user_id,
            language=language,
            email=email,
            email_enabled=email_enabled,
            sms_enabled=sms_enabled,
            now=now,
        )
        uow.commit()
