"""The worker's loop on both databases: its two clocks, and rounds that fail without stopping it."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import TEST_PII_KEYS
from tests.support.world import NOW, World, complaint
from weiquan.adapters.db import tables as t
from weiquan.adapters.holiday_calendar import YearFilesCalendar
from weiquan.adapters.tlog.log import TransparencyLog
from weiquan.bootstrap import App, open_log
from weiquan.cli.worker_process import WorkerLoop
from weiquan.config import Environment, Settings
from weiquan.domain.rules import MemoisedCalendar
from weiquan.services import cases, worker
from weiquan.services.context import Services


@pytest.fixture
def context(database_url: str, engine: sa.Engine, services: Services, tmp_path: Path) -> App:
    settings = Settings(
        env=Environment.TEST, database_url=database_url, pii_keys=TEST_PII_KEYS, data_dir=tmp_path
    )
    return App(settings, engine, services)


@pytest.fixture
def tlog(context: App) -> Iterator[TransparencyLog]:
    with open_log(context.settings, writer=True) as log:
        yield log


class Rounds:
    """What the loop reported, as it reported it."""

    def __init__(self) -> None:
        self.sweeps = 0
        self.done = threading.Event()

    def __call__(self, _taken: list[worker.StepTaken]) -> None:
        self.sweeps += 1
        if self.sweeps >= 3:
            self.done.set()


def run_until(loop: WorkerLoop, rounds: Rounds) -> None:
    thread = threading.Thread(target=loop.run)
    thread.start()
    try:
        assert rounds.done.wait(timeout=30), "the loop stopped sweeping"
    finally:
        loop.stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive()


def test_the_loop_seals_new_records_between_sweeps(
    context: App, tlog: TransparencyLog, world: World, engine: sa.Engine
) -> None:
    cases.file_complaint(context.services, complaint(world.shop_a), principal=world.alice, now=NOW)
    rounds = Rounds()
    loop = WorkerLoop(
        context, tlog, sweep_every=0.3, publish_every=0.05, report=rounds, clock=lambda: NOW
    )
    run_until(loop, rounds)
    with engine.connect() as conn:
        indices = conn.execute(sa.select(t.case_events.c.log_index)).scalars().all()
    assert len(indices) == 2  # filed, submitted
    assert sorted(indices) == list(range(tlog.size))  # every event logged, and once


def test_a_failing_round_is_logged_and_the_loop_goes_on(
    context: App,
    tlog: TransparencyLog,
    world: World,
    engine: sa.Engine,
    caplog: pytest.LogCaptureFixture,
) -> None:
    cases.file_complaint(context.services, complaint(world.shop_a), principal=world.alice, now=NOW)
    with engine.begin() as conn:  # the database claims an entry the log has never seen
        conn.execute(sa.update(t.case_events).where(t.case_events.c.seq == 1).values(log_index=7))
    rounds = Rounds()
    loop = WorkerLoop(
        context, tlog, sweep_every=0.05, publish_every=0.05, report=rounds, clock=lambda: NOW
    )
    with caplog.at_level(logging.ERROR, logger="weiquan.worker"):
        run_until(loop, rounds)
    failures = [r.getMessage() for r in caplog.records if r.name == "weiquan.worker"]
    assert failures
    assert all(m.startswith("worker round failed: integrity_violation: ") for m in failures)
    assert tlog.size == 0  # nothing was appended past the inconsistency


def test_a_stopped_loop_returns_at_once_even_between_long_sweeps(context: App) -> None:
    rounds = Rounds()
    loop = WorkerLoop(
        context, None, sweep_every=3600, publish_every=3600, report=rounds, clock=lambda: NOW
    )
    thread = threading.Thread(target=loop.run)
    thread.start()
    time.sleep(0.2)
    started = time.monotonic()
    loop.stop.set()
    thread.join(timeout=5)
    assert not thread.is_alive()
    assert time.monotonic() - started < 1
    assert rounds.sweeps == 1


def test_a_running_worker_takes_up_a_new_year_file_and_completes_open_deadlines(
    database_url: str, engine: sa.Engine, services: Services, world: World, tmp_path: Path
) -> None:
    folder = tmp_path / "holidays"
    year_files = YearFilesCalendar(folder=folder)
    services = replace(services, calendar=MemoisedCalendar(year_files))
    settings = Settings(
        env=Environment.TEST, database_url=database_url, pii_keys=TEST_PII_KEYS, data_dir=tmp_path
    )
    context = App(settings, engine, services, year_files)
    late = datetime(2026, 12, 28, 2, tzinfo=UTC)  # a Monday: ten working days reach into 2027
    case, _ = cases.file_complaint(
        services, complaint(world.shop_a), principal=world.alice, now=late
    )
    assert case.deadlines.negotiation_due_at is None
    assert "2027" in case.deadlines.note

    rounds = Rounds()
    loop = WorkerLoop(
        context, None, sweep_every=0.05, publish_every=0.05, report=rounds, clock=lambda: late
    )
    thread = threading.Thread(target=loop.run)
    thread.start()
    try:
        assert rounds.done.wait(timeout=30)
        stored, _ = cases.get_case(services, case.id, principal=world.alice)
        assert stored.deadlines.note  # without the year, nothing to compute
        folder.mkdir()
        days = [{"name": "元旦", "date": "2027-01-01", "isOffDay": True}]
        (folder / "2027.json").write_text(json.dumps({"year": 2027, "days": days}))
        for _ in range(300):
            stored, _ = cases.get_case(services, case.id, principal=world.alice)
            if not stored.deadlines.note:
                break
            time.sleep(0.05)
    finally:
        loop.stop.set()
        thread.join(timeout=30)
    assert stored.deadlines.note == ""
    # 29–31 December and 4–8, 11–12 January: ten working days, 1 January a holiday.
    assert stored.deadlines.negotiation_due_at == datetime(2027, 1, 12, 16, tzinfo=UTC)
