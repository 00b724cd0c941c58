"""Log entries that name nothing in clear (entry version per row), and trust uploads that are
referenced by their own id and owner instead of by file digest

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 11:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_LOGGED_TABLES = ("case_events", "evidence")


def upgrade() -> None:
    for table in _LOGGED_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("log_entry_version", sa.SmallInteger, nullable=False, server_default="2")
            )
        # What is in the log already was written as a v1 entry, and stays one.
        op.execute(
            sa.text(f"UPDATE {table} SET log_entry_version = 1 WHERE log_index IS NOT NULL")  # noqa: S608 - constant names
        )


def downgrade() -> None:
    for table in _LOGGED_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("log_entry_version")
