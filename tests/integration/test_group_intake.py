"""Complaints filed together in one transaction (group commit), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.support.world import NOW, World, complaint
from weiquan.adapters.crypto import RandomIds
from weiquan.adapters.db import tables as t
from weiquan.domain.cases import Case
from weiquan.domain.errors import IdempotencyMismatch, PermissionDenied, ValidationFailed
from weiquan.domain.lifecycle import CaseStatus
from weiquan.services import cases
from weiquan.services.cases import Submission
from weiquan.services.commands import Caller
from weiquan.services.context import Services


def _count(engine: sa.Engine, table: sa.Table) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def _filed(outcome: tuple[Case, bool] | Exception) -> Case:
    assert not isinstance(outcome, Exception), outcome
    case, created = outcome
    assert created
    return case


def test_a_group_files_every_complaint_with_its_own_case_history_and_deadlines(
    services: Services, world: World, engine: sa.Engine
) -> None:
    group = [
        Submission(complaint(world.shop_a, title=f"第 {n} 件"), world.alice, NOW + timedelta(n))
        for n in range(10)
    ]
    filed = [_filed(o) for o in cases.file_complaints(services, group)]
    assert len({c.id for c in filed}) == 10
    assert _count(engine, t.cases) == 10
    assert _count(engine, t.case_events) == 20  # submitted, then admitted, for each
    for n, case in enumerate(filed):
        stored, events = cases.get_case(services, case.id, principal=world.alice)
        assert stored.title == f"第 {n} 件"
        assert stored.status is CaseStatus.NEGOTIATION
        assert stored.created_at == NOW + timedelta(n)  # each keeps the time it arrived
        assert stored.deadlines.reply_due_at == case.deadlines.reply_due_at
        assert [e.seq for e in events] == [1, 2]


def test_a_refused_submission_gets_its_own_error_and_the_rest_of_the_group_is_filed(
    services: Services, world: World, engine: sa.Engine
) -> None:
    group = [
        Submission(complaint(world.shop_a), world.alice, NOW),
        Submission(complaint("no-such-shop"), world.alice, NOW, "key-of-the-refused"),
        Submission(complaint(world.shop_b), world.merchant_a, NOW),
        Submission(complaint(world.shop_b), world.bob, NOW),
    ]
    first, unknown_shop, merchant, last = cases.file_complaints(services, group)
    assert isinstance(unknown_shop, ValidationFailed)
    assert unknown_shop.field == "shop_id"
    assert isinstance(merchant, PermissionDenied)
    assert {_filed(first).consumer_id, _filed(last).consumer_id} == {
        world.alice.user_id,
        world.bob.user_id,
    }
    assert _count(engine, t.cases) == 2
    assert _count(engine, t.idempotency_keys) == 0  # the refused one's key was not kept


def test_one_key_twice_in_a_group_files_one_case_and_returns_it_to_both(
    services: Services, world: World, engine: sa.Engine
) -> None:
    group = [Submission(complaint(world.shop_a), world.alice, NOW, "retry-1")] * 2
    (first, created_first), (again, created_again) = cases.file_complaints(services, group)
    assert (created_first, created_again) == (True, False)
    assert again.id == first.id
    assert _count(engine, t.cases) == 1
    assert _count(engine, t.idempotency_keys) == 1


def test_one_key_for_two_different_complaints_in_a_group_refuses_the_second(
    services: Services, world: World, engine: sa.Engine
) -> None:
    group = [
        Submission(complaint(world.shop_a), world.alice, NOW, "k"),
        Submission(complaint(world.shop_a, title="另一件事"), world.alice, NOW, "k"),
    ]
    first, second = cases.file_complaints(services, group)
    _filed(first)
    assert isinstance(second, IdempotencyMismatch)
    assert _count(engine, t.cases) == 1


def test_a_key_stored_by_an_earlier_group_replays_its_case(
    services: Services, world: World
) -> None:
    submission = Submission(complaint(world.shop_a), world.alice, NOW, "k-earlier")
    case = _filed(cases.file_complaints(services, [submission])[0])
    outcome = cases.file_complaints(services, [submission, replace(submission, now=NOW)])
    assert [(c.id, created) for c, created in outcome] == [(case.id, False)] * 2


def test_a_full_group_of_retries_from_two_people_replays_each_stored_case(
    services: Services, world: World, engine: sa.Engine
) -> None:
    # More keys than one lookup statement holds, from two people who use the same key names.
    group = [
        Submission(complaint(world.shop_a, title=f"第 {n} 件"), who, NOW, f"key-{n % 20}")
        for n, who in enumerate([world.alice] * 20 + [world.bob] * 20)
    ]
    first = [_filed(o) for o in cases.file_complaints(services, group)]
    retried = cases.file_complaints(services, group)
    assert all(not isinstance(o, Exception) and o[1] is False for o in retried)
    assert [o[0].id for o in retried if not isinstance(o, Exception)] == [c.id for c in first]
    assert _count(engine, t.cases) == _count(engine, t.idempotency_keys) == 40


class DrawnNumbers(RandomIds):
    """Case numbers in a set order, so that one can be drawn twice."""

    def __init__(self, *numbers: str) -> None:
        self._numbers = iter(numbers)

    def case_number(self, at: datetime) -> str:  # noqa: ARG002 - the order alone decides
        return next(self._numbers)


def test_a_case_number_drawn_twice_is_replaced_and_the_whole_group_is_filed(
    services: Services, world: World, engine: sa.Engine
) -> None:
    taken, fresh = "WQ-20261125-AAAAAA", ["WQ-20261125-BBBBBB", "WQ-20261125-CCCCCC"]
    first = replace(services, ids=DrawnNumbers(taken))
    cases.file_complaint(first, complaint(world.shop_a), principal=world.alice, now=NOW)
    # The group draws the taken number for its second complaint, then two fresh ones.
    again = replace(services, ids=DrawnNumbers("WQ-20261125-DDDDDD", taken, *fresh))
    group = [Submission(complaint(world.shop_a), world.bob, NOW) for _ in range(2)]
    filed = [_filed(o) for o in cases.file_complaints(again, group)]
    assert [c.number for c in filed] == fresh
    assert _count(engine, t.cases) == 3


def test_two_calls_from_one_new_number_in_a_group_make_one_caller_account(
    services: Services, world: World, engine: sa.Engine
) -> None:
    users_before = _count(engine, t.users)
    group = [
        Submission(
            complaint(world.shop_a, caller=Caller("赵大妈", "13912340000")), world.operator, NOW
        ),
        Submission(
            complaint(world.shop_b, caller=Caller("赵大妈", "139 1234 0000")), world.operator, NOW
        ),
    ]
    first, second = (_filed(o) for o in cases.file_complaints(services, group))
    assert first.consumer_id == second.consumer_id
    assert _count(engine, t.users) == users_before + 1


def test_a_hotline_complaint_refused_after_the_caller_was_looked_up_leaves_no_account(
    services: Services, world: World, engine: sa.Engine
) -> None:
    users_before = _count(engine, t.users)
    refused = complaint(world.shop_a, caller=Caller("钱先生", "13800001111"), claims=())
    outcome = cases.file_complaints(
        services,
        [
            Submission(refused, world.operator, NOW),
            Submission(complaint(world.shop_a), world.bob, NOW),
        ],
    )
    assert isinstance(outcome[0], ValidationFailed)
    assert outcome[0].field == "claims"
    _filed(outcome[1])
    assert _count(engine, t.users) == users_before
    with pytest.raises(ValidationFailed):
        cases.file_complaint(services, refused, principal=world.operator, now=NOW)
    assert _count(engine, t.users) == users_before


class RepeatingIds(RandomIds):
    """Hands out the given case ids first: a repeated one makes the database refuse a write."""

    def __init__(self, ids: list[str]) -> None:
        self._ids: Iterator[str] = iter(ids)

    def new_id(self) -> str:
        return next(self._ids, None) or super().new_id()


def test_when_the_shared_transaction_fails_each_complaint_ends_as_it_would_alone(
    services: Services, world: World, engine: sa.Engine
) -> None:
    # The group's second case repeats the first's id, so the database refuses the group's
    # write as a whole; filed again one by one, only the retry that repeats an id fails.
    ids = ["c-1", "c-1", "c-2", "c-3", "c-3", "c-4"]
    services = replace(services, ids=RepeatingIds(ids))
    group = [
        Submission(complaint(world.shop_a, title=f"第 {n} 件"), world.alice, NOW) for n in range(3)
    ]
    first, second, third = cases.file_complaints(services, group)
    assert _filed(first).id == "c-3"
    assert isinstance(second, sa.exc.IntegrityError)
    assert _filed(third).id == "c-4"
    with engine.connect() as conn:
        titles = conn.execute(sa.select(t.cases.c.id, t.cases.c.title).order_by(t.cases.c.id))
        assert [tuple(r) for r in titles] == [("c-3", "第 0 件"), ("c-4", "第 2 件")]


def test_a_group_is_at_most_the_largest_one_transaction_takes(
    services: Services, world: World
) -> None:
    group = [Submission(complaint(world.shop_a), world.alice, NOW)] * (cases.MAX_GROUP + 1)
    with pytest.raises(ValueError, match="at most"):
        cases.file_complaints(services, group)


def test_a_single_complaint_that_breaks_the_transaction_raises_its_error(
    services: Services, world: World
) -> None:
    cases.file_complaint(services, complaint(world.shop_a), principal=world.alice, now=NOW)
    taken = replace(services, ids=RepeatingIds(["c-x", "c-x"]))
    cases.file_complaint(taken, complaint(world.shop_a), principal=world.alice, now=NOW)
    with pytest.raises(sa.exc.IntegrityError):
        cases.file_complaint(taken, complaint(world.shop_a), principal=world.alice, now=NOW)


def test_a_retry_key_stored_after_the_group_was_prepared_replays_that_case_when_written(
    services: Services, world: World, engine: sa.Engine
) -> None:
    # Another writer (a second web process) stores the same key between preparation and write.
    submission = Submission(complaint(world.shop_a), world.alice, NOW, "k-raced")
    prepared = cases.prepare_complaints(services, [submission])
    stored = _filed(cases.file_complaints(services, [submission])[0])
    [outcome] = cases.write_prepared(services, prepared)
    assert not isinstance(outcome, Exception), outcome
    assert (outcome[0].id, outcome[1]) == (stored.id, False)
    assert _count(engine, t.cases) == _count(engine, t.idempotency_keys) == 1


def test_a_caller_account_made_after_the_group_was_prepared_is_used_when_written(
    services: Services, world: World, engine: sa.Engine
) -> None:
    call = complaint(world.shop_a, caller=Caller("孙阿姨", "13700002222"))
    prepared = cases.prepare_complaints(services, [Submission(call, world.operator, NOW)])
    users_before = _count(engine, t.users)
    earlier = _filed(cases.file_complaints(services, [Submission(call, world.operator, NOW)])[0])
    [outcome] = cases.write_prepared(services, prepared)
    assert _filed(outcome).consumer_id == earlier.consumer_id
    assert _count(engine, t.users) == users_before + 1


def test_a_prepared_group_writes_nothing_until_it_is_written(
    services: Services, world: World, engine: sa.Engine
) -> None:
    group = [
        Submission(complaint(world.shop_a, title=f"第 {n} 件"), world.bob, NOW) for n in range(3)
    ]
    prepared = cases.prepare_complaints(services, group)
    assert _count(engine, t.cases) == 0
    signalled: list[str] = []
    filed = [
        _filed(o)
        for o in cases.write_prepared(services, prepared, writing=lambda: signalled.append("open"))
    ]
    assert signalled == ["open"]  # told once that the write transaction is open
    assert [c.title for c in filed] == ["第 0 件", "第 1 件", "第 2 件"]
    assert _count(engine, t.cases) == 3
