"""What the notification services need from the outside world: the outbox and the channels.

Channels are ports with one method, ``deliver``; the bootstrap builds the adapters (SMTP, an SMS
provider, the developer outbox) once per process, and web, CLI and worker share them. A one-time
sign-in code goes through the same ports directly, not through the outbox: it is urgent, so it is
never held back by quiet hours or a retry queue.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from weiquan.domain.notifications import (
    Audience,
    ChannelName,
    NoticeKind,
    NoticeState,
    QuietHours,
    RetryPolicy,
)


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """One message to one address, already in the recipient's language."""

    notice_id: str  # receivers deduplicate by it; a sign-in code has an id of its own
    channel: ChannelName
    to: str  # an e-mail address or a mobile number (E.164 or 11 digits)
    language: str
    subject: str
    text: str
    html: str = ""
    link: str = ""
    statutory: bool = True
    urgent: bool = False  # sign-in codes: sent at once, whatever the hour
    template: str = ""  # the SMS template's purpose (a NoticeKind value, or "sign_in_code")
    template_params: dict[str, str] = field(default_factory=dict)


class MessageChannel(Protocol):
    def deliver(self, message: OutgoingMessage) -> None:
        """Hands the message over; raises DeliveryFailure (retry or give up) if it was not."""
        ...


class WebhookPoster(Protocol):
    def post(self, url: str, headers: dict[str, str], body: bytes) -> tuple[int | None, int]:
        """(the receiver's HTTP status, or None if it could not be reached; milliseconds)."""
        ...


@dataclass(frozen=True, slots=True)
class Channels:
    """The external channels this deployment has; in-app needs no adapter (the row is it)."""

    email: MessageChannel | None = None
    sms: MessageChannel | None = None
    webhooks: WebhookPoster | None = None

    def get(self, name: ChannelName) -> MessageChannel | None:
        return {ChannelName.EMAIL: self.email, ChannelName.SMS: self.sms}.get(name)


@dataclass(frozen=True, slots=True)
class NoticeRow:
    id: str
    recipient_id: str
    channel: ChannelName
    audience: Audience
    kind: NoticeKind
    case_id: str | None
    case_number: str
    event_seq: int | None
    params: dict[str, Any]
    statutory: bool
    state: NoticeState
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None = None
    read_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Contact:
    """Where a person can be reached; addresses are decrypted only for delivery."""

    user_id: str
    language: str = "zh_CN"
    has_phone: bool = False
    has_email: bool = False
    email_enabled: bool = True
    sms_enabled: bool = True
    phone: str | None = None
    email: str | None = None


@dataclass(frozen=True, slots=True)
class Claimed:
    """A pending notice claimed for delivery, with its recipient's address."""

    notice: NoticeRow
    contact: Contact


class NoticeRepository(Protocol):
    def add_all(self, rows: Sequence[NoticeRow]) -> None: ...

    # Who is in an audience (active accounts only).
    def staff_of(self, merchant_ids: Sequence[str]) -> dict[str, list[str]]: ...
    def active_mediators(self) -> list[str]: ...
    def regulators(self) -> list[tuple[str, str]]:
        """(user id, region code) of every active regulator."""
        ...

    def contacts(self, user_ids: Sequence[str]) -> dict[str, Contact]:
        """Which channels each person has (no addresses decrypted)."""
        ...

    def recipient_of(self, notice_id: str) -> str | None: ...
    def contact_of(self, user_id: str) -> Contact:
        """One person's contact with addresses decrypted (for their own settings page)."""
        ...

    def claim_due(self, now: datetime, *, limit: int, lease_until: datetime) -> list[Claimed]:
        """Pending notices due at ``now``, leased until ``lease_until`` (a sender that dies
        mid-delivery leaves them to be claimed again then); rows another sender is claiming are
        skipped (SKIP LOCKED on PostgreSQL)."""
        ...

    def mark_delivered(self, notice_ids: Sequence[str], *, at: datetime) -> None: ...
    def reschedule(self, notice_id: str, *, at: datetime, attempts: int, error: str) -> None: ...
    def mark_failed(self, notice_id: str, *, attempts: int, error: str) -> None: ...
    def defer(self, notice_id: str, *, until: datetime) -> None:
        """Moves a notice's next attempt without counting an attempt (quiet hours)."""
        ...

    def retry(self, notice_id: str, *, now: datetime) -> bool:
        """Puts a failed notice back in the queue; whether there was one."""
        ...

    def inbox(self, user_id: str, *, limit: int, offset: int) -> list[NoticeRow]: ...
    def unread_count(self, user_id: str) -> int: ...
    def mark_read(self, user_id: str, notice_ids: Sequence[str] | None, *, at: datetime) -> int:
        """Marks the person's in-app notices read (all when ``notice_ids`` is None)."""
        ...

    def for_case(self, case_id: str) -> list[NoticeRow]: ...
    def failed(self, *, limit: int) -> list[NoticeRow]: ...
    def set_preferences(
        self,
        user_id: str,
        *,
        language: str,
        email: str | None,
        email_enabled: bool,
        sms_enabled: bool,
        now: datetime,
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class NotifyPolicy:
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    quiet_hours: QuietHours = field(default_factory=QuietHours)
    # How long a claimed batch belongs to one sender before another may deliver it again.
    lease: timedelta = timedelta(minutes=2)
    # Links in e-mails and SMS point here ("https://weiquan.example.org").
    base_url: str = "http://127.0.0.1:8000"


@dataclass(frozen=True, slots=True)
class WebhookSubscription:
    id: str
    organisation: str
    platform: str  # events of cases against shops on this platform
    url: str
    event_types: tuple[str, ...]
    secrets: tuple[str, ...]  # the current secret first, then the previous one while valid
    active: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class WebhookDelivery:
    id: str  # the webhook-id: the same on every retry
    subscription_id: str
    event_type: str
    payload: dict[str, Any]
    state: NoticeState
    attempts: int
    next_attempt_at: datetime | None
    created_at: datetime
    last_status: int | None = None
    last_latency_ms: int | None = None
    last_error: str | None = None
    delivered_at: datetime | None = None


class WebhookRepository(Protocol):
    def add_subscription(self, sub: WebhookSubscription) -> None: ...
    def subscriptions(self, *, now: datetime) -> list[WebhookSubscription]: ...
    def active_subscriptions(self, *, now: datetime) -> list[WebhookSubscription]: ...
    def rotate(self, sub_id: str, *, secret: str, previous_valid_until: datetime) -> bool: ...
    def add_deliveries(self, rows: Sequence[WebhookDelivery]) -> None: ...
    def claim_due(
        self, now: datetime, *, limit: int, lease_until: datetime
    ) -> list[tuple[WebhookDelivery, WebhookSubscription]]: ...
    def record_attempt(
        self,
        delivery: WebhookDelivery,
        *,
        at: datetime,
        status: int | None,
        latency_ms: int,
        error: str | None,
        state: NoticeState,
        next_attempt_at: datetime | None,
    ) -> None: ...
    def deliveries(self, sub_id: str, *, limit: int) -> list[WebhookDelivery]: ...
    def attempts(self, delivery_id: str) -> list[tuple[datetime, int | None, int, str | None]]: ...
    def redeliver(self, delivery_id: str, *, now: datetime) -> bool: ...
