"""Migration 0008 converts the rows a deployment already has: contacts out of the JSON documents
into encrypted columns, hotline callers renamed by the keyed digest; and back on downgrade."""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import PG_ADMIN_URL, TEST_LOOKUP_KEY, TEST_PII_KEYS
from tests.support.world import NOW
from weiquan.adapters.crypto import FieldCipher, KeyedHash
from weiquan.adapters.db.migrate import downgrade, upgrade

PHONE = "13912345678"
OLD_CALLER = "caller-" + hashlib.sha256(f"weiquan-caller:{PHONE}".encode()).hexdigest()[:16]
CIPHER = FieldCipher.from_secret_list(TEST_PII_KEYS)


def seed_before_0008(engine: sa.Engine) -> None:
    record = {"status": "pending", "version": 1, "updated_at": NOW, "clock_open": False}
    with engine.begin() as conn:
        meta = sa.MetaData()
        meta.reflect(conn, only=["merchants", "users", "trust_vetting", "trust_reports"])
        tables = meta.tables
        conn.execute(
            tables["merchants"].insert(),
            {"id": "m1", "name": "北京数码", "region_code": "110108", "created_at": NOW},
        )
        conn.execute(
            tables["users"].insert(),
            {
                "id": "u1",
                "username": OLD_CALLER,
                "display_name": "赵大妈",
                "role": "consumer",
                "password_hash": "!",
                "phone_enc": CIPHER.encrypt(PHONE),
                "is_active": True,
                "created_at": NOW,
            },
        )
        conn.execute(
            tables["trust_vetting"].insert(),
            {**record, "id": "m1", "merchant_id": "m1", "doc": {"contact_phone": PHONE}},
        )
        conn.execute(
            tables["trust_reports"].insert(),
            {**record, "id": "r1", "merchant_id": "m1", "doc": {"reporter_contact": PHONE}},
        )


def everything(engine: sa.Engine) -> str:
    with engine.connect() as conn:
        meta = sa.MetaData()
        meta.reflect(conn, only=["users", "trust_vetting", "trust_reports"])
        rows = [
            dict(row._mapping)
            for table in meta.sorted_tables
            for row in conn.execute(table.select())
        ]
    return json.dumps(rows, default=str, ensure_ascii=False)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of its own, empty: this test walks the schema down and up."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/existing.db"
        return
    name = f"weiquan_migration_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc.orig}")
    yield sa.engine.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_upgrading_encrypts_existing_contacts_and_renames_callers_and_downgrading_restores_them(
    empty_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WEIQUAN_ENV", "test")
    monkeypatch.setenv("WEIQUAN_PII_KEYS", TEST_PII_KEYS)
    monkeypatch.setenv("WEIQUAN_LOOKUP_KEY", TEST_LOOKUP_KEY)
    url = empty_database
    upgrade(url, "0004")
    engine = sa.create_engine(url)
    seed_before_0008(engine)

    upgrade(url, "0008")
    assert PHONE not in everything(engine)
    assert OLD_CALLER not in everything(engine)
    with engine.connect() as conn:
        phone_enc, doc = conn.execute(
            sa.text("SELECT contact_phone_enc, doc FROM trust_vetting")
        ).one()
        contact_enc = conn.execute(sa.text("SELECT reporter_contact_enc FROM trust_reports")).one()[
            0
        ]
        username = conn.execute(sa.text("SELECT username FROM users")).one()[0]
    assert CIPHER.decrypt(phone_enc) == PHONE
    assert "contact_phone" not in (doc if isinstance(doc, dict) else json.loads(doc))
    assert CIPHER.decrypt(contact_enc) == PHONE
    assert (
        username == "caller-" + KeyedHash.from_secret(TEST_LOOKUP_KEY).digest("phone", PHONE)[:16]
    )

    downgrade(url, "0004")
    with engine.connect() as conn:
        doc = conn.execute(sa.text("SELECT doc FROM trust_vetting")).one()[0]
        username = conn.execute(sa.text("SELECT username FROM users")).one()[0]
    assert (doc if isinstance(doc, dict) else json.loads(doc))["contact_phone"] == PHONE
    assert username == OLD_CALLER
    engine.dispose()


def test_an_empty_database_migrates_without_any_keys_configured(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/fresh.db"
    upgrade(url, "0004")
    upgrade(url, "0008")
