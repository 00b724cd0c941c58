"""Notification tables, on the shared ``metadata``: the notice outbox and each person's contact
preferences.

A notice row is written in the same transaction as the case event that calls for it; the sender
claims pending rows, delivers them and records the outcome on the row, which is also the record
of when a party was told and by which channel.
"""

from __future__ import annotations

import sqlalchemy as sa

from weiquan.adapters.db.tables import ID, UtcDateTime, metadata

notices = sa.Table(
    "notices",
    metadata,
    # The notice id travels with every delivery (Message-ID, the SMS OutId) so that receivers
    # can discard a second copy: delivery is at least once.
    sa.Column("id", ID, primary_key=True),
    sa.Column("recipient_id", ID, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("channel", sa.String(10), nullable=False),
    sa.Column("audience", sa.String(30), nullable=False),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("case_id", ID, sa.ForeignKey("cases.id"), nullable=True, index=True),
    sa.Column("case_number", sa.String(32), nullable=False),
    sa.Column("event_seq", sa.Integer, nullable=True),
    sa.Column("params", sa.JSON, nullable=False),
    sa.Column("statutory", sa.Boolean, nullable=False),
    sa.Column("state", sa.String(10), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_at", UtcDateTime, nullable=True),
    sa.Column("last_error", sa.String(100), nullable=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("delivered_at", UtcDateTime, nullable=True),
    sa.Column("read_at", UtcDateTime, nullable=True),
)


def is_pending(table: sa.Table) -> sa.ColumnElement[bool]:
    """The condition of the sender's partial index; the query states it the same way, with the
    value as a literal (SQLite matches a partial index only against the same expression, and a
    bound parameter is not the same)."""
    return table.c.state == sa.literal_column("'pending'")


# The sender's claim reads pending rows by due time: a small partial index, however many
# delivered notices the table holds.
sa.Index(
    "ix_notices_pending_due",
    notices.c.next_attempt_at,
    sqlite_where=is_pending(notices),
    postgresql_where=is_pending(notices),
)
# The bell: a person's in-app notices, newest first, and the unread among them.
sa.Index("ix_notices_recipient", notices.c.recipient_id, notices.c.channel, notices.c.created_at)

notification_preferences = sa.Table(
    "notification_preferences",
    metadata,
    sa.Column("user_id", ID, sa.ForeignKey("users.id"), primary_key=True),
    sa.Column("language", sa.String(10), nullable=False, server_default="zh_CN"),
    sa.Column("email_enc", sa.Text, nullable=True),
    # Non-statutory notices only: statutory ones go out whatever these say.
    sa.Column("email_enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("sms_enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)

# Webhook subscriptions of an organisation (a marketplace, a consumer association) to event
# types of the cases on its platform. The secret is encrypted like personal data; during a
# rotation the previous one keeps signing until ``previous_valid_until``.
webhook_subscriptions = sa.Table(
    "webhook_subscriptions",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("organisation", sa.String(100), nullable=False),
    sa.Column("platform", sa.String(60), nullable=False),
    sa.Column("url", sa.String(500), nullable=False),
    sa.Column("event_types", sa.JSON, nullable=False),
    sa.Column("secret_enc", sa.Text, nullable=False),
    sa.Column("previous_secret_enc", sa.Text, nullable=True),
    sa.Column("previous_valid_until", UtcDateTime, nullable=True),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true(), index=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
)

# One row per event and subscription; its id is the ``webhook-id`` every retry repeats.
webhook_deliveries = sa.Table(
    "webhook_deliveries",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column(
        "subscription_id", ID, sa.ForeignKey("webhook_subscriptions.id"), nullable=False, index=True
    ),
    sa.Column("event_type", sa.String(60), nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("state", sa.String(10), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_at", UtcDateTime, nullable=True),
    sa.Column("last_status", sa.Integer, nullable=True),
    sa.Column("last_latency_ms", sa.Integer, nullable=True),
    sa.Column("last_error", sa.String(100), nullable=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("delivered_at", UtcDateTime, nullable=True),
)
sa.Index(
    "ix_webhook_deliveries_pending_due",
    webhook_deliveries.c.next_attempt_at,
    sqlite_where=is_pending(webhook_deliveries),
    postgresql_where=is_pending(webhook_deliveries),
)

# Every attempt, with the receiver's status code and how long it took: the delivery log.
webhook_attempts = sa.Table(
    "webhook_attempts",
    metadata,
    sa.Column(
        "id",
        sa.BigInteger().with_variant(sa.Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    sa.Column(
        "delivery_id", ID, sa.ForeignKey("webhook_deliveries.id"), nullable=False, index=True
    ),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Column("status", sa.Integer, nullable=True),
    sa.Column("latency_ms", sa.Integer, nullable=False),
    sa.Column("error", sa.String(100), nullable=True),
)
