"""The deadline worker on both databases, and two workers at once on PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import make_services
from tests.support.world import NOW, World, complaint
from weiquan.adapters.db import tables as t
from weiquan.adapters.db.engine import is_sqlite
from weiquan.adapters.holiday_calendar import ChinaWorkdayCalendar
from weiquan.domain.accounts import Role
from weiquan.domain.lifecycle import Action, CaseStatus
from weiquan.services import cases, worker
from weiquan.services.commands import CaseCommand
from weiquan.services.context import Services

AUGUST = NOW - timedelta(days=120)  # 27 July 2026: every deadline stays inside the calendar


def test_a_silent_merchant_is_escalated_by_the_system_naming_the_rule(
    services: Services, world: World
) -> None:
    case, _ = cases.file_complaint(
        services, complaint(world.shop_a), principal=world.alice, now=AUGUST
    )
    due = case.deadlines.reply_due_at
    assert due is not None
    assert worker.sweep(services, now=due - timedelta(seconds=1)) == []
    taken = worker.sweep(services, now=due)
    assert [(s.case_id, s.rule, s.to_status) for s in taken] == [
        (case.id, "merchant_silent_past_reply_deadline", "mediation")
    ]
    stored, events = cases.get_case(services, case.id, principal=world.alice)
    assert stored.status is CaseStatus.MEDIATION
    assert events[-1].actor.role is Role.SYSTEM
    assert events[-1].actor.rule == "merchant_silent_past_reply_deadline"


def test_mediation_past_its_deadline_fails_and_is_referred_in_one_sweep(
    services: Services, world: World
) -> None:
    case, _ = cases.file_complaint(
        services, complaint(world.shop_b), principal=world.alice, now=AUGUST
    )
    cases.act(
        services,
        CaseCommand(case.id, Action.ESCALATE, reason="不同意"),
        principal=world.alice,
        now=AUGUST,
    )
    taken = worker.sweep(services, now=NOW)
    assert [s.to_status for s in taken] == ["mediation_failed", "referred"]
    stored, _ = cases.get_case(services, case.id, principal=world.regulator_chengdu)
    assert stored.status is CaseStatus.REFERRED


def test_a_second_sweep_finds_nothing_to_do(services: Services, world: World) -> None:
    cases.file_complaint(services, complaint(world.shop_a), principal=world.alice, now=AUGUST)
    assert worker.sweep(services, now=NOW)
    assert worker.sweep(services, now=NOW) == []


def test_two_workers_at_once_never_process_a_case_twice(
    database_url: str,
    engine: sa.Engine,
    world: World,
    services: Services,
    calendar: ChinaWorkdayCalendar,
) -> None:
    if is_sqlite(database_url):
        pytest.skip("SQLite deployments run one worker; the lock test is for PostgreSQL")
    for _ in range(60):
        cases.file_complaint(services, complaint(world.shop_a), principal=world.alice, now=AUGUST)
    start = threading.Barrier(2)
    results: list[list[worker.StepTaken]] = [[], []]
    errors: list[BaseException] = []

    def run(slot: int) -> None:
        own = make_services(engine, calendar)
        start.wait()
        try:
            results[slot] = worker.sweep(own, now=AUGUST + timedelta(days=7), batch_size=5)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the main thread below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(slot,)) for slot in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    processed = [s.case_id for s in results[0] + results[1]]
    assert len(processed) == 60
    assert len(set(processed)) == 60  # no case handled by both
    assert results[0], "the first worker took part"
    assert results[1], "the second worker took part"
    with engine.connect() as conn:
        escalations = conn.execute(
            sa.select(sa.func.count())
            .select_from(t.case_events)
            .where(t.case_events.c.action == Action.ESCALATE.value)
        ).scalar_one()
    assert escalations == 60
