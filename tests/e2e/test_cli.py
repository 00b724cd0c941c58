"""The `weiquan` command line in-process (Typer's CliRunner) against a real SQLite file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from weiquan.adapters.db import tables as t
from weiquan.cli.main import app

runner = CliRunner()


@pytest.fixture
def sqlite_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path}/cli.db"
    monkeypatch.setenv("WEIQUAN_DATABASE_URL", url)
    monkeypatch.setenv("WEIQUAN_ENV", "development")
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    return url


def test_db_upgrade_then_demo_loads_cases_in_every_resting_state(sqlite_env: str) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    result = runner.invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    engine = sa.create_engine(sqlite_env)
    with engine.connect() as conn:
        statuses = {row[0] for row in conn.execute(sa.select(t.cases.c.status))}
        roles = {row[0] for row in conn.execute(sa.select(t.users.c.role))}
        regions = {row[0][:2] for row in conn.execute(sa.select(t.merchants.c.region_code))}
    engine.dispose()
    assert statuses >= {
        "draft",
        "inadmissible",
        "negotiation",
        "settled",
        "mediation",
        "agreement",
        "referred",
        "dossier_issued",
        "fulfilled",
        "closed",
        "withdrawn",
    }
    assert roles == {"consumer", "merchant", "mediator", "regulator", "operator", "admin"}
    assert regions == {"11", "51", "33"}  # Beijing, Sichuan (Chengdu), Zhejiang
    again = runner.invoke(app, ["demo"])
    assert again.exit_code == 0
    assert "already present" in again.output


def test_the_worker_moves_the_demos_silent_merchant_case_on(sqlite_env: str) -> None:
    runner.invoke(app, ["db", "upgrade"])
    runner.invoke(app, ["demo"])
    result = runner.invoke(app, ["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "merchant_silent_past_reply_deadline" in result.output
    assert "1 case(s) moved on" in result.output


def test_user_create_makes_an_account_and_refuses_a_duplicate(sqlite_env: str) -> None:
    runner.invoke(app, ["db", "upgrade"])
    args = [
        "user",
        "create",
        "carol",
        "--role",
        "mediator",
        "--name",
        "Carol",
        "--password",
        "a-long-enough-password",
    ]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout.strip().splitlines()[-1])["role"] == "mediator"
    second = runner.invoke(app, args)
    assert second.exit_code == 5  # Conflict
    assert "已被占用" in second.output


def test_user_create_rejects_a_short_password_with_exit_code_2(sqlite_env: str) -> None:
    runner.invoke(app, ["db", "upgrade"])
    result = runner.invoke(
        app, ["user", "create", "dave", "--role", "consumer", "--name", "D", "--password", "short"]
    )
    assert result.exit_code == 2
    assert "密码" in result.output


def test_demo_is_refused_in_production(sqlite_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEIQUAN_ENV", "production")
    monkeypatch.setenv("WEIQUAN_SECRET_KEY", "x" * 40)
    monkeypatch.setenv("WEIQUAN_PII_KEYS", "k1:" + "A" * 43)
    monkeypatch.setenv("WEIQUAN_LOOKUP_KEY", "y" * 40)
    result = runner.invoke(app, ["demo"])
    assert result.exit_code == 2
    assert "refused" in result.output


def test_production_refuses_the_default_secret(
    sqlite_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WEIQUAN_ENV", "production")
    result = runner.invoke(app, ["worker", "--once"])
    assert result.exit_code == 2
    assert "WEIQUAN_SECRET_KEY" in result.output


@pytest.mark.parametrize(
    "command", [["db", "upgrade"], ["calendar", "check"], ["trust", "recount"], ["serve"]]
)
def test_every_command_refuses_a_bad_setting_with_its_reason_not_a_traceback(
    sqlite_env: str, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    monkeypatch.setenv("WEIQUAN_ENV", "production")
    result = runner.invoke(app, command)
    assert result.exit_code == 2, result.output
    assert "configuration error" in result.output
    assert "WEIQUAN_SECRET_KEY" in result.output
    assert not isinstance(result.exception, ValueError)


def test_calendar_check_reports_the_covered_years(sqlite_env: str) -> None:
    result = runner.invoke(app, ["calendar", "check"])
    assert result.exit_code == 0
    assert "2004–2026" in result.output


def test_loading_a_year_file_lets_the_worker_compute_open_deadlines(
    sqlite_env: str, tmp_path: Path
) -> None:
    runner.invoke(app, ["db", "upgrade"])
    runner.invoke(app, ["demo"])
    engine = sa.create_engine(sqlite_env)
    with engine.connect() as conn:
        open_before = conn.execute(
            sa.select(sa.func.count()).select_from(t.cases).where(t.cases.c.deadline_note != "")
        ).scalar_one()
    assert open_before > 0  # mediation from late November reaches into 2027
    year = tmp_path / "2027-official.json"
    days = [{"name": "元旦", "date": "2027-01-01", "isOffDay": True}]
    year.write_text(json.dumps({"year": 2027, "days": days}), encoding="utf-8")
    loaded = runner.invoke(app, ["calendar", "load", str(year)])
    assert loaded.exit_code == 0, loaded.output
    assert "2004–2027" in runner.invoke(app, ["calendar", "check"]).output
    assert runner.invoke(app, ["worker", "--once"]).exit_code == 0
    with engine.connect() as conn:
        open_after = conn.execute(
            sa.select(sa.func.count())
            .select_from(t.cases)
            .where(t.cases.c.deadline_note != "", t.cases.c.closed_at.is_(None))
        ).scalar_one()
    engine.dispose()
    assert open_after == 0
