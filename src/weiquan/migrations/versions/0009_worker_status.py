"""Worker heartbeats, for /healthz: last sweep, last sealing round, log size, current problem

Revision ID: 0009
Revises: 0004
Create Date: 2026-12-06 10:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import weiquan.adapters.db.tables

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _utc() -> weiquan.adapters.db.tables.UtcDateTime:
    return weiquan.adapters.db.tables.UtcDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "worker_status",
        sa.Column("worker", sa.String(length=200), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("writes_log", sa.Boolean(), nullable=False),
        sa.Column("started_at", _utc(), nullable=False),
        sa.Column("heartbeat_at", _utc(), nullable=False),
        sa.Column("last_sweep_at", _utc(), nullable=True),
        sa.Column("last_seal_at", _utc(), nullable=True),
        sa.Column("log_size", sa.BigInteger(), nullable=True),
        sa.Column("problem", sa.Text(), nullable=True),
        sa.Column("problem_since", _utc(), nullable=True),
        sa.PrimaryKeyConstraint("worker", name=op.f("pk_worker_status")),
    )


def downgrade() -> None:
    op.drop_table("worker_status")
