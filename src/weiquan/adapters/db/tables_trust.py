"""Trust and integrity tables, on the shared ``metadata``.

Each trust record keeps the columns it is queried by and the rest of its state as a JSON
document; its history goes to ``trust_events``, appended and never changed, like case events.
"""

from __future__ import annotations

import sqlalchemy as sa

from weiquan.adapters.db.tables import ID, UtcDateTime, metadata, serial_id


def _record_table(name: str, *columns: sa.Column[object]) -> sa.Table:
    table = sa.Table(
        name,
        metadata,
        sa.Column("id", ID, primary_key=True),
        *columns,
        sa.Column("status", sa.String(30), nullable=False),
        sa.Column("next_check_at", UtcDateTime, nullable=True, index=True),
        sa.Column("clock_open", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("doc", sa.JSON, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )
    # Records whose statutory clock is waiting for calendar data, revisited on every sweep.
    sa.Index(
        f"ix_{name}_open_clock",
        table.c.id,
        sqlite_where=clock_open(table),
        postgresql_where=clock_open(table),
    )
    return table


def clock_open(table: sa.Table) -> sa.ColumnElement[bool]:
    """The condition of the open-clock index; the query states it the same way, so that both
    databases see the partial index applies."""
    return table.c.clock_open == sa.true()


# Personal data stays out of the JSON document: it is encrypted into a column of its own
# (FieldCipher, like users.phone_enc), which erasure can blank in one statement.
trust_vetting = _record_table(
    "trust_vetting",
    sa.Column("merchant_id", ID, sa.ForeignKey("merchants.id"), nullable=False, unique=True),
    sa.Column("contact_phone_enc", sa.Text, nullable=True),
)

trust_reports = _record_table(
    "trust_reports",
    sa.Column("merchant_id", ID, sa.ForeignKey("merchants.id"), nullable=False, index=True),
    sa.Column("reporter_id", ID, sa.ForeignKey("users.id"), nullable=True, index=True),
    sa.Column("reporter_contact_enc", sa.Text, nullable=True),
)

trust_reviews = _record_table(
    "trust_reviews",
    sa.Column("merchant_id", ID, sa.ForeignKey("merchants.id"), nullable=False, index=True),
    sa.Column("author_id", ID, sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("case_id", ID, sa.ForeignKey("cases.id"), nullable=True),
)

trust_disputes = _record_table(
    "trust_disputes",
    sa.Column("merchant_id", ID, sa.ForeignKey("merchants.id"), nullable=False, index=True),
    sa.Column("consumer_id", ID, sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("case_id", ID, sa.ForeignKey("cases.id"), nullable=False),
)

trust_events = sa.Table(
    "trust_events",
    metadata,
    serial_id(),
    sa.Column("subject_kind", sa.String(20), nullable=False),
    sa.Column("subject_id", ID, nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("from_status", sa.String(30), nullable=False),
    sa.Column("to_status", sa.String(30), nullable=False),
    sa.Column("actor_role", sa.String(20), nullable=False),
    sa.Column("actor_id", ID, nullable=True),
    sa.Column("actor_rule", sa.String(100), nullable=True),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.UniqueConstraint("subject_kind", "subject_id", "seq", name="uq_trust_events_subject_seq"),
)

trust_pledges = sa.Table(
    "trust_pledges",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("doc", sa.JSON, nullable=False),
    sa.Column("published_at", UtcDateTime, nullable=False),
)

trust_pledge_members = sa.Table(
    "trust_pledge_members",
    metadata,
    sa.Column("pledge_id", ID, sa.ForeignKey("trust_pledges.id"), primary_key=True),
    sa.Column("merchant_id", ID, sa.ForeignKey("merchants.id"), primary_key=True),
    sa.Column("joined_at", UtcDateTime, nullable=False),
    sa.Column("left_at", UtcDateTime, nullable=True),
    sa.Column("checks", sa.Integer, nullable=False),
    sa.Column("kept", sa.Integer, nullable=False),
)

_SUM_COLUMNS = (
    "cases",
    "replied",
    "speed_milli",
    "resolved",
    "agreements",
    "agreements_kept",
    "rating_sum",
    "ratings",
    "violations",
    "pledge_checks",
    "pledge_kept",
)
GRADE_SUM_COLUMNS = _SUM_COLUMNS

trust_grade_sums = sa.Table(
    "trust_grade_sums",
    metadata,
    sa.Column("merchant_id", ID, sa.ForeignKey("merchants.id"), primary_key=True),
    *(sa.Column(name, sa.Integer, nullable=False, server_default="0") for name in _SUM_COLUMNS),
    sa.Column("version", sa.Integer, nullable=False, server_default="0"),
)

trust_grade_history = sa.Table(
    "trust_grade_history",
    metadata,
    serial_id(),
    sa.Column("merchant_id", ID, sa.ForeignKey("merchants.id"), nullable=False, index=True),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("grade", sa.String(20), nullable=False),
    sa.Column("cases", sa.Integer, nullable=False),
    sa.Column("trigger", sa.String(80), nullable=False),
)

trust_counted_cases = sa.Table(
    "trust_counted_cases",
    metadata,
    sa.Column("case_id", ID, sa.ForeignKey("cases.id"), primary_key=True),
    sa.Column("merchant_id", ID, sa.ForeignKey("merchants.id"), nullable=False),
    sa.Column("rating_counted", sa.Boolean, nullable=False, server_default=sa.false()),
    # A case a merchant dispute showed to be malicious is kept out of (or taken back out of) the
    # grade; the row stays so the sweep never counts it again.
    sa.Column("excluded", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("counted_at", UtcDateTime, nullable=False),
)

# Files offered with reports, disputes and vetting applications: referred to by this row's id,
# owned by who sent them, attached to at most one record (weiquan.domain.trust.uploads).
trust_uploads = sa.Table(
    "trust_uploads",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("sha256", sa.String(64), nullable=False, index=True),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("mime", sa.String(100), nullable=False),
    sa.Column("purpose", sa.String(20), nullable=False),
    sa.Column("uploaded_by", ID, sa.ForeignKey("users.id"), nullable=True),
    sa.Column("uploaded_at", UtcDateTime, nullable=False),
    # Keyed hash of the sender's address (never the address): anonymous quotas per sender.
    sa.Column("source", sa.String(64), nullable=True),
    sa.Column("attached_kind", sa.String(20), nullable=True),
    sa.Column("attached_id", ID, nullable=True),
)
# What the anonymous quotas and the sweep of never-attached uploads read.
sa.Index("ix_trust_uploads_source_time", trust_uploads.c.source, trust_uploads.c.uploaded_at)
sa.Index(
    "ix_trust_uploads_unattached",
    trust_uploads.c.uploaded_at,
    sqlite_where=trust_uploads.c.attached_kind.is_(None),
    postgresql_where=trust_uploads.c.attached_kind.is_(None),
)

trust_upload_custody = sa.Table(
    "trust_upload_custody",
    metadata,
    serial_id(),
    # No foreign key: the custody of a swept upload outlives its row.
    sa.Column("upload_id", ID, nullable=False, index=True),
    sa.Column("action", sa.String(20), nullable=False),
    sa.Column("actor_role", sa.String(20), nullable=False),
    sa.Column("actor_id", ID, nullable=True),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Column("context", sa.String(80), nullable=False),
)
