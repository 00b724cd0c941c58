"""`GET /healthz` reports the database, the worker and the log, and answers 503 with reasons
when any of them is unhealthy."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.conftest import TEST_PII_KEYS, _empty_all_tables
from tests.support.world import NOW, World, complaint
from weiquan.bootstrap import App, open_log
from weiquan.cli.worker_process import Heartbeat, WorkerLoop
from weiquan.config import Environment, Settings
from weiquan.services import cases, health, ledger
from weiquan.services.context import Services
from weiquan.web.app import create_app


@dataclass
class Deployment:
    context: App
    client: TestClient

    def health(self) -> tuple[int, dict[str, Any]]:
        response = self.client.get("/healthz")
        return response.status_code, response.json()

    def worker_reports(
        self, *, ago: timedelta = timedelta(0), sealed_ago: timedelta | None = None
    ) -> None:
        """A real heartbeat of the worker's, as of ``ago`` before now."""
        beat = Heartbeat(self.context, writes_log=True, started_at=NOW - ago)
        beat.round_done("sweep", at=NOW - ago, problem=None)
        beat.round_done(
            "sealing", at=NOW - (ago if sealed_ago is None else sealed_ago), problem=None
        )
        beat.send(NOW - ago)


@pytest.fixture
def deployment(
    database_url: str, engine: sa.Engine, services: Services, tmp_path: Path
) -> Iterator[Deployment]:
    settings = Settings(
        env=Environment.TEST,
        database_url=database_url,
        pii_keys=TEST_PII_KEYS,
        data_dir=tmp_path,
        health_worker_stale_seconds=60,
        health_seal_lag_seconds=30,
    )
    context = App(settings, engine, services)
    open_log(settings, writer=True).close()  # the log exists, as the worker makes it
    with TestClient(create_app(context, clock=lambda: NOW)) as client:
        yield Deployment(context, client)


def test_health_is_ok_when_the_worker_reports_and_every_record_is_sealed(
    deployment: Deployment, world: World
) -> None:
    svc = deployment.context.services
    cases.file_complaint(svc, complaint(world.shop_a), principal=world.alice, now=NOW)
    with open_log(deployment.context.settings, writer=True) as tlog:
        ledger.publish(svc, tlog)
    deployment.worker_reports()
    status, body = deployment.health()
    assert status == 200, body
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["worker"]["status"] == "ok"
    assert body["worker"]["heartbeat_age_seconds"] == 0
    assert (body["log"]["size"], body["log"]["unsealed"]) == (2, 0)
    assert body["reasons"] == []


def test_health_is_degraded_when_no_worker_has_ever_reported(deployment: Deployment) -> None:
    status, body = deployment.health()
    assert status == 503
    assert body["worker"]["status"] == "unhealthy"
    assert "no worker has reported" in body["reasons"][0]


def test_health_is_degraded_when_the_worker_has_been_silent_too_long(
    deployment: Deployment,
) -> None:
    deployment.worker_reports(ago=timedelta(seconds=120))
    status, body = deployment.health()
    assert status == 503
    assert body["reasons"] == [
        "worker: no worker has reported for 120 s (limit 60 s): the worker is down or stuck"
    ]


def test_health_is_degraded_when_records_wait_longer_than_the_sealing_limit(
    deployment: Deployment, world: World
) -> None:
    svc = deployment.context.services
    cases.file_complaint(svc, complaint(world.shop_a), principal=world.alice, now=NOW)
    deployment.worker_reports(sealed_ago=timedelta(seconds=45))
    status, body = deployment.health()
    assert status == 503
    assert body["worker"]["status"] == "ok"
    assert body["log"]["unsealed"] == 2
    assert body["reasons"] == [
        "log: 2 record(s) wait to be sealed and the log has not been sealed for 45 s (limit 30 s)"
    ]


def test_a_database_older_than_the_log_shows_as_a_failing_worker_not_as_ok(
    deployment: Deployment, world: World, engine: sa.Engine
) -> None:
    svc = deployment.context.services
    cases.file_complaint(svc, complaint(world.shop_a), principal=world.alice, now=NOW)
    with open_log(deployment.context.settings, writer=True) as tlog:
        ledger.publish(svc, tlog)
        _empty_all_tables(engine)  # the database restored from before the complaint
        loop = WorkerLoop(
            deployment.context,
            tlog,
            sweep_every=0.05,
            publish_every=0.05,
            report=lambda _: None,
            clock=lambda: NOW,
        )
        thread = threading.Thread(target=loop.run)
        thread.start()
        try:
            for _ in range(200):
                beats = health.database_side(svc).beats
                if beats and beats[0].problem:
                    break
                threading.Event().wait(0.05)
        finally:
            loop.stop.set()
            thread.join(timeout=30)
    status, body = deployment.health()
    assert status == 503
    reason = " ".join(body["reasons"])
    assert "log entry 0 has no record in the database, which is older than the log" in reason
    assert body["worker"]["status"] == "unhealthy"
