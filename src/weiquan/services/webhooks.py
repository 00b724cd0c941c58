"""Signed webhooks for platforms: subscriptions, events written with the case events, delivery.

An organisation (a marketplace, a consumer association) subscribes to event types of the cases
against shops on its platform. Events are queued in the same transaction as the case event, like
notices, one delivery per subscription; the sender posts them signed after the Standard Webhooks
conventions (:mod:`weiquan.domain.webhooks`), retries anything but a 2xx with backoff and jitter
until the give-up horizon, and logs every attempt with its status code and latency. Staff can
redeliver any delivery by hand.

Bodies carry no personal data: the event id, type, time and the case reference.
"""

from __future__ import annotations

import base64
import json
import random
import secrets
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from weiquan.domain.accounts import Principal, Role
from weiquan.domain.errors import NotFound, PermissionDenied, ValidationFailed
from weiquan.domain.notifications import NoticeIntent, NoticeKind, NoticeState
from weiquan.domain.webhooks import EVENT_PREFIX, SECRET_PREFIX, headers
from weiquan.services.context import Services
from weiquan.services.notify_ports import WebhookDelivery, WebhookSubscription
from weiquan.services.ports import UnitOfWork

EVENT_TYPES = tuple(EVENT_PREFIX + kind.value for kind in NoticeKind)
# Rotation: the previous secret keeps signing this long, so receivers can switch over.
ROTATION_OVERLAP = timedelta(days=7)


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _require_admin(principal: Principal) -> None:
    if principal.role is not Role.ADMIN:
        raise PermissionDenied("只有管理员可以管理 Webhook 订阅")


def subscribe(
    svc: Services,
    *,
    principal: Principal,
    organisation: str,
    platform: str,
    url: str,
    event_types: Sequence[str],
    now: datetime,
) -> tuple[WebhookSubscription, str]:
    """Creates a subscription; returns it with its secret, shown this once."""
    _require_admin(principal)
    if not url.startswith(("https://", "http://")) or len(url) > 500:
        raise ValidationFailed("Webhook 地址须是以 https://（或 http://）开头的网址", field="url")
    unknown = sorted(set(event_types) - set(EVENT_TYPES))
    if not event_types or unknown:
        raise ValidationFailed(f"未知的事件类型：{', '.join(unknown) or '（空）'}", field="events")
    if not organisation.strip() or not platform.strip():
        raise ValidationFailed("请写明订阅机构和平台", field="organisation")
    secret = new_secret()
    sub = WebhookSubscription(
        id=str(uuid.uuid4()),
        organisation=organisation.strip()[:100],
        platform=platform.strip()[:60],
        url=url,
        event_types=tuple(sorted(set(event_types))),
        secrets=(secret,),
        active=True,
        created_at=now,
    )
    with svc.uow() as uow:
        uow.webhooks.add_subscription(sub)
        uow.commit()
    return sub, secret


def rotate_secret(svc: Services, sub_id: str, *, principal: Principal, now: datetime) -> str:
    """A new secret; the old one keeps signing for :data:`ROTATION_OVERLAP`."""
    _require_admin(principal)
    secret = new_secret()
    with svc.uow() as uow:
        if not uow.webhooks.rotate(
            sub_id, secret=secret, previous_valid_until=now + ROTATION_OVERLAP
        ):
            raise NotFound("找不到该 Webhook 订阅")
        uow.commit()
    return secret


def subscriptions(
    svc: Services, *, principal: Principal, now: datetime
) -> list[WebhookSubscription]:
    _require_admin(principal)
    with svc.uow(readonly=True) as uow:
        return uow.webhooks.subscriptions(now=now)


def delivery_log(
    svc: Services, sub_id: str, *, principal: Principal, limit: int = 100
) -> list[tuple[WebhookDelivery, list[tuple[datetime, int | None, int, str | None]]]]:
    """Each delivery with its attempts: (time, status code, milliseconds, error code)."""
    _require_admin(principal)
    with svc.uow(readonly=True) as uow:
        found = uow.webhooks.deliveries(sub_id, limit=limit)
        return [(d, uow.webhooks.attempts(d.id)) for d in found]


def redeliver(svc: Services, delivery_id: str, *, principal: Principal, now: datetime) -> None:
    _require_admin(principal)
    with svc.uow() as uow:
        if not uow.webhooks.redeliver(delivery_id, now=now):
            raise NotFound("找不到该投递记录")
        uow.commit()


# ---------------------------------------------------------------------------------------------
# Queueing with the case event, and delivery


def queue(uow: UnitOfWork, intents: Sequence[NoticeIntent], *, now: datetime) -> int:
    """One delivery per case event and matching subscription, in the caller's transaction."""
    active = uow.webhooks.active_subscriptions(now=now) if intents else []
    if not active:
        return 0
    platforms: dict[str, str] = {}
    events: dict[tuple[str, int, NoticeKind], NoticeIntent] = {}
    for intent in intents:
        events.setdefault((intent.case_id, intent.event_seq, intent.kind), intent)
    rows: list[WebhookDelivery] = []
    for intent in events.values():
        if intent.shop_id not in platforms:
            shop = uow.merchants.get_shop(intent.shop_id)
            platforms[intent.shop_id] = shop.platform if shop else ""
        event_type = EVENT_PREFIX + intent.kind.value
        body = _body(intent, event_type, now)
        rows.extend(
            _delivery(sub, event_type, body, now)
            for sub in active
            if event_type in sub.event_types and sub.platform == platforms[intent.shop_id]
        )
    uow.webhooks.add_deliveries(rows)
    return len(rows)


def _body(intent: NoticeIntent, event_type: str, now: datetime) -> dict[str, object]:
    return {
        "event_id": str(uuid.uuid4()),
        "type": event_type,
        "timestamp": now.isoformat(),
        "data": {
            "case_id": intent.case_id,
            "case_number": intent.case_number,
            "event_seq": intent.event_seq,
            "due_at": intent.params.get("due_at"),
        },
    }


def _delivery(
    sub: WebhookSubscription, event_type: str, body: dict[str, object], now: datetime
) -> WebhookDelivery:
    return WebhookDelivery(
        id=str(uuid.uuid4()),
        subscription_id=sub.id,
        event_type=event_type,
        payload=body,
        state=NoticeState.PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )


@dataclass
class WebhookRound:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0

    @property
    def handled(self) -> int:
        return self.delivered + self.retrying + self.failed


def deliver_due(
    svc: Services,
    *,
    now: datetime,
    batch_size: int = 50,
    draw: Callable[[], float] = random.random,
) -> WebhookRound:
    """Posts one batch of due deliveries; a 2xx answer delivers, anything else is retried."""
    poster = svc.channels.webhooks
    round_ = WebhookRound()
    if poster is None:
        return round_
    with svc.uow() as uow:
        claimed = uow.webhooks.claim_due(now, limit=batch_size, lease_until=now + svc.notify.lease)
        uow.commit()
    outcomes = []
    for delivery, sub in claimed:
        body = json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":")).encode()
        signed = headers(sub.secrets, delivery.id, int(now.timestamp()), body)
        status, latency = poster.post(sub.url, {**signed, "content-type": "application/json"}, body)
        outcomes.append((delivery, status, latency))
    with svc.uow() as uow:
        for delivery, status, latency in outcomes:
            ok = status is not None and 200 <= status < 300
            retry = svc.notify.retry
            if ok:
                state, at, round_.delivered = NoticeState.DELIVERED, None, round_.delivered + 1
            elif retry.gives_up(created_at=delivery.created_at, now=now):
                state, at, round_.failed = NoticeState.FAILED, None, round_.failed + 1
            else:
                at = retry.next_attempt(attempts=delivery.attempts + 1, now=now, draw=draw())
                state, round_.retrying = NoticeState.PENDING, round_.retrying + 1
            uow.webhooks.record_attempt(
                delivery,
                at=now,
                status=status,
                latency_ms=latency,
                error=None if ok else (f"http_{status}" if status else "unreachable"),
                state=state,
                next_attempt_at=at,
            )
        uow.commit()
    return round_
