"""Personal data out of the clear: vetting contact phones and report contacts encrypted into
columns of their own, hotline callers renamed by a keyed digest of their phone; stored answers
for Idempotency-Key on every creating POST

Existing rows are converted here, with the deployment's WEIQUAN_PII_KEYS and WEIQUAN_LOOKUP_KEY
(read from the environment only when there is something to convert).

Revision ID: 0008
Revises: 0004
Create Date: 2026-12-06 11:00:00
"""

from __future__ import annotations

import hashlib
from functools import cache
from typing import Any

import sqlalchemy as sa
from alembic import op

from weiquan.adapters.crypto import FieldCipher, KeyedHash
from weiquan.adapters.db.tables import ID, UtcDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# (table, field in the JSON document, its encrypted column)
_MOVED = (
    ("trust_vetting", "contact_phone", "contact_phone_enc"),
    ("trust_reports", "reporter_contact", "reporter_contact_enc"),
)
_CALLER = "caller-"
_users = sa.table(
    "users", sa.column("id", sa.String), sa.column("username"), sa.column("phone_enc")
)


@cache
def _keys() -> tuple[FieldCipher, KeyedHash]:
    from weiquan.config import Settings  # noqa: PLC0415 - only when there are rows to convert

    settings = Settings()
    return FieldCipher.from_secret_list(settings.pii_keys), KeyedHash.from_secret(
        settings.lookup_key
    )


def upgrade() -> None:
    for table, _, column in _MOVED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column(column, sa.Text(), nullable=True))
    op.create_table(
        "idempotent_requests",
        sa.Column("scope", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("body_enc", sa.Text(), nullable=True),
        sa.Column("user_id", ID, nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("scope", "key", name=op.f("pk_idempotent_requests")),
    )
    with op.batch_alter_table("idempotent_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_idempotent_requests_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_idempotent_requests_user_id"), ["user_id"], unique=False
        )
    conn = op.get_bind()
    for table, field, column in _MOVED:
        _seal_documents(conn, table, field, column)
    _rename_callers(conn, lambda phone: _CALLER + _keys()[1].digest("phone", phone)[:16])


def downgrade() -> None:
    conn = op.get_bind()
    for table, field, column in _MOVED:
        _unseal_documents(conn, table, field, column)
    _rename_callers(conn, _unkeyed_caller_name)
    with op.batch_alter_table("idempotent_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idempotent_requests_user_id"))
        batch_op.drop_index(batch_op.f("ix_idempotent_requests_created_at"))
    op.drop_table("idempotent_requests")
    for table, _, column in _MOVED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column(column)


def _records(table: str, column: str) -> sa.TableClause:
    return sa.table(table, sa.column("id", sa.String), sa.column("doc", sa.JSON), sa.column(column))


def _seal_documents(conn: sa.Connection, table: str, field: str, column: str) -> None:
    records = _records(table, column)
    for row in conn.execute(sa.select(records.c.id, records.c.doc)).all():
        doc: dict[str, Any] = dict(row.doc)
        if field not in doc:
            continue
        value = doc.pop(field) or ""
        sealed = _keys()[0].encrypt(value) if value else None
        conn.execute(
            records.update().where(records.c.id == row.id).values({"doc": doc, column: sealed})
        )


def _unseal_documents(conn: sa.Connection, table: str, field: str, column: str) -> None:
    records = _records(table, column)
    for row in conn.execute(sa.select(records.c.id, records.c.doc, records.c[column])).all():
        sealed = row[2]
        doc = {**dict(row.doc), field: _keys()[0].decrypt(sealed) if sealed else ""}
        conn.execute(records.update().where(records.c.id == row.id).values(doc=doc))


def _rename_callers(conn: sa.Connection, name_for: Any) -> None:
    """Hotline callers were named by a plain SHA-256 of the phone; now by a keyed digest."""
    query = sa.select(_users.c.id, _users.c.phone_enc).where(_users.c.username.startswith(_CALLER))
    for user_id, phone_enc in conn.execute(query).all():
        name = name_for(_keys()[0].decrypt(phone_enc)) if phone_enc else f"erased-{user_id}"
        conn.execute(_users.update().where(_users.c.id == user_id).values(username=name))


def _unkeyed_caller_name(phone: str) -> str:
    return _CALLER + hashlib.sha256(f"weiquan-caller:{phone}".encode()).hexdigest()[:16]
