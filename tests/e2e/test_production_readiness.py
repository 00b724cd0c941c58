"""Production on a database a development set-up left behind: refused with the commands that fix
it (`weiquan user disable-demo`, `weiquan keys reencrypt-pii --from-development-key`), which do."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from weiquan.adapters.crypto import FieldCipher, new_key_entry
from weiquan.adapters.db import tables as t
from weiquan.adapters.db.pii_keys import count_under_key
from weiquan.bootstrap import build, production_blockers
from weiquan.cli.demo import DEMO_ACCOUNTS
from weiquan.cli.main import app
from weiquan.config import Settings
from weiquan.services.readiness import DEMO_PASSWORD, DEMO_USERNAMES

runner = CliRunner()
PRODUCTION_PII_KEYS = new_key_entry("k1")


@pytest.fixture
def demo_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A database made by `make run` (demo accounts, PII under the development key), then
    configured for production."""
    url = f"sqlite:///{tmp_path}/demo.db"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WEIQUAN_DATABASE_URL", url)
    monkeypatch.setenv("WEIQUAN_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("WEIQUAN_ENV", "development")
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    loaded = runner.invoke(app, ["demo"])
    assert loaded.exit_code == 0, loaded.output
    monkeypatch.setenv("WEIQUAN_ENV", "production")
    monkeypatch.setenv("WEIQUAN_SECRET_KEY", "s" * 48)
    monkeypatch.setenv("WEIQUAN_LOOKUP_KEY", "l" * 48)
    monkeypatch.setenv("WEIQUAN_PII_KEYS", PRODUCTION_PII_KEYS)
    return url


def test_the_demo_usernames_are_those_the_demo_creates() -> None:
    assert set(DEMO_USERNAMES) == {username for username, *_ in DEMO_ACCOUNTS}


@pytest.mark.parametrize("command", [["serve"], ["worker", "--once"]])
def test_production_refuses_to_start_naming_both_fixes(
    demo_database: str, command: list[str]
) -> None:
    result = runner.invoke(app, command)

    assert result.exit_code == 2, result.output
    assert "refusing to start in production" in result.output
    assert "weiquan user disable-demo" in result.output
    assert "weiquan keys reencrypt-pii --from-development-key" in result.output


def test_disable_demo_ends_the_demo_sign_ins_and_clears_that_blocker(demo_database: str) -> None:
    result = runner.invoke(app, ["user", "disable-demo"])

    assert result.exit_code == 0, result.output
    assert f"disabled {len(DEMO_USERNAMES)} demo account(s)" in result.output
    context = build(Settings())
    blockers = production_blockers(context)
    assert not any("demo" in b for b in blockers)
    engine = sa.create_engine(demo_database)
    with engine.connect() as conn:
        active = conn.execute(
            sa.select(t.users.c.username).where(
                t.users.c.username.in_(DEMO_USERNAMES), t.users.c.is_active
            )
        ).all()
    engine.dispose()
    assert active == []
    assert not context.services.passwords.verify("!", DEMO_PASSWORD)


def test_reencrypting_moves_every_value_to_the_production_key(demo_database: str) -> None:
    engine = sa.create_engine(demo_database)
    assert count_under_key(engine, "dev") > 0

    result = runner.invoke(app, ["keys", "reencrypt-pii", "--from-development-key"])

    assert result.exit_code == 0, result.output
    assert "under key k1" in result.output
    assert count_under_key(engine, "dev") == 0
    cipher = FieldCipher.from_secret_list(PRODUCTION_PII_KEYS)
    with engine.connect() as conn:
        phones = [row[0] for row in conn.execute(sa.select(t.users.c.phone_enc)) if row[0]]
    engine.dispose()
    assert phones
    assert all(cipher.decrypt(p).isdigit() for p in phones)
    runner.invoke(app, ["user", "disable-demo"])
    assert runner.invoke(app, ["worker", "--once"]).exit_code == 0


def test_reencrypting_without_the_old_key_stops_with_the_reason(demo_database: str) -> None:
    result = runner.invoke(app, ["keys", "reencrypt-pii"])

    assert result.exit_code == 6
    assert "未配置的密钥" in result.output


def test_development_does_not_refuse_its_own_demo(
    demo_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WEIQUAN_ENV", "development")
    monkeypatch.delenv("WEIQUAN_PII_KEYS")
    assert production_blockers(build(Settings())) == []


def test_a_database_without_the_schema_is_refused_with_the_command_that_makes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WEIQUAN_DATABASE_URL", f"sqlite:///{tmp_path}/empty.db")
    monkeypatch.setenv("WEIQUAN_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("WEIQUAN_ENV", "production")
    monkeypatch.setenv("WEIQUAN_SECRET_KEY", "s" * 48)
    monkeypatch.setenv("WEIQUAN_LOOKUP_KEY", "l" * 48)
    monkeypatch.setenv("WEIQUAN_PII_KEYS", PRODUCTION_PII_KEYS)

    result = runner.invoke(app, ["worker", "--once"])

    assert result.exit_code == 2, result.output
    assert "weiquan db upgrade" in result.output
