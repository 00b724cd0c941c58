"""The schema, as SQLAlchemy Core tables. Alembic migrations create it; a test checks they agree.

Imperative Core tables (not ORM classes) keep the domain free of SQLAlchemy: repositories
translate rows to domain dataclasses and back.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = sa.MetaData(naming_convention=NAMING)


class UtcDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on SQLite and PostgreSQL alike."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, _dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: store aware times only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, _dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


ID = sa.String(36)


def serial_id() -> sa.Column[int]:
    """An auto-incrementing 64-bit key (plain INTEGER on SQLite, where only that autoincrements)."""
    return sa.Column(
        "id",
        sa.BigInteger().with_variant(sa.Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    )


users = sa.Table(
    "users",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("username", sa.String(64), nullable=False, unique=True),
    sa.Column("display_name", sa.String(100), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("password_hash", sa.String(200), nullable=False),
    sa.Column("merchant_id", ID, sa.ForeignKey("merchants.id"), nullable=True),
    sa.Column("region_code", sa.String(6), nullable=True),
    sa.Column("phone_enc", sa.Text, nullable=True),
    sa.Column("id_number_enc", sa.Text, nullable=True),
    sa.Column("address_enc", sa.Text, nullable=True),
    sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("created_at", UtcDateTime, nullable=False),
)

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("user_id", ID, sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=True),
    sa.Column("revoked_at", UtcDateTime, nullable=True),
)

merchants = sa.Table(
    "merchants",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("uscc", sa.String(18), nullable=True, unique=True),
    sa.Column("uscc_check", sa.String(20), nullable=True),
    sa.Column("region_code", sa.String(6), nullable=False, index=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
)

shops = sa.Table(
    "shops",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("merchant_id", ID, sa.ForeignKey("merchants.id"), nullable=False, index=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("platform", sa.String(60), nullable=False),
    sa.Column("url", sa.String(500), nullable=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
)

cases = sa.Table(
    "cases",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("number", sa.String(32), nullable=False, unique=True),
    sa.Column("consumer_id", ID, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("merchant_id", ID, sa.ForeignKey("merchants.id"), nullable=False),
    sa.Column("shop_id", ID, sa.ForeignKey("shops.id"), nullable=False),
    sa.Column("filed_by_id", ID, sa.ForeignKey("users.id"), nullable=True),
    sa.Column("channel", sa.String(10), nullable=False),
    sa.Column("category", sa.String(30), nullable=False),
    sa.Column("title", sa.String(120), nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("claims", sa.JSON, nullable=False),
    sa.Column("order_record", sa.JSON, nullable=True),
    sa.Column("purpose", sa.String(10), nullable=False),
    sa.Column("noticed_on", sa.Date, nullable=True),
    sa.Column("handled_elsewhere", sa.Boolean, nullable=False),
    sa.Column("region_code", sa.String(6), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("mediator_id", ID, sa.ForeignKey("users.id"), nullable=True),
    sa.Column("inadmissible_ground", sa.String(30), nullable=True),
    sa.Column("rating", sa.Integer, nullable=True),
    sa.Column("merchant_replied_at", UtcDateTime, nullable=True),
    sa.Column("reply_due_at", UtcDateTime, nullable=True),
    sa.Column("negotiation_due_at", UtcDateTime, nullable=True),
    sa.Column("mediation_due_at", UtcDateTime, nullable=True),
    sa.Column("fulfilment_due_at", UtcDateTime, nullable=True),
    # The earliest instant at which the worker has something to do: the sweep reads it, and
    # every case list is ordered by it (soonest first).
    sa.Column("next_due_at", UtcDateTime, nullable=True),
    sa.Column("deadline_note", sa.Text, nullable=False, server_default=""),
    sa.Column("deadline_bound_at", UtcDateTime, nullable=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("submitted_at", UtcDateTime, nullable=True),
    sa.Column("updated_at", UtcDateTime, nullable=True),
    sa.Column("closed_at", UtcDateTime, nullable=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("last_seq", sa.Integer, nullable=False),
    # The merchant's region at referral, at each GB/T 2260 level, so that a regulator's list is
    # an equality on one indexed column rather than a prefix range (which loses the order).
    # NULL for every case never referred.
    sa.Column("referred_province", sa.String(2), nullable=True),
    sa.Column("referred_city", sa.String(4), nullable=True),
    sa.Column("referred_district", sa.String(6), nullable=True),
)

# Every case list is read in one order: soonest deadline first, cases without one after them,
# newest first, the id breaking ties (LIST_ORDER). Each scope a list can have gets an index of its
# equality columns followed by that order, so a page is a seek and a walk of `limit` entries,
# never a sort of every matching case (tests/integration/test_query_plans.py checks each list).
LIST_ORDER = (cases.c.next_due_at, cases.c.created_at.desc(), cases.c.id.desc())
LIST_INDEXES: dict[str, tuple[sa.Column[Any], ...]] = {
    "ix_cases_status_list": (cases.c.status,),  # admin's status queues
    "ix_cases_consumer_list": (cases.c.consumer_id,),
    "ix_cases_consumer_status_list": (cases.c.consumer_id, cases.c.status),
    "ix_cases_merchant_status_list": (cases.c.merchant_id, cases.c.status),
    # a mediator's own cases by status, and the unassigned queue (mediator_id IS NULL, status)
    "ix_cases_mediator_status_list": (cases.c.mediator_id, cases.c.status),
}
# The list of all cases (admin) and the worker's sweep by next_due_at. Every case has a number,
# so EVERY_CASE selects them all; the statements meant for this index say it, and no scoped list
# does, so no planner can walk it for a scoped list and filter everything else out. PostgreSQL
# did at a million cases: a merchant's negotiation queue read 500,000 entries to find none.
EVERY_CASE = cases.c.number.is_not(None)
sa.Index("ix_cases_list", *LIST_ORDER, sqlite_where=EVERY_CASE, postgresql_where=EVERY_CASE)
# A merchant never sees a consumer's draft. The condition is written as SQL text so that the
# list query carries the very same words and both databases see that the partial index applies.
NOT_DRAFT = cases.c.status != sa.text("'draft'")
sa.Index(
    "ix_cases_merchant_list",
    cases.c.merchant_id,
    *LIST_ORDER,
    sqlite_where=NOT_DRAFT,
    postgresql_where=NOT_DRAFT,
)
# Lists over a column that is NULL for most cases: partial indexes hold only the others.
PARTIAL_LIST_INDEXES: dict[str, sa.Column[Any]] = {
    "ix_cases_mediator_list": cases.c.mediator_id,
    "ix_cases_referred_province_list": cases.c.referred_province,
    "ix_cases_referred_city_list": cases.c.referred_city,
    "ix_cases_referred_district_list": cases.c.referred_district,
}
for _name, _scope in LIST_INDEXES.items():
    sa.Index(_name, *_scope, *LIST_ORDER)
for _name, _column in PARTIAL_LIST_INDEXES.items():
    sa.Index(
        _name,
        _column,
        *LIST_ORDER,
        sqlite_where=_column.is_not(None),
        postgresql_where=_column.is_not(None),
    )

# Cases whose deadlines were left open for lack of calendar data: the worker revisits them when
# the calendar grows, through an index of their own rather than a scan of every case. The query
# uses this very expression, so both databases see that the partial index applies.
OPEN_DEADLINES = sa.and_(cases.c.deadline_note != sa.text("''"), cases.c.closed_at.is_(None))
sa.Index(
    "ix_cases_open_deadlines",
    cases.c.id,
    sqlite_where=OPEN_DEADLINES,
    postgresql_where=OPEN_DEADLINES,
)

offers = sa.Table(
    "offers",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("case_id", ID, sa.ForeignKey("cases.id"), nullable=False, index=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("kind", sa.String(10), nullable=False),
    sa.Column("made_by_role", sa.String(20), nullable=False),
    sa.Column("made_by_id", ID, nullable=True),
    sa.Column("terms", sa.JSON, nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("made_at", UtcDateTime, nullable=False),
    sa.Column("fulfil_within_days", sa.Integer, nullable=False),
    sa.Column("state", sa.String(12), nullable=False),
    sa.Column("accepted_by", sa.JSON, nullable=False),
    sa.UniqueConstraint("case_id", "position", name="uq_offers_case_position"),
)

case_events = sa.Table(
    "case_events",
    metadata,
    serial_id(),
    sa.Column("case_id", ID, sa.ForeignKey("cases.id"), nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("action", sa.String(30), nullable=False),
    sa.Column("from_status", sa.String(20), nullable=False),
    sa.Column("to_status", sa.String(20), nullable=False),
    sa.Column("actor_role", sa.String(20), nullable=False),
    sa.Column("actor_id", ID, nullable=True),
    sa.Column("rule", sa.String(80), nullable=True),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("at", UtcDateTime, nullable=False),
    # Set once the event has been appended to the transparency log (outbox pattern).
    sa.Column("log_index", sa.BigInteger, nullable=True, unique=True),
    # Random salt of the event's commitments in the log; disclosed only in evidence packages.
    sa.Column("log_salt", sa.String(64), nullable=False, server_default=""),
    # Layout of the log entry (weiquan.domain.ledger_entries): 1 for entries appended before
    # version 2 hid case ids and file digests, 2 since.
    sa.Column("log_entry_version", sa.SmallInteger, nullable=False, server_default="2"),
    sa.UniqueConstraint("case_id", "seq", name="uq_case_events_case_seq"),
)
sa.Index(
    "ix_case_events_unlogged",
    case_events.c.id,
    sqlite_where=case_events.c.log_index.is_(None),
    postgresql_where=case_events.c.log_index.is_(None),
)

idempotency_keys = sa.Table(
    "idempotency_keys",
    metadata,
    sa.Column("user_id", ID, sa.ForeignKey("users.id"), primary_key=True),
    sa.Column("key", sa.String(100), primary_key=True),
    sa.Column("request_hash", sa.String(64), nullable=False),
    sa.Column("case_id", ID, sa.ForeignKey("cases.id"), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
)

evidence = sa.Table(
    "evidence",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("case_id", ID, sa.ForeignKey("cases.id"), nullable=False, index=True),
    sa.Column("sha256", sa.String(64), nullable=False, index=True),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("mime", sa.String(100), nullable=False),
    sa.Column("original_name", sa.String(300), nullable=False),
    sa.Column("method", sa.String(30), nullable=False),
    sa.Column("captured_by_role", sa.String(20), nullable=False),
    sa.Column("captured_by_id", ID, nullable=True),
    sa.Column("captured_at", UtcDateTime, nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("supports_seq", sa.Integer, nullable=True),
    sa.Column("supersedes_id", ID, sa.ForeignKey("evidence.id"), nullable=True),
    sa.Column("derived", sa.JSON, nullable=False),
    sa.Column("log_index", sa.BigInteger, nullable=True, unique=True),
    sa.Column("log_salt", sa.String(64), nullable=False),
    sa.Column("log_entry_version", sa.SmallInteger, nullable=False, server_default="2"),
)

custody_events = sa.Table(
    "custody_events",
    metadata,
    serial_id(),
    sa.Column("evidence_id", ID, sa.ForeignKey("evidence.id"), nullable=False, index=True),
    sa.Column("action", sa.String(20), nullable=False),
    sa.Column("actor_role", sa.String(20), nullable=False),
    sa.Column("actor_id", ID, nullable=True),
    sa.Column("at", UtcDateTime, nullable=False),
)
sa.Index(
    "ix_evidence_unlogged",
    evidence.c.captured_at,
    sqlite_where=evidence.c.log_index.is_(None),
    postgresql_where=evidence.c.log_index.is_(None),
)

import weiquan.adapters.db.tables_notify  # noqa: E402 - registers the notification tables
import weiquan.adapters.db.tables_operations  # noqa: E402 - registers worker_status
import weiquan.adapters.db.tables_requests  # noqa: E402 - registers the idempotent answers
import weiquan.adapters.db.tables_sessions  # noqa: E402 - sessions and throttle counters
import weiquan.adapters.db.tables_trust  # noqa: E402, F401 - registers the trust tables on metadata
