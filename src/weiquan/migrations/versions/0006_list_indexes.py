"""Case lists read one page, not every case: composite indexes of each list's scope followed by
the list order (next_due_at, created_at DESC, id DESC), and the referral region of referred cases
at each GB/T 2260 level (backfilled from the refer events)

Revision ID: 0006
Revises: 0004
Create Date: 2026-12-06 11:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_ORDER = ("next_due_at", sa.text("created_at DESC"), sa.text("id DESC"))
_LIST_INDEXES = {
    "ix_cases_status_list": ("status",),
    "ix_cases_consumer_list": ("consumer_id",),
    "ix_cases_consumer_status_list": ("consumer_id", "status"),
    "ix_cases_merchant_status_list": ("merchant_id", "status"),
    "ix_cases_mediator_status_list": ("mediator_id", "status"),
}
_PARTIAL_LIST_INDEXES = {
    "ix_cases_mediator_list": "mediator_id",
    "ix_cases_referred_province_list": "referred_province",
    "ix_cases_referred_city_list": "referred_city",
    "ix_cases_referred_district_list": "referred_district",
}
# The single-column indexes the composite ones replace (each is a prefix of one of them).
_REPLACED = {
    "ix_cases_consumer_id": "consumer_id",
    "ix_cases_merchant_id": "merchant_id",
    "ix_cases_status": "status",
    "ix_cases_mediator_id": "mediator_id",
    "ix_cases_next_due_at": "next_due_at",
    "ix_cases_region_code": "region_code",
}
# Cases referred before this revision get their referral region from their refer event.
_BACKFILL_REFERRALS = (
    "UPDATE cases SET referred_province = substr(region_code, 1, 2), "
    "referred_city = substr(region_code, 1, 4), referred_district = region_code "
    "WHERE EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = cases.id AND e.action = 'refer')"
)


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("referred_province", sa.String(2), nullable=True))
        batch_op.add_column(sa.Column("referred_city", sa.String(4), nullable=True))
        batch_op.add_column(sa.Column("referred_district", sa.String(6), nullable=True))
        for name in _REPLACED:
            batch_op.drop_index(name)
    op.execute(_BACKFILL_REFERRALS)
    for name, scope in _LIST_INDEXES.items():
        op.create_index(name, "cases", [*scope, *_ORDER])
    for name, column in _PARTIAL_LIST_INDEXES.items():
        where = sa.text(f"{column} IS NOT NULL")
        op.create_index(
            name, "cases", [column, *_ORDER], sqlite_where=where, postgresql_where=where
        )
    every_case = sa.text("number IS NOT NULL")
    op.create_index(
        "ix_cases_list", "cases", list(_ORDER), sqlite_where=every_case, postgresql_where=every_case
    )
    not_draft = sa.text("status != 'draft'")
    op.create_index(
        "ix_cases_merchant_list",
        "cases",
        ["merchant_id", *_ORDER],
        sqlite_where=not_draft,
        postgresql_where=not_draft,
    )


def downgrade() -> None:
    for name in ["ix_cases_list", "ix_cases_merchant_list", *_PARTIAL_LIST_INDEXES, *_LIST_INDEXES]:
        op.drop_index(name, "cases")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        for name, column in _REPLACED.items():
            batch_op.create_index(name, [column], unique=False)
        batch_op.drop_column("referred_district")
        batch_op.drop_column("referred_city")
        batch_op.drop_column("referred_province")
