"""The queries of the busy paths are answered from indexes, not by reading whole tables.

A full scan is invisible in a test database of a dozen rows and ruinous at a million: the
retry-key lookup once scanned every stored key on SQLite, so each group of complaints got
slower as keys piled up, and the worker read every case on every sweep. SQLite's planner picks
indexes from the schema alone (there are no statistics here), which makes its plan a structural
check: every statement that intake, the log pump, the worker and the case lists send is captured
and explained, and none may scan one of our tables from end to end.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import _empty_all_tables, engine_for, make_services
from tests.support.notify_receivers import RecordingChannel
from tests.support.world import NOW, World, build_world, complaint
from weiquan.adapters.holiday_calendar import ChinaWorkdayCalendar
from weiquan.bootstrap import open_log
from weiquan.config import Environment, Settings
from weiquan.domain.lifecycle import Action, CaseStatus
from weiquan.services import cases, ledger, notifications, worker
from weiquan.services.commands import CaseCommand
from weiquan.services.context import Services
from weiquan.services.notify_ports import Channels


@dataclass
class Captured:
    """Each distinct statement sent, with the parameters of its first use."""

    statements: dict[str, Any] = field(default_factory=dict)

    def __call__(
        self, _conn: Any, _cursor: Any, statement: str, params: Any, _ctx: Any, many: bool
    ) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE")):
            self.statements.setdefault(statement, params[0] if many else params)


@dataclass
class Sqlite:
    path: str
    engine: sa.Engine
    services: Services
    world: World


@pytest.fixture
def sqlite(sqlite_url: str, calendar: ChinaWorkdayCalendar) -> Iterator[Sqlite]:
    engine = engine_for(sqlite_url)
    services = make_services(engine, calendar)
    try:
        yield Sqlite(sqlite_url.removeprefix("sqlite:///"), engine, services, build_world(services))
    finally:
        _empty_all_tables(engine)


def whole_table_scans(database: str, statements: dict[str, Any]) -> list[str]:
    found = []
    with sqlite3.connect(database) as conn:
        for statement, parameters in statements.items():
            for step in conn.execute(f"EXPLAIN QUERY PLAN {statement}", parameters):
                detail = str(step[3])
                if (
                    detail.startswith("SCAN ")
                    and " USING " not in detail
                    and "CONSTANT" not in detail
                ):
                    found.append(f"{detail}  <-  {' '.join(statement.split())[:200]}")
    return found


def busy_paths(db: Sqlite, tmp_path: Path) -> None:
    svc, world = db.services, db.world
    submissions = [
        cases.Submission(complaint(world.shop_a), world.alice, NOW, f"retry-{n}") for n in range(3)
    ]
    cases.file_complaints(svc, submissions)
    cases.file_complaints(svc, submissions[:1])  # a retry, answered from the stored key
    first, _ = cases.file_complaint(svc, complaint(world.shop_b), principal=world.bob, now=NOW)
    cases.act(
        svc, CaseCommand(first.id, Action.ESCALATE, reason="不同意"), principal=world.bob, now=NOW
    )
    for who in (world.alice, world.merchant_a, world.mediator, world.regulator_chengdu):
        cases.list_cases(svc, principal=who)
        cases.list_cases(svc, principal=who, statuses=(CaseStatus.NEGOTIATION,))
    cases.get_case(svc, first.id, principal=world.bob)
    settings = Settings(env=Environment.TEST, database_url="sqlite://", data_dir=tmp_path)
    with open_log(settings, writer=True) as tlog:
        ledger.publish(svc, tlog)
        worker.sweep(svc, now=NOW + timedelta(days=90))
        ledger.publish(svc, tlog)
    notices_paths(db)


def notices_paths(db: Sqlite) -> None:
    """The sender's claim and outcomes, the bell, the notifications page, a case's record."""
    svc, world = db.services, db.world
    notifications.set_preferences(
        svc,
        principal=world.merchant_a,
        language="zh_CN",
        email="shop@example.com",
        email_enabled=True,
        sms_enabled=True,
        now=NOW,
    )
    svc = replace(svc, channels=Channels(email=RecordingChannel(), sms=RecordingChannel()))
    case, _ = cases.file_complaint(svc, complaint(world.shop_a), principal=world.alice, now=NOW)
    notifications.deliver_due(svc, now=NOW)
    notifications.unread_count(svc, principal=world.merchant_a)
    notifications.inbox(svc, principal=world.merchant_a, language="zh_CN")
    notifications.mark_read(svc, principal=world.merchant_a, notice_ids=None, now=NOW)
    notifications.case_notices(svc, case.id)


def test_intake_the_log_pump_the_worker_and_the_case_lists_never_scan_a_whole_table(
    sqlite: Sqlite, tmp_path: Path
) -> None:
    captured = Captured()
    sa.event.listen(sqlite.engine, "before_cursor_execute", captured)
    try:
        busy_paths(sqlite, tmp_path)
    finally:
        sa.event.remove(sqlite.engine, "before_cursor_execute", captured)
    assert len(captured.statements) > 20  # the paths above really ran their queries
    assert whole_table_scans(sqlite.path, captured.statements) == []


def test_the_check_does_see_a_scan_where_there_is_one(sqlite: Sqlite) -> None:
    statements: Sequence[str] = ["SELECT * FROM cases WHERE title = ?"]
    assert whole_table_scans(sqlite.path, dict.fromkeys(statements, ("x",))) != []
