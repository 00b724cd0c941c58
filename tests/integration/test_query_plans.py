"""The queries of the busy paths are answered from indexes, not by reading whole tables.

A full scan is invisible in a test database of a dozen rows and ruinous at a million: the
retry-key lookup once scanned every stored key on SQLite, so each group of complaints got
slower as keys piled up, and the worker read every case on every sweep. SQLite's planner picks
indexes from the schema alone (there are no statistics here), which makes its plan a structural
check: every statement that intake, the log pump, the worker and the case lists send is captured
and explained, and none may scan one of our tables from end to end.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import _empty_all_tables, engine_for, make_services
from tests.support.case_rows import Parties, case_rows, insert_cases
from tests.support.notify_receivers import RecordingChannel
from tests.support.world import NOW, World, build_world, complaint
from weiquan.adapters.db import tables as t
from weiquan.adapters.holiday_calendar import ChinaWorkdayCalendar
from weiquan.bootstrap import open_log
from weiquan.config import Environment, Settings
from weiquan.domain.lifecycle import Action, CaseStatus
from weiquan.services import cases, ledger, notifications, views, worker
from weiquan.services.commands import CaseCommand
from weiquan.services.context import Services
from weiquan.services.notify_ports import Channels
from weiquan.services.ports import MediatorPart


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


OUR_TABLES = frozenset(t.metadata.tables)


def _shown(statement: str) -> str:
    """The statement's table and conditions, without its long list of columns."""
    flat = " ".join(statement.split())
    return flat[flat.find(" FROM ") :][:300] if " FROM " in flat else flat[:300]


def whole_table_scans(database: str, statements: dict[str, Any]) -> list[str]:
    found = []
    with sqlite3.connect(database) as conn:
        for statement, parameters in statements.items():
            for step in conn.execute(f"EXPLAIN QUERY PLAN {statement}", parameters):
                detail = str(step[3])
                if (
                    detail.startswith("SCAN ")
                    and detail.split()[1] in OUR_TABLES  # not a subquery's own rows
                    and " USING " not in detail
                    and "CONSTANT" not in detail
                ):
                    found.append(f"{detail}  <-  {_shown(statement)}")
    return found


# The columns a case list is scoped by. A list statement that tests one of them for equality
# (or IS NULL) must seek on it: an index walked in the right order but filtered on the scope
# reads every case of the other scopes on the way, which no "SCAN" or sort would show.
SCOPE_COLUMNS = (
    "consumer_id",
    "merchant_id",
    "mediator_id",
    "referred_province",
    "referred_city",
    "referred_district",
)


def scope_equalities(statement: str) -> set[str]:
    flat = " ".join(statement.split())
    where = flat.split(" WHERE ", 1)[1] if " WHERE " in flat else ""
    return {
        column for column in SCOPE_COLUMNS if re.search(rf"cases\.{column} (= |IS NULL)", where)
    }


def filtered_walks(database: str, statements: dict[str, Any]) -> list[str]:
    """SQLite steps that read cases through an index not constrained on the statement's scope."""
    found = []
    with sqlite3.connect(database) as conn:
        for statement, parameters in statements.items():
            wanted = scope_equalities(statement)
            if not wanted or not statement.lstrip().upper().startswith("SELECT"):
                continue
            for step in conn.execute(f"EXPLAIN QUERY PLAN {statement}", parameters):
                detail = str(step[3])
                if not detail.startswith(("SEARCH cases ", "SCAN cases ")):
                    continue
                missing = {c for c in wanted if f"{c}=" not in detail}
                if missing:
                    found.append(f"{detail} filters {sorted(missing)}  <-  {_shown(statement)}")
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
    list_paths(svc, world)
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


def list_paths(svc: Services, world: World) -> None:
    """Every read a case list makes, for every role: first pages, deep pages by cursor, status
    queues (one status and several), the mediator's two lists, a bounded offset, the bounded
    count, the CSV export, the reviewable cases on a merchant's page, the shop names."""
    principals = (
        world.alice,
        world.merchant_a,
        world.mediator,
        world.regulator_beijing,
        world.regulator_chengdu,
        world.admin,
    )
    for who in principals:
        for statuses in ((), (CaseStatus.NEGOTIATION,), (CaseStatus.MEDIATION, CaseStatus.CLOSED)):
            cursor = None
            for _ in range(3):
                page = cases.case_page(svc, principal=who, statuses=statuses, cursor=cursor)
                views.shop_names(svc, page.items)
                cursor = page.next_cursor
                if cursor is None:
                    break
        cases.case_page(svc, principal=who, offset=100, limit=20)
        cases.count_cases(svc, principal=who)
    for part in (MediatorPart.MINE, MediatorPart.WAITING):
        cases.case_page(svc, principal=world.mediator, part=part)
    views.reviewable_cases(svc, world.merchant_a_id, principal=world.alice)


def list_statements(db: Sqlite | Postgres) -> dict[str, Any]:
    captured = Captured()
    sa.event.listen(db.engine, "before_cursor_execute", captured)
    try:
        list_paths(db.services, db.world)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", captured)
    return captured.statements


def temporary_sorts(database: str, statements: dict[str, Any]) -> list[str]:
    """SQLite sorts what no index gives in order in a temporary B-tree: every matching row is
    read and sorted before the first one is returned."""
    found = []
    with sqlite3.connect(database) as conn:
        for statement, parameters in statements.items():
            for step in conn.execute(f"EXPLAIN QUERY PLAN {statement}", parameters):
                if "USE TEMP B-TREE" in str(step[3]):
                    found.append(f"{step[3]}  <-  {_shown(statement)}")
    return found


def on_cases(problems: list[str]) -> list[str]:
    return [p for p in problems if p.startswith(("SCAN cases", "Seq Scan on cases"))]


def seed_grown_record(db: Sqlite | Postgres, count: int) -> None:
    """Enough cases, most of them Alice's and against merchant A, that reading a scope whole
    would show, with the statistics the planners would have in production."""
    world = db.world
    parties = Parties(
        consumers=(world.alice.user_id, world.bob.user_id),
        shops=(
            (world.shop_a, world.merchant_a_id, "110108"),
            (world.shop_b, world.merchant_b_id, "510104"),
        ),
        mediators=(world.mediator.user_id, world.mediator2.user_id),
    )
    insert_cases(db.engine, case_rows(parties, count, start=NOW - timedelta(days=400)))
    with db.engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")


@pytest.fixture
def forget_statistics(sqlite: Sqlite) -> Iterator[None]:
    """The SQLite database lives for the whole session: the statistics of a grown record must
    not outlive the test that grew it, or later tests would plan for the wrong sizes."""
    yield
    with sqlite.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS sqlite_stat1")
        conn.exec_driver_sql("DROP TABLE IF EXISTS sqlite_stat4")


MILLION_CASE_STATISTICS = Path(__file__).parents[1] / "data" / "sqlite_stat1_cases_1e6.json"


def pretend_a_million_cases(db: Sqlite) -> None:
    """SQLite plans from the statistics ANALYZE left in sqlite_stat1, and those may be written:
    these are the ones of bench/reads.py's record at 1,000,000 cases, where the averages once led
    the planner to a status index and a temporary sort for the regulator's list."""
    rows = json.loads(MILLION_CASE_STATISTICS.read_text())
    with db.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM sqlite_stat1 WHERE tbl = 'cases'")
        for table, index, stat in rows:
            conn.exec_driver_sql(
                "INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (?, ?, ?)", (table, index, stat)
            )


@pytest.mark.usefixtures("forget_statistics")
@pytest.mark.parametrize("statistics", ["of the seeded record", "of a million cases"])
def test_every_case_list_reads_one_page_without_a_scan_or_a_sort_on_sqlite(
    sqlite: Sqlite, statistics: str
) -> None:
    seed_grown_record(sqlite, 5_000)
    if statistics == "of a million cases":
        pretend_a_million_cases(sqlite)
    statements = list_statements(sqlite)
    assert len(statements) > 30  # the lists above really ran their queries
    # With statistics the planner rightly scans a table of two shops; only cases grew here
    # (the test below this file's first one checks every table without statistics).
    assert on_cases(whole_table_scans(sqlite.path, statements)) == []
    assert temporary_sorts(sqlite.path, statements) == []
    assert filtered_walks(sqlite.path, statements) == []


@pytest.mark.usefixtures("forget_statistics")
def test_the_check_fails_a_list_whose_index_is_gone(sqlite: Sqlite) -> None:
    seed_grown_record(sqlite, 500)
    index = next(i for i in t.cases.indexes if i.name == "ix_cases_merchant_list")
    index.drop(sqlite.engine)
    try:
        statements = list_statements(sqlite)
        found = (
            whole_table_scans(sqlite.path, statements)
            + temporary_sorts(sqlite.path, statements)
            + filtered_walks(sqlite.path, statements)
        )
    finally:
        index.create(sqlite.engine)
    assert any("merchant_id" in line for line in found), found


@dataclass
class Postgres:
    engine: sa.Engine
    services: Services
    world: World


@pytest.fixture
def postgres(postgres_url: str, calendar: ChinaWorkdayCalendar) -> Iterator[Postgres]:
    engine = engine_for(postgres_url)
    services = make_services(engine, calendar)
    try:
        yield Postgres(engine, services, build_world(services))
    finally:
        _empty_all_tables(engine)


def postgres_problems(engine: sa.Engine, statements: dict[str, Any]) -> list[str]:
    """Sequential scans of our tables, and sorts of more rows than a page (EXPLAIN's estimate
    of the sort's input): a list must come out of an index in order."""
    found: list[str] = []
    with engine.connect() as conn:
        for statement, parameters in statements.items():
            plan = conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", parameters)
            root = plan.scalar_one()[0]["Plan"]
            short = _shown(statement)
            found += [f"{problem}  <-  {short}" for problem in _plan_problems(root)]
            found += [
                f"{problem}  <-  {short}"
                for problem in _unscoped_index_reads(root, scope_equalities(statement))
            ]
    return found


def _unscoped_index_reads(node: dict[str, Any], wanted: set[str]) -> Iterator[str]:
    """Index reads of cases whose Index Cond leaves out a scope column of the statement."""
    if node.get("Relation Name") == "cases" and "Index" in node["Node Type"]:
        condition = node.get("Index Cond", "")
        missing = sorted(c for c in wanted if c not in condition)
        if missing:
            yield f"{node['Node Type']} on {node.get('Index Name')} filters {missing}"
    for child in node.get("Plans", []):
        yield from _unscoped_index_reads(child, wanted)


def _plan_problems(node: dict[str, Any], *, limited: bool = False) -> Iterator[str]:
    """A sequential scan right under a LIMIT stops after that many matches: the planner picks
    it only when most rows match (a bounded count over a huge scope), so it is no full read."""
    kind = node["Node Type"]
    if kind == "Seq Scan" and node.get("Relation Name") in OUR_TABLES and not limited:
        yield f"Seq Scan on {node['Relation Name']}"
    children = node.get("Plans", [])
    if kind in ("Sort", "Incremental Sort") and any(c["Plan Rows"] > 500 for c in children):
        yield f"{kind} of about {max(c['Plan Rows'] for c in children)} rows"
    for child in children:
        yield from _plan_problems(child, limited=kind == "Limit")


@pytest.mark.postgres
def test_every_case_list_reads_one_page_without_a_scan_or_a_sort_on_postgresql(
    postgres: Postgres,
) -> None:
    seed_grown_record(postgres, 20_000)
    statements = list_statements(postgres)
    assert len(statements) > 30
    assert on_cases(postgres_problems(postgres.engine, statements)) == []
    assert [line for line in postgres_problems(postgres.engine, statements) if "Sort" in line] == []


@pytest.mark.postgres
def test_the_postgresql_check_fails_a_list_whose_index_is_gone(postgres: Postgres) -> None:
    seed_grown_record(postgres, 20_000)
    index = next(i for i in t.cases.indexes if i.name == "ix_cases_merchant_list")
    index.drop(postgres.engine)
    try:
        found = postgres_problems(postgres.engine, list_statements(postgres))
    finally:
        index.create(postgres.engine)
    assert any("merchant_id" in line for line in found), found


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
