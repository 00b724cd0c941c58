"""The notice outbox and contact preferences in SQL (Core, like the other repositories)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from weiquan.adapters.crypto import FieldCipher
from weiquan.adapters.db import tables as t
from weiquan.adapters.db.tables_notify import (
    is_pending,
    notices,
    notification_preferences,
    webhook_attempts,
    webhook_deliveries,
    webhook_subscriptions,
)
from weiquan.domain.accounts import Role
from weiquan.domain.notifications import Audience, ChannelName, NoticeKind, NoticeState
from weiquan.services.notify_ports import (
    Claimed,
    Contact,
    NoticeRow,
    WebhookDelivery,
    WebhookSubscription,
)

_INSERT = notices.insert()
_IN_APP = ChannelName.IN_APP.value
prefs = notification_preferences


def _lease_due(table: sa.Table, now: datetime, *, limit: int, lease_until: datetime) -> sa.Update:
    """Claims the due rows of an outbox table and leases them in one statement: until the lease
    runs out no other sender takes them; if this one dies, they fall due again then and are
    delivered again (receivers deduplicate by id). ``SKIP LOCKED`` lets senders share the work."""
    due = (
        sa.select(table.c.id)
        .where(is_pending(table), table.c.next_attempt_at <= now)
        .order_by(table.c.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return (
        table.update()
        .where(table.c.id.in_(due.scalar_subquery()))
        .values(next_attempt_at=lease_until)
        .returning(*table.c)
    )


def _row(notice: NoticeRow) -> dict[str, Any]:
    return {
        "id": notice.id,
        "recipient_id": notice.recipient_id,
        "channel": notice.channel.value,
        "audience": notice.audience.value,
        "kind": notice.kind.value,
        "case_id": notice.case_id,
        "case_number": notice.case_number,
        "event_seq": notice.event_seq,
        "params": notice.params,
        "statutory": notice.statutory,
        "state": notice.state.value,
        "attempts": notice.attempts,
        "next_attempt_at": notice.next_attempt_at,
        "last_error": notice.last_error,
        "created_at": notice.created_at,
        "delivered_at": notice.delivered_at,
        "read_at": notice.read_at,
    }


def _notice(row: Mapping[str, Any]) -> NoticeRow:
    return NoticeRow(
        id=row["id"],
        recipient_id=row["recipient_id"],
        channel=ChannelName(row["channel"]),
        audience=Audience(row["audience"]),
        kind=NoticeKind(row["kind"]),
        case_id=row["case_id"],
        case_number=row["case_number"],
        event_seq=row["event_seq"],
        params=dict(row["params"]),
        statutory=bool(row["statutory"]),
        state=NoticeState(row["state"]),
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"],
        last_error=row["last_error"],
        created_at=row["created_at"],
        delivered_at=row["delivered_at"],
        read_at=row["read_at"],
    )


_CONTACT_COLUMNS = (
    t.users.c.id,
    t.users.c.phone_enc,
    prefs.c.language,
    prefs.c.email_enc,
    prefs.c.email_enabled,
    prefs.c.sms_enabled,
)


class SqlNoticeRepository:
    def __init__(self, conn: sa.Connection, cipher: FieldCipher) -> None:
        self._conn = conn
        self._cipher = cipher

    def add_all(self, rows: Sequence[NoticeRow]) -> None:
        if rows:
            self._conn.execute(_INSERT, [_row(r) for r in rows])

    def staff_of(self, merchant_ids: Sequence[str]) -> dict[str, list[str]]:
        u = t.users.c
        query = sa.select(u.merchant_id, u.id).where(
            u.merchant_id.in_(sorted(set(merchant_ids))),
            u.role == Role.MERCHANT.value,
            u.is_active == sa.true(),
        )
        staff: dict[str, list[str]] = {m: [] for m in merchant_ids}
        for merchant_id, user_id in self._conn.execute(query.order_by(u.id)):
            staff[merchant_id].append(user_id)
        return staff

    def _active(self, role: Role) -> sa.Select[Any]:
        u = t.users.c
        return sa.select(u.id, u.region_code).where(u.role == role.value, u.is_active == sa.true())

    def active_mediators(self) -> list[str]:
        return [r.id for r in self._conn.execute(self._active(Role.MEDIATOR).order_by("id"))]

    def regulators(self) -> list[tuple[str, str]]:
        rows = self._conn.execute(self._active(Role.REGULATOR).order_by("id"))
        return [(r.id, r.region_code or "") for r in rows]

    def _contact_query(self) -> sa.Select[Any]:
        return sa.select(*_CONTACT_COLUMNS).select_from(
            t.users.outerjoin(prefs, prefs.c.user_id == t.users.c.id)
        )

    def contacts(self, user_ids: Sequence[str]) -> dict[str, Contact]:
        if not user_ids:
            return {}
        query = self._contact_query().where(t.users.c.id.in_(sorted(set(user_ids))))
        return {r.id: self._contact(r._mapping, decrypt=False) for r in self._conn.execute(query)}

    def recipient_of(self, notice_id: str) -> str | None:
        query = sa.select(notices.c.recipient_id).where(notices.c.id == notice_id)
        found: str | None = self._conn.execute(query).scalar_one_or_none()
        return found

    def contact_of(self, user_id: str) -> Contact:
        row = self._conn.execute(self._contact_query().where(t.users.c.id == user_id)).first()
        return self._contact(row._mapping, decrypt=True) if row else Contact(user_id)

    def _contact(self, row: Mapping[str, Any], *, decrypt: bool) -> Contact:
        phone, email = row["phone_enc"], row["email_enc"]
        return Contact(
            user_id=row["id"],
            language=row["language"] or "zh_CN",
            has_phone=bool(phone),
            has_email=bool(email),
            email_enabled=row["email_enabled"] is not False,
            sms_enabled=row["sms_enabled"] is not False,
            phone=self._cipher.decrypt(phone) if decrypt and phone else None,
            email=self._cipher.decrypt(email) if decrypt and email else None,
        )

    def claim_due(self, now: datetime, *, limit: int, lease_until: datetime) -> list[Claimed]:
        leased = _lease_due(notices, now, limit=limit, lease_until=lease_until)
        rows = sorted(
            (_notice(r._mapping) for r in self._conn.execute(leased)),
            key=lambda row: (row.created_at, row.id),
        )
        if not rows:
            return []
        query = self._contact_query().where(t.users.c.id.in_({r.recipient_id for r in rows}))
        contacts = {
            r.id: self._contact(r._mapping, decrypt=True) for r in self._conn.execute(query)
        }
        return [Claimed(r, contacts[r.recipient_id]) for r in rows]

    def mark_delivered(self, notice_ids: Sequence[str], *, at: datetime) -> None:
        if notice_ids:
            self._conn.execute(
                notices.update()
                .where(notices.c.id.in_(list(notice_ids)))
                .values(state=NoticeState.DELIVERED.value, delivered_at=at, next_attempt_at=None)
            )

    def reschedule(self, notice_id: str, *, at: datetime, attempts: int, error: str) -> None:
        self._conn.execute(
            notices.update()
            .where(notices.c.id == notice_id)
            .values(next_attempt_at=at, attempts=attempts, last_error=error[:100])
        )

    def mark_failed(self, notice_id: str, *, attempts: int, error: str) -> None:
        self._conn.execute(
            notices.update()
            .where(notices.c.id == notice_id)
            .values(
                state=NoticeState.FAILED.value,
                attempts=attempts,
                last_error=error[:100],
                next_attempt_at=None,
            )
        )

    def defer(self, notice_id: str, *, until: datetime) -> None:
        self._conn.execute(
            notices.update().where(notices.c.id == notice_id).values(next_attempt_at=until)
        )

    def retry(self, notice_id: str, *, now: datetime) -> bool:
        result = self._conn.execute(
            notices.update()
            .where(notices.c.id == notice_id, notices.c.state == NoticeState.FAILED.value)
            .values(state=NoticeState.PENDING.value, next_attempt_at=now, attempts=0)
        )
        return result.rowcount == 1

    def _in_app_of(self, user_id: str) -> sa.ColumnElement[bool]:
        return sa.and_(notices.c.recipient_id == user_id, notices.c.channel == _IN_APP)

    def inbox(self, user_id: str, *, limit: int, offset: int) -> list[NoticeRow]:
        query = (
            sa.select(notices)
            .where(self._in_app_of(user_id))
            .order_by(notices.c.created_at.desc(), notices.c.id)
            .limit(limit)
            .offset(offset)
        )
        return [_notice(r._mapping) for r in self._conn.execute(query)]

    def unread_count(self, user_id: str) -> int:
        query = (
            sa.select(sa.func.count())
            .select_from(notices)
            .where(self._in_app_of(user_id), notices.c.read_at.is_(None))
        )
        return int(self._conn.execute(query).scalar_one())

    def mark_read(self, user_id: str, notice_ids: Sequence[str] | None, *, at: datetime) -> int:
        where = [self._in_app_of(user_id), notices.c.read_at.is_(None)]
        if notice_ids is not None:
            where.append(notices.c.id.in_(list(notice_ids)))
        result = self._conn.execute(notices.update().where(*where).values(read_at=at))
        return result.rowcount

    def for_case(self, case_id: str) -> list[NoticeRow]:
        query = (
            sa.select(notices)
            .where(notices.c.case_id == case_id)
            .order_by(notices.c.event_seq, notices.c.created_at, notices.c.id)
        )
        return [_notice(r._mapping) for r in self._conn.execute(query)]

    def failed(self, *, limit: int) -> list[NoticeRow]:
        query = (
            sa.select(notices)
            .where(notices.c.state == NoticeState.FAILED.value)
            .order_by(notices.c.created_at.desc())
            .limit(limit)
        )
        return [_notice(r._mapping) for r in self._conn.execute(query)]

    def set_preferences(
        self,
        user_id: str,
        *,
        language: str,
        email: str | None,
        email_enabled: bool,
        sms_enabled: bool,
        now: datetime,
    ) -> None:
        values = {
            "language": language,
            "email_enc": self._cipher.encrypt(email) if email else None,
            "email_enabled": email_enabled,
            "sms_enabled": sms_enabled,
            "updated_at": now,
        }
        updated = self._conn.execute(
            prefs.update().where(prefs.c.user_id == user_id).values(**values)
        )
        if updated.rowcount == 0:
            self._conn.execute(prefs.insert().values(user_id=user_id, **values))


subs, deliveries, attempts_t = webhook_subscriptions, webhook_deliveries, webhook_attempts


class SqlWebhookRepository:
    def __init__(self, conn: sa.Connection, cipher: FieldCipher) -> None:
        self._conn = conn
        self._cipher = cipher

    def add_subscription(self, sub: WebhookSubscription) -> None:
        self._conn.execute(
            subs.insert().values(
                id=sub.id,
                organisation=sub.organisation,
                platform=sub.platform,
                url=sub.url,
                event_types=list(sub.event_types),
                secret_enc=self._cipher.encrypt(sub.secrets[0]),
                active=sub.active,
                created_at=sub.created_at,
            )
        )

    def _sub(self, row: Mapping[str, Any], now: datetime) -> WebhookSubscription:
        secrets = [self._cipher.decrypt(row["secret_enc"])]
        until = row["previous_valid_until"]
        if row["previous_secret_enc"] and until is not None and until > now:
            secrets.append(self._cipher.decrypt(row["previous_secret_enc"]))
        return WebhookSubscription(
            id=row["id"],
            organisation=row["organisation"],
            platform=row["platform"],
            url=row["url"],
            event_types=tuple(row["event_types"]),
            secrets=tuple(secrets),
            active=bool(row["active"]),
            created_at=row["created_at"],
        )

    def subscriptions(self, *, now: datetime) -> list[WebhookSubscription]:
        rows = self._conn.execute(sa.select(subs).order_by(subs.c.created_at, subs.c.id))
        return [self._sub(r._mapping, now) for r in rows]

    def active_subscriptions(self, *, now: datetime) -> list[WebhookSubscription]:
        rows = self._conn.execute(sa.select(subs).where(subs.c.active == sa.true()))
        return [self._sub(r._mapping, now) for r in rows]

    def rotate(self, sub_id: str, *, secret: str, previous_valid_until: datetime) -> bool:
        result = self._conn.execute(
            subs.update()
            .where(subs.c.id == sub_id)
            .values(
                previous_secret_enc=subs.c.secret_enc,
                previous_valid_until=previous_valid_until,
                secret_enc=self._cipher.encrypt(secret),
            )
        )
        return result.rowcount == 1

    def add_deliveries(self, rows: Sequence[WebhookDelivery]) -> None:
        if rows:
            self._conn.execute(
                deliveries.insert(),
                [
                    {
                        "id": d.id,
                        "subscription_id": d.subscription_id,
                        "event_type": d.event_type,
                        "payload": d.payload,
                        "state": d.state.value,
                        "attempts": d.attempts,
                        "next_attempt_at": d.next_attempt_at,
                        "created_at": d.created_at,
                    }
                    for d in rows
                ],
            )

    @staticmethod
    def _delivery(row: Mapping[str, Any]) -> WebhookDelivery:
        return WebhookDelivery(
            id=row["id"],
            subscription_id=row["subscription_id"],
            event_type=row["event_type"],
            payload=dict(row["payload"]),
            state=NoticeState(row["state"]),
            attempts=row["attempts"],
            next_attempt_at=row["next_attempt_at"],
            created_at=row["created_at"],
            last_status=row["last_status"],
            last_latency_ms=row["last_latency_ms"],
            last_error=row["last_error"],
            delivered_at=row["delivered_at"],
        )

    def claim_due(
        self, now: datetime, *, limit: int, lease_until: datetime
    ) -> list[tuple[WebhookDelivery, WebhookSubscription]]:
        leased = _lease_due(deliveries, now, limit=limit, lease_until=lease_until)
        rows = [self._delivery(r._mapping) for r in self._conn.execute(leased)]
        if not rows:
            return []
        query = sa.select(subs).where(subs.c.id.in_({r.subscription_id for r in rows}))
        by_id = {r.id: self._sub(r._mapping, now) for r in self._conn.execute(query)}
        return sorted(
            ((r, by_id[r.subscription_id]) for r in rows), key=lambda p: (p[0].created_at, p[0].id)
        )

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
    ) -> None:
        self._conn.execute(
            attempts_t.insert().values(
                delivery_id=delivery.id, at=at, status=status, latency_ms=latency_ms, error=error
            )
        )
        self._conn.execute(
            deliveries.update()
            .where(deliveries.c.id == delivery.id)
            .values(
                state=state.value,
                attempts=delivery.attempts + 1,
                next_attempt_at=next_attempt_at,
                last_status=status,
                last_latency_ms=latency_ms,
                last_error=error,
                delivered_at=at if state is NoticeState.DELIVERED else None,
            )
        )

    def deliveries(self, sub_id: str, *, limit: int) -> list[WebhookDelivery]:
        query = (
            sa.select(deliveries)
            .where(deliveries.c.subscription_id == sub_id)
            .order_by(deliveries.c.created_at.desc())
            .limit(limit)
        )
        return [self._delivery(r._mapping) for r in self._conn.execute(query)]

    def attempts(self, delivery_id: str) -> list[tuple[datetime, int | None, int, str | None]]:
        a = attempts_t.c
        query = sa.select(a.at, a.status, a.latency_ms, a.error).where(a.delivery_id == delivery_id)
        return [
            (r.at, r.status, r.latency_ms, r.error)
            for r in self._conn.execute(query.order_by(a.id))
        ]

    def redeliver(self, delivery_id: str, *, now: datetime) -> bool:
        result = self._conn.execute(
            deliveries.update()
            .where(deliveries.c.id == delivery_id)
            .values(state=NoticeState.PENDING.value, next_attempt_at=now)
        )
        return result.rowcount == 1
