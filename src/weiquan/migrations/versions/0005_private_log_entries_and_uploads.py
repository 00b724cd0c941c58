"""Log entries that name nothing in clear (entry version per row), and trust uploads that are
referenced by their own id and owner instead of by file digest

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 11:00:00
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import weiquan.adapters.db.tables

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

    _create_upload_tables()
    _cite_old_files_by_upload()


def _create_upload_tables() -> None:
    op.create_table(
        "trust_uploads",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("mime", sa.String(100), nullable=False),
        sa.Column("purpose", sa.String(20), nullable=False),
        sa.Column("uploaded_by", sa.String(36), nullable=True),
        sa.Column(
            "uploaded_at", weiquan.adapters.db.tables.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column("source", sa.String(64), nullable=True),
        sa.Column("attached_kind", sa.String(20), nullable=True),
        sa.Column("attached_id", sa.String(36), nullable=True),
        sa.ForeignKeyConstraint(
            ["uploaded_by"], ["users.id"], name=op.f("fk_trust_uploads_uploaded_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trust_uploads")),
    )
    op.create_index(op.f("ix_trust_uploads_sha256"), "trust_uploads", ["sha256"])
    op.create_index("ix_trust_uploads_source_time", "trust_uploads", ["source", "uploaded_at"])
    unattached = sa.text("attached_kind IS NULL")
    op.create_index(
        "ix_trust_uploads_unattached",
        "trust_uploads",
        ["uploaded_at"],
        sqlite_where=unattached,
        postgresql_where=unattached,
    )
    op.create_table(
        "trust_upload_custody",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("upload_id", sa.String(36), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("actor_role", sa.String(20), nullable=False),
        sa.Column("actor_id", sa.String(36), nullable=True),
        sa.Column("at", weiquan.adapters.db.tables.UtcDateTime(timezone=True), nullable=False),
        sa.Column("context", sa.String(80), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trust_upload_custody")),
    )
    op.create_index(
        op.f("ix_trust_upload_custody_upload_id"), "trust_upload_custody", ["upload_id"]
    )


# ── files cited by digest before this revision become uploads attached to their record ──

_DIGEST = re.compile(r"[0-9a-f]{64}")
_uploads = sa.table(
    "trust_uploads",
    *(
        sa.column(name)
        for name in (
            "id", "sha256", "size", "mime", "purpose", "uploaded_by", "uploaded_at",
            "source", "attached_kind", "attached_id",
        )
    ),
)  # fmt: skip


def _cite_old_files_by_upload() -> None:
    conn = op.get_bind()
    now = datetime.now(UTC)
    for table, kind, owner in (
        ("trust_reports", "report", "reporter_id"),
        ("trust_disputes", "dispute", None),
        ("trust_vetting", "vetting", None),
    ):
        records = sa.table(
            table,
            sa.column("id"),
            sa.column("doc", sa.JSON),
            *([sa.column(owner)] if owner else []),
        )
        for row in conn.execute(sa.select(records)).mappings().all():
            doc = dict(row["doc"])
            cite = _Citer(conn, kind, row["id"], row[owner] if owner else None, now)
            if kind == "report":
                doc["evidence"] = [cite(d) for d in doc.get("evidence", [])]
            elif kind == "dispute":
                for statement in doc.get("statements", []):
                    statement["evidence"] = [cite(d) for d in statement.get("evidence", [])]
            else:
                doc["licence_evidence"] = cite(doc.get("licence_evidence", ""))
            if cite.changed:
                conn.execute(records.update().where(records.c.id == row["id"]).values(doc=doc))


class _Citer:
    def __init__(
        self, conn: sa.Connection, kind: str, record_id: str, owner: str | None, now: datetime
    ) -> None:
        self._conn, self._kind, self._record, self._owner, self._now = (
            conn, kind, record_id, owner, now,
        )  # fmt: skip
        self._done: dict[str, str] = {}
        self.changed = False

    def __call__(self, value: str) -> str:
        digest = value.strip().lower()
        if not _DIGEST.fullmatch(digest):
            return value  # already an upload id (or nothing)
        if digest not in self._done:
            upload_id = str(uuid.uuid4())
            self._conn.execute(
                _uploads.insert().values(
                    id=upload_id,
                    sha256=digest,
                    size=0,  # unknown here; the bytes are in the evidence store
                    mime="application/octet-stream",
                    purpose="licence" if self._kind == "vetting" else "evidence",
                    uploaded_by=self._owner,
                    uploaded_at=self._now,
                    source=None,
                    attached_kind=self._kind,
                    attached_id=self._record,
                )
            )
            self._done[digest] = upload_id
            self.changed = True
        return self._done[digest]


def downgrade() -> None:
    op.drop_table("trust_upload_custody")
    op.drop_table("trust_uploads")
    for table in _LOGGED_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("log_entry_version")
