"""SQLite commits are durable (``synchronous=FULL``) unless the deployment relaxes them on purpose.

Every connection is checked, whichever path opened it: the web process (complaint intake, token
look-ups, the health check) and the worker, connections freshly opened and connections handed out
again by the pool.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from weiquan.cli.main import app as cli
from weiquan.web.app import create_app

runner = CliRunner()
# PRAGMA synchronous answers with a number: 1 is NORMAL, 2 is FULL.
FULL, NORMAL = 2, 1


class PragmaProbe:
    """Reads ``PRAGMA synchronous`` of every SQLite connection any pool in this process hands
    out, keyed by the connection, so new and reused connections can be told apart."""

    def __init__(self) -> None:
        self.seen: list[tuple[int, int]] = []

    def __call__(self, dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        if isinstance(dbapi_connection, sqlite3.Connection):
            value = dbapi_connection.execute("PRAGMA synchronous").fetchone()[0]
            self.seen.append((id(dbapi_connection), value))

    def values(self) -> set[int]:
        return {value for _, value in self.seen}

    def reused(self) -> int:
        return sum(1 for times in Counter(c for c, _ in self.seen).values() if times > 1)

    def connections(self) -> int:
        return len({c for c, _ in self.seen})


@pytest.fixture
def probe() -> Iterator[PragmaProbe]:
    found = PragmaProbe()
    sa.event.listen(sa.pool.Pool, "checkout", found)
    yield found
    sa.event.remove(sa.pool.Pool, "checkout", found)


@pytest.fixture
def deployment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A demo deployment on a SQLite file, configured through the environment as in production."""
    url = f"sqlite:///{tmp_path}/weiquan.db"
    monkeypatch.setenv("WEIQUAN_DATABASE_URL", url)
    monkeypatch.setenv("WEIQUAN_ENV", "development")
    monkeypatch.setenv("WEIQUAN_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("WEIQUAN_SQLITE_SYNCHRONOUS", raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
    assert runner.invoke(cli, ["demo"]).exit_code == 0
    return url


def _use_the_web_process(held_at_once: int) -> None:
    """A complaint filed through the API, then several connections held at once (new ones) and
    released (so later look-ups reuse them)."""
    app = create_app()
    with TestClient(app) as client:
        login = {"username": "alice", "password": "weiquan-demo-2026"}
        token = client.post("/api/v1/auth/token", json=login).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        shop = client.get("/api/v1/shops", headers=headers).json()[0]["shop_id"]
        complaint = {
            "shop_id": shop,
            "category": "quality",
            "title": "耳机右耳无声",
            "description": "收到的耳机右耳没有声音。",
            "claims": [{"kind": "refund", "amount_fen": 29900}],
        }
        for attempt in range(2):
            filed = client.post(
                "/api/v1/cases", json=complaint, headers={**headers, "Idempotency-Key": "k"}
            )
            assert filed.status_code == (201 if attempt == 0 else 200), filed.text
        engine: sa.Engine = app.state.context.engine
        with ExitStack() as stack:
            for _ in range(held_at_once):
                stack.enter_context(engine.connect())
        # Pooled connections answer (the health check reads the database; 503 here means only
        # that no worker has reported in this test).
        assert client.get("/healthz").json()["database"] == "ok"
        assert client.get("/api/v1/cases", headers=headers).status_code == 200


@pytest.mark.parametrize(
    ("configured", "expected"),
    [(None, FULL), ("full", FULL), ("FULL", FULL), ("normal", NORMAL)],
    ids=["unset", "full", "full-in-capitals", "normal"],
)
def test_every_connection_of_the_web_process_and_the_worker_has_the_configured_durability(
    deployment: str,
    probe: PragmaProbe,
    monkeypatch: pytest.MonkeyPatch,
    configured: str | None,
    expected: int,
) -> None:
    if configured is not None:
        monkeypatch.setenv("WEIQUAN_SQLITE_SYNCHRONOUS", configured)
    probe.seen.clear()  # only what the deployment opens with its own settings
    _use_the_web_process(held_at_once=3)
    worker = runner.invoke(cli, ["worker", "--once"])
    assert worker.exit_code == 0, worker.output
    assert probe.values() == {expected}
    assert probe.connections() >= 4  # three held at once, and the worker's own
    assert probe.reused() >= 1  # connections handed out again by the pool were checked too


def test_a_durability_sqlite_does_not_know_stops_the_start_with_its_reason(
    deployment: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WEIQUAN_SQLITE_SYNCHRONOUS", "off")
    result = runner.invoke(cli, ["worker", "--once"])
    assert result.exit_code == 2
    assert "sqlite_synchronous" in result.output
    assert "'full' or 'normal'" in result.output
