"""Two cases of one merchant closing at the same moment both reach its grade (PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import make_services
from tests.support.world import NOW, World, complaint
from weiquan.adapters.db.engine import is_sqlite
from weiquan.adapters.holiday_calendar import ChinaWorkdayCalendar
from weiquan.domain.cases import Claim, ClaimKind
from weiquan.domain.lifecycle import Action
from weiquan.services import cases, trust_grades
from weiquan.services.commands import CaseCommand
from weiquan.services.context import Services


def _fulfilled_case(svc: Services, world: World) -> str:
    case, _ = cases.file_complaint(svc, complaint(world.shop_a), principal=world.alice, now=NOW)

    def act(who: str, action: Action, **kw: object) -> object:
        cmd = CaseCommand(case_id=case.id, action=action, **kw)  # type: ignore[arg-type]
        return cases.act(svc, cmd, principal=world.by_name(who), now=NOW + timedelta(hours=1))

    offer = act(
        "merchant_a", Action.MAKE_OFFER, text="退款", terms=(Claim(ClaimKind.REFUND, 100),)
    ).open_offer  # type: ignore[attr-defined]
    act("alice", Action.ACCEPT_OFFER, offer_id=offer.id)
    act("alice", Action.CONFIRM_FULFILMENT)
    return case.id


def test_simultaneous_closes_are_both_counted(
    database_url: str,
    engine: sa.Engine,
    world: World,
    services: Services,
    calendar: ChinaWorkdayCalendar,
) -> None:
    if is_sqlite(database_url):
        pytest.skip("SQLite serialises writers; the row-lock test is for PostgreSQL")
    case_ids = [_fulfilled_case(services, world) for _ in range(2)]
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def close(case_id: str) -> None:
        own = make_services(engine, calendar)
        cmd = CaseCommand(case_id=case_id, action=Action.CLOSE, reason="已退款")
        start.wait()
        try:
            cases.act(own, cmd, principal=world.alice, now=NOW + timedelta(days=1))
        except BaseException as exc:  # noqa: BLE001 - re-raised in the main thread below
            errors.append(exc)

    threads = [threading.Thread(target=close, args=(case_id,)) for case_id in case_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    view = trust_grades.merchant_grade(services, world.merchant_a_id)
    assert view.grade.cases == 2
    assert len(view.history) == 2
