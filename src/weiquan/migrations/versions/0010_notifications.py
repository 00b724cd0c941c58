"""Notifications: the notice outbox and contact preferences

Revision ID: 0010
Revises: 0004
Create Date: 2026-12-06 10:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import weiquan.adapters.db.tables

revision = "0010"
down_revision = "0004"
branch_labels = None
depends_on = None

_UTC = weiquan.adapters.db.tables.UtcDateTime(timezone=True)
_PENDING = sa.text("state = 'pending'")


def upgrade() -> None:
    op.create_table(
        "notices",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("recipient_id", sa.String(length=36), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("audience", sa.String(length=30), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=True),
        sa.Column("case_number", sa.String(length=32), nullable=False),
        sa.Column("event_seq", sa.Integer(), nullable=True),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("statutory", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", _UTC, nullable=True),
        sa.Column("last_error", sa.String(length=100), nullable=True),
        sa.Column("created_at", _UTC, nullable=False),
        sa.Column("delivered_at", _UTC, nullable=True),
        sa.Column("read_at", _UTC, nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_notices_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["recipient_id"], ["users.id"], name=op.f("fk_notices_recipient_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
    )
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notices_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            "ix_notices_pending_due",
            ["next_attempt_at"],
            unique=False,
            sqlite_where=_PENDING,
            postgresql_where=_PENDING,
        )
        batch_op.create_index(
            "ix_notices_recipient", ["recipient_id", "channel", "created_at"], unique=False
        )
    op.create_table(
        "notification_preferences",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("language", sa.String(length=10), server_default="zh_CN", nullable=False),
        sa.Column("email_enc", sa.Text(), nullable=True),
        sa.Column("email_enabled", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("sms_enabled", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("updated_at", _UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notification_preferences_user_id_users")
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_notification_preferences")),
    )


def downgrade() -> None:
    op.drop_table("notification_preferences")
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.drop_index("ix_notices_recipient")
        batch_op.drop_index("ix_notices_pending_due")
        batch_op.drop_index(batch_op.f("ix_notices_case_id"))
    op.drop_table("notices")
