"""Partial indexes for what the worker revisits on every sweep: cases with open deadlines and
trust records with open statutory clocks (both were read by scanning the whole table)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 04:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_RECORD_TABLES = ("trust_vetting", "trust_reports", "trust_reviews", "trust_disputes")


def upgrade() -> None:
    open_deadlines = sa.text("deadline_note != '' AND closed_at IS NULL")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index(
            "ix_cases_open_deadlines",
            ["id"],
            unique=False,
            sqlite_where=open_deadlines,
            postgresql_where=open_deadlines,
        )
    for table in _RECORD_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(
                f"ix_{table}_open_clock",
                ["id"],
                unique=False,
                sqlite_where=sa.text("clock_open = 1"),
                postgresql_where=sa.text("clock_open = true"),
            )


def downgrade() -> None:
    for table in reversed(_RECORD_TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(f"ix_{table}_open_clock")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_open_deadlines")
