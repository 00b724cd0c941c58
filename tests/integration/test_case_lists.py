"""Case lists page by cursor: every visible case once, in the list order, whatever is added."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from tests.support.case_rows import Parties, case_rows, insert_cases
from tests.support.world import NOW, World, complaint
from weiquan.adapters.db import tables as t
from weiquan.domain.accounts import Principal
from weiquan.domain.cases import Case
from weiquan.domain.errors import ValidationFailed
from weiquan.domain.lifecycle import CaseStatus
from weiquan.services import authz, cases, views
from weiquan.services.cases import CaseCount
from weiquan.services.context import Services
from weiquan.services.ports import CaseFilter, MediatorPart

LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


def parties(world: World) -> Parties:
    return Parties(
        consumers=(world.alice.user_id, world.bob.user_id),
        shops=(
            (world.shop_a, world.merchant_a_id, "110108"),
            (world.shop_b, world.merchant_b_id, "510104"),
        ),
        mediators=(world.mediator.user_id, world.mediator2.user_id),
    )


def seed(engine: sa.Engine, world: World, count: int, *, first: int = 0) -> None:
    rows = case_rows(parties(world), count, start=NOW - timedelta(days=30), first=first)
    insert_cases(engine, rows)


def walk(services: Services, who: Principal, *, limit: int, **narrowing: Any) -> list[Case]:
    found: list[Case] = []
    cursor = None
    while True:
        page = cases.case_page(services, principal=who, limit=limit, cursor=cursor, **narrowing)
        found += page.items
        if page.next_cursor is None:
            return found
        cursor = page.next_cursor


def list_order(case: Case) -> tuple[Any, ...]:
    """The documented order, written out plainly: soonest deadline first, none last, then
    newest first, then id descending."""
    due = case.deadlines.next_check_at
    return (
        due is None,
        due or LONG_AGO,
        -case.created_at.timestamp(),
        [-ord(ch) for ch in case.id],
    )


def everything(services: Services) -> list[Case]:
    with services.uow(readonly=True) as uow:
        return uow.cases.find(CaseFilter(limit=10**6))


def referred_ids(engine: sa.Engine) -> set[str]:
    with engine.connect() as conn:
        query = sa.select(t.cases.c.id).where(t.cases.c.referred_district.is_not(None))
        return set(conn.execute(query).scalars())


@pytest.mark.parametrize(
    "who", ["alice", "merchant_a", "mediator", "regulator_beijing", "regulator_chengdu", "admin"]
)
def test_walking_the_cursor_visits_every_visible_case_once_in_the_list_order(
    engine: sa.Engine, services: Services, world: World, who: str
) -> None:
    seed(engine, world, 400)
    principal = world.by_name(who)
    walked = walk(services, principal, limit=23)
    assert len({c.id for c in walked}) == len(walked)
    assert walked == sorted(walked, key=list_order)
    referred = referred_ids(engine)
    visible = [
        c
        for c in everything(services)
        if authz.can_view(principal, c, was_referred=c.id in referred)
    ]
    assert {c.id for c in walked} == {c.id for c in visible}
    assert walked  # the scope is not empty, so the check above means something


def test_status_queues_and_the_mediators_two_lists_page_the_same_way(
    engine: sa.Engine, services: Services, world: World
) -> None:
    seed(engine, world, 400)
    queue = (CaseStatus.NEGOTIATION, CaseStatus.SETTLED)
    walked = walk(services, world.merchant_a, limit=17, statuses=queue)
    assert walked == sorted(walked, key=list_order)
    assert {c.status for c in walked} == set(queue)
    mine = walk(services, world.mediator, limit=9, part=MediatorPart.MINE)
    waiting = walk(services, world.mediator, limit=9, part=MediatorPart.WAITING)
    assert {c.mediator_id for c in mine} == {world.mediator.user_id}
    assert {(c.mediator_id, c.status) for c in waiting} == {(None, CaseStatus.MEDIATION)}
    both = walk(services, world.mediator, limit=9)
    assert both == sorted(mine + waiting, key=list_order)


def test_a_cursor_stays_put_when_cases_are_added_before_and_after_it(
    engine: sa.Engine, services: Services, world: World
) -> None:
    seed(engine, world, 200)
    first = cases.case_page(services, principal=world.alice, limit=20)
    assert first.next_cursor is not None
    before = cases.case_page(services, principal=world.alice, limit=20, cursor=first.next_cursor)
    seed(engine, world, 200, first=200)  # new cases land all over the list
    cases.file_complaint(services, complaint(world.shop_a), principal=world.alice, now=NOW)
    after = cases.case_page(services, principal=world.alice, limit=20, cursor=first.next_cursor)
    shown = {c.id for c in first.items}
    assert not shown & {c.id for c in after.items}
    last_seen = list_order(first.items[-1])
    assert all(list_order(c) > last_seen for c in after.items)
    # the cases that were there stay in their places among the new ones
    kept = [c.id for c in after.items if c.id in {b.id for b in before.items}]
    assert kept == [c.id for c in before.items][: len(kept)]


def test_an_offset_gives_the_page_the_cursor_walk_reaches(
    engine: sa.Engine, services: Services, world: World
) -> None:
    seed(engine, world, 300)
    walked = walk(services, world.merchant_a, limit=50)
    page = cases.case_page(services, principal=world.merchant_a, limit=10, offset=57)
    assert [c.id for c in page.items] == [c.id for c in walked[57:67]]
    beyond = cases.case_page(services, principal=world.merchant_a, offset=len(walked))
    assert beyond.items == []
    assert beyond.next_cursor is None


@pytest.mark.parametrize(
    ("arguments", "words"),
    [
        ({"cursor": "not-a-cursor"}, "翻页链接已失效"),
        ({"cursor": "WyJ4Il0"}, "翻页链接已失效"),  # valid base64 of a JSON list, wrong shape
        ({"offset": cases.MAX_OFFSET + 1}, "更深的页请用 cursor"),
        ({"offset": 10, "cursor": "x"}, "只能用其一"),
        ({"limit": 0}, "limit"),
    ],
)
def test_a_page_asked_for_wrongly_is_refused_in_words(
    services: Services, world: World, arguments: dict[str, Any], words: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        cases.case_page(services, principal=world.alice, **arguments)
    assert words in refused.value.message


def test_the_count_a_person_reads_stops_at_its_bound(
    engine: sa.Engine, services: Services, world: World
) -> None:
    seed(engine, world, 120)
    exact = cases.count_cases(services, principal=world.bob)
    assert exact == CaseCount(len(walk(services, world.bob, limit=200)), at_least=False)
    assert cases.count_cases(services, principal=world.alice, cap=10) == CaseCount(
        10, at_least=True
    )


def test_the_merchant_page_lists_what_the_consumer_may_still_review_with_one_review_query(
    engine: sa.Engine, services: Services, world: World
) -> None:
    mine, _ = cases.file_complaint(
        services, complaint(world.shop_a), principal=world.alice, now=NOW
    )
    other, _ = cases.file_complaint(
        services, complaint(world.shop_b), principal=world.alice, now=NOW
    )
    statements: list[str] = []

    def count(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        found = views.reviewable_cases(services, world.merchant_a_id, principal=world.alice)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert [c.id for c in found] == [mine.id]
    assert other.id not in {c.id for c in found}
    assert sum("trust_reviews" in s for s in statements) == 1
