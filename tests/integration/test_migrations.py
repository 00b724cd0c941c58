"""Migrations are the only way the schema is made, and they match the table definitions."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from weiquan.adapters.db.migrate import downgrade, upgrade
from weiquan.adapters.db.tables import metadata


def test_the_migrated_schema_matches_the_table_definitions(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    assert differences == []


def test_migrations_downgrade_to_nothing_and_back(tmp_path: object) -> None:
    url = f"sqlite:///{tmp_path}/roundtrip.db"
    upgrade(url)
    downgrade(url, "base")
    engine = sa.create_engine(url)
    assert set(sa.inspect(engine).get_table_names()) == {"alembic_version"}
    upgrade(url)
    assert "cases" in sa.inspect(engine).get_table_names()
    engine.dispose()


def test_files_cited_by_digest_before_0005_become_uploads_attached_to_their_record(
    tmp_path: object,
) -> None:
    url = f"sqlite:///{tmp_path}/cited.db"
    upgrade(url, "0004")
    digest, licence = "ab" * 32, "cd" * 32
    now = datetime(2026, 12, 1, tzinfo=UTC)
    engine = sa.create_engine(url)
    record = {"status": "received", "clock_open": False, "version": 1, "updated_at": now}
    with engine.begin() as conn:
        conn.execute(
            sa.table("merchants", *map(sa.column, ("id", "name", "region_code", "created_at")))
            .insert()
            .values(id="m1", name="店", region_code="110108", created_at=now)
        )
        conn.execute(
            sa.table("users", *map(sa.column, _USER_COLUMNS))
            .insert()
            .values(
                id="u1",
                username="u",
                display_name="U",
                role="consumer",
                password_hash="x",
                is_active=True,
                created_at=now,
            )
        )
        reports = sa.table(
            "trust_reports", *map(sa.column, _RECORD_COLUMNS), _doc(), sa.column("reporter_id")
        )
        conn.execute(
            reports.insert().values(
                id="r1", merchant_id="m1", reporter_id="u1", doc={"evidence": [digest]}, **record
            )
        )
        vetting = sa.table("trust_vetting", *map(sa.column, _RECORD_COLUMNS), _doc())
        conn.execute(
            vetting.insert().values(
                id="m1", merchant_id="m1", doc={"licence_evidence": licence}, **record
            )
        )
    upgrade(url, "0005")
    with engine.connect() as conn:
        uploads = {r.sha256: r for r in conn.execute(sa.text("SELECT * FROM trust_uploads"))}
        docs = {
            name: json.loads(conn.execute(sa.text(f"SELECT doc FROM {name}")).scalar_one())  # noqa: S608
            for name in ("trust_reports", "trust_vetting")
        }
    engine.dispose()
    assert docs["trust_reports"]["evidence"] == [uploads[digest].id]
    assert docs["trust_vetting"]["licence_evidence"] == uploads[licence].id
    assert (uploads[digest].attached_kind, uploads[digest].attached_id) == ("report", "r1")
    assert uploads[digest].uploaded_by == "u1"
    assert (uploads[licence].attached_kind, uploads[licence].purpose) == ("vetting", "licence")


def _doc() -> sa.ColumnClause[object]:
    return sa.column("doc", sa.JSON)


_USER_COLUMNS = (
    "id", "username", "display_name", "role", "password_hash", "is_active", "created_at",
)  # fmt: skip
_RECORD_COLUMNS = ("id", "merchant_id", "status", "clock_open", "version", "updated_at")
