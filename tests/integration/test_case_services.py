"""The case lifecycle through the services, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.support.world import NOW, World, complaint
from weiquan.adapters.db import tables as t
from weiquan.domain.accounts import Role
from weiquan.domain.cases import Channel, Claim, ClaimKind
from weiquan.domain.errors import (
    Conflict,
    IdempotencyMismatch,
    IllegalTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from weiquan.domain.lifecycle import Action, CaseStatus
from weiquan.services import cases
from weiquan.services.commands import Caller, CaseCommand
from weiquan.services.context import Services


def _count(engine: sa.Engine, table: sa.Table) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def test_a_filed_complaint_is_stored_admitted_and_its_history_kept(
    services: Services, world: World
) -> None:
    case, created = cases.file_complaint(
        services, complaint(world.shop_a), principal=world.alice, now=NOW
    )
    assert created
    stored, events = cases.get_case(services, case.id, principal=world.alice)
    assert stored.status is CaseStatus.NEGOTIATION
    assert stored.region_code == "110108"
    assert stored.deadlines.reply_due_at == case.deadlines.reply_due_at
    assert [(e.action, e.actor.role) for e in events] == [
        (Action.SUBMIT, Role.CONSUMER),
        (Action.ADMIT, Role.SYSTEM),
    ]
    assert stored.order is not None
    assert stored.order.amount_paid_fen == 29900


def test_a_retried_submission_with_the_same_key_returns_the_first_case(
    services: Services, world: World, engine: sa.Engine
) -> None:
    first, created_first = cases.file_complaint(
        services, complaint(world.shop_a), principal=world.alice, now=NOW, idempotency_key="k-123"
    )
    again, created_again = cases.file_complaint(
        services,
        complaint(world.shop_a),
        principal=world.alice,
        now=NOW + timedelta(1),
        idempotency_key="k-123",
    )
    assert (created_first, created_again) == (True, False)
    assert again.id == first.id
    assert _count(engine, t.cases) == 1


def test_the_same_key_with_a_different_complaint_is_refused(
    services: Services, world: World, engine: sa.Engine
) -> None:
    cases.file_complaint(
        services, complaint(world.shop_a), principal=world.alice, now=NOW, idempotency_key="k-1"
    )
    with pytest.raises(IdempotencyMismatch):
        cases.file_complaint(
            services,
            complaint(world.shop_a, title="另一件事"),
            principal=world.alice,
            now=NOW,
            idempotency_key="k-1",
        )
    assert _count(engine, t.cases) == 1


def test_keys_are_per_user(services: Services, world: World) -> None:
    a, _ = cases.file_complaint(
        services, complaint(world.shop_a), principal=world.alice, now=NOW, idempotency_key="same"
    )
    b, created = cases.file_complaint(
        services, complaint(world.shop_a), principal=world.bob, now=NOW, idempotency_key="same"
    )
    assert created
    assert a.id != b.id


def test_an_unknown_shop_is_refused_and_nothing_is_written(
    services: Services, world: World, engine: sa.Engine
) -> None:
    with pytest.raises(ValidationFailed) as info:
        cases.file_complaint(
            services, complaint("no-such-shop"), principal=world.alice, now=NOW, idempotency_key="k"
        )
    assert info.value.field == "shop_id"
    assert _count(engine, t.cases) == 0
    assert _count(engine, t.idempotency_keys) == 0
    assert _count(engine, t.case_events) == 0


def test_merchants_cannot_file_complaints(services: Services, world: World) -> None:
    with pytest.raises(PermissionDenied):
        cases.file_complaint(services, complaint(world.shop_a), principal=world.merchant_a, now=NOW)


def test_hotline_intake_records_the_channel_the_operator_and_the_caller(
    services: Services, world: World
) -> None:
    cmd = complaint(world.shop_b, caller=Caller("赵大妈", "139 1234 5678"))
    case, _ = cases.file_complaint(services, cmd, principal=world.operator, now=NOW)
    assert case.channel is Channel.HOTLINE
    assert case.filed_by_id == world.operator.user_id
    _, events = cases.get_case(services, case.id, principal=world.operator)
    assert events[0].actor.role is Role.OPERATOR
    again, _ = cases.file_complaint(
        services,
        complaint(world.shop_a, caller=Caller("赵大妈", "13912345678")),
        principal=world.operator,
        now=NOW,
    )
    assert again.consumer_id == case.consumer_id  # the same caller is recognised by phone


def test_the_callers_phone_is_encrypted_at_rest(
    services: Services, world: World, engine: sa.Engine
) -> None:
    cases.file_complaint(
        services,
        complaint(world.shop_b, caller=Caller("赵大妈", "13912345678")),
        principal=world.operator,
        now=NOW,
    )
    with engine.connect() as conn:
        stored = [r[0] for r in conn.execute(sa.select(t.users.c.phone_enc)) if r[0]]
        names = [r[0] for r in conn.execute(sa.select(t.users.c.username))]
    assert stored
    assert all("13912345678" not in value for value in stored)
    assert all("13912345678" not in name for name in names)


def _act(
    services: Services,
    world: World,
    case_id: str,
    who: str,
    action: Action,
    minutes: int,
    **kw: object,
) -> object:
    cmd = CaseCommand(case_id=case_id, action=action, **kw)  # type: ignore[arg-type]
    return cases.act(
        services, cmd, principal=world.by_name(who), now=NOW + timedelta(minutes=minutes)
    )


def test_a_full_mediated_case_reaches_closed(services: Services, world: World) -> None:
    case, _ = cases.file_complaint(
        services, complaint(world.shop_a), principal=world.alice, now=NOW - timedelta(days=100)
    )
    cid = case.id
    earlier = -100 * 24 * 60
    offer = _act(
        services,
        world,
        cid,
        "merchant_a",
        Action.MAKE_OFFER,
        earlier + 10,
        text="退一半",
        terms=(Claim(ClaimKind.REFUND, 15000),),
    ).open_offer
    _act(
        services,
        world,
        cid,
        "alice",
        Action.REJECT_OFFER,
        earlier + 20,
        offer_id=offer.id,
        reason="应全额退款",
    )
    _act(services, world, cid, "mediator", Action.ASSIGN_MEDIATOR, earlier + 30)
    proposal = _act(
        services,
        world,
        cid,
        "mediator",
        Action.PROPOSE_SETTLEMENT,
        earlier + 40,
        text="退款 250 元",
        terms=(Claim(ClaimKind.REFUND, 25000),),
    ).open_offer
    _act(services, world, cid, "alice", Action.ACCEPT_OFFER, earlier + 50, offer_id=proposal.id)
    done = _act(
        services, world, cid, "merchant_a", Action.ACCEPT_OFFER, earlier + 60, offer_id=proposal.id
    )
    assert done.status is CaseStatus.AGREEMENT
    _act(services, world, cid, "alice", Action.CONFIRM_FULFILMENT, earlier + 70)
    _act(services, world, cid, "alice", Action.CLOSE, earlier + 80, reason="已收到退款")
    final, events = cases.get_case(services, cid, principal=world.alice)
    assert final.status is CaseStatus.CLOSED
    assert [e.to_status for e in events if e.is_transition] == [
        CaseStatus.SUBMITTED,
        CaseStatus.NEGOTIATION,
        CaseStatus.MEDIATION,
        CaseStatus.AGREEMENT,
        CaseStatus.FULFILLED,
        CaseStatus.CLOSED,
    ]
    assert all(e.reason for e in events)


def test_an_illegal_transition_changes_nothing(services: Services, world: World) -> None:
    case, _ = cases.file_complaint(
        services, complaint(world.shop_a), principal=world.alice, now=NOW
    )
    with pytest.raises(IllegalTransition):
        _act(services, world, case.id, "alice", Action.CONFIRM_FULFILMENT, 1)
    stored, events = cases.get_case(services, case.id, principal=world.alice)
    assert stored.status is CaseStatus.NEGOTIATION
    assert len(events) == 2


def test_a_stale_write_is_refused_rather_than_lost(services: Services, world: World) -> None:
    case, _ = cases.file_complaint(
        services, complaint(world.shop_a), principal=world.alice, now=NOW
    )
    with services.uow() as uow:
        stale = uow.cases.get(case.id)
    _act(services, world, case.id, "merchant_a", Action.REPLY, 1, text="正在核实")
    assert stale is not None
    stale.apply(Action.ADD_STATEMENT, actor=world.alice.actor, at=NOW, reason="补充")
    with services.uow() as uow, pytest.raises(Conflict):
        uow.cases.save(stale)


def test_a_mediator_must_claim_a_case_before_acting(services: Services, world: World) -> None:
    case, _ = cases.file_complaint(
        services, complaint(world.shop_a), principal=world.alice, now=NOW
    )
    _act(services, world, case.id, "alice", Action.ESCALATE, 1, reason="商家不理")
    with pytest.raises(PermissionDenied):
        _act(
            services,
            world,
            case.id,
            "mediator",
            Action.PROPOSE_SETTLEMENT,
            2,
            text="x",
            terms=(Claim(ClaimKind.REFUND, 100),),
        )
    _act(services, world, case.id, "mediator", Action.ASSIGN_MEDIATOR, 3)
    with pytest.raises(NotFound):  # now assigned to someone else, out of mediator2's queue
        _act(services, world, case.id, "mediator2", Action.ASSIGN_MEDIATOR, 4)
