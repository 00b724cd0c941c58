"""Object-level authorisation: each role against another party's case, on both databases.

A case someone may not see is reported as not found, whether they read, list or act on it.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.support.world import NOW, World, complaint
from weiquan.domain.errors import NotFound, PermissionDenied
from weiquan.domain.lifecycle import Action
from weiquan.services import cases
from weiquan.services.commands import CaseCommand
from weiquan.services.context import Services


def _act(svc: Services, world: World, case_id: str, who: str, action: Action, **kw: object) -> None:
    cases.act(
        svc,
        CaseCommand(case_id=case_id, action=action, **kw),  # type: ignore[arg-type]
        principal=world.by_name(who),
        now=NOW + timedelta(minutes=1),
    )


@pytest.fixture
def referred_case(services: Services, world: World) -> str:
    """alice v. the Beijing merchant: mediated by `mediator`, failed, referred to Beijing."""
    case, _ = cases.file_complaint(
        services, complaint(world.shop_a), principal=world.alice, now=NOW - timedelta(days=1)
    )
    _act(services, world, case.id, "alice", Action.ESCALATE, reason="商家拒绝")
    _act(services, world, case.id, "mediator", Action.ASSIGN_MEDIATOR)
    _act(services, world, case.id, "mediator", Action.RECORD_FAILURE, reason="调解不成", refer=True)
    return case.id


@pytest.fixture
def negotiating_case(services: Services, world: World) -> str:
    case, _ = cases.file_complaint(
        services, complaint(world.shop_a), principal=world.alice, now=NOW
    )
    return case.id


SEES_REFERRED = ["alice", "merchant_a", "mediator", "regulator_beijing", "admin"]
BLIND_TO_REFERRED = ["bob", "merchant_b", "mediator2", "regulator_chengdu", "operator"]


@pytest.mark.parametrize("who", SEES_REFERRED)
def test_the_parties_the_mediator_and_the_regions_regulator_see_a_referred_case(
    services: Services, world: World, referred_case: str, who: str
) -> None:
    case, _ = cases.get_case(services, referred_case, principal=world.by_name(who))
    assert case.id == referred_case


@pytest.mark.parametrize("who", BLIND_TO_REFERRED)
def test_everyone_else_is_told_the_referred_case_does_not_exist(
    services: Services, world: World, referred_case: str, who: str
) -> None:
    principal = world.by_name(who)
    with pytest.raises(NotFound):
        cases.get_case(services, referred_case, principal=principal)
    with pytest.raises(NotFound):
        _act(services, world, referred_case, who, Action.ADD_STATEMENT, text="我也要说两句")
    if who != "operator":
        page = cases.case_page(services, principal=principal)
        assert referred_case not in {c.id for c in page.items}
        assert page.next_cursor is None


@pytest.mark.parametrize(
    "who",
    [
        "bob",
        "merchant_b",
        "mediator",
        "mediator2",
        "regulator_beijing",
        "regulator_chengdu",
        "operator",
    ],
)
def test_a_case_in_negotiation_is_private_to_the_two_parties(
    services: Services, world: World, negotiating_case: str, who: str
) -> None:
    with pytest.raises(NotFound):
        cases.get_case(services, negotiating_case, principal=world.by_name(who))


def test_the_other_consumer_cannot_withdraw_or_accept_on_alices_case(
    services: Services, world: World, negotiating_case: str
) -> None:
    for action in (Action.WITHDRAW, Action.ESCALATE, Action.ACCEPT_OFFER):
        with pytest.raises(NotFound):
            _act(services, world, negotiating_case, "bob", action, reason="x")


def test_the_merchant_cannot_act_for_the_consumer_on_its_own_case(
    services: Services, world: World, negotiating_case: str
) -> None:
    with pytest.raises(PermissionDenied):
        _act(services, world, negotiating_case, "merchant_a", Action.WITHDRAW, reason="x")


def test_a_regulator_may_only_close_a_referred_case(
    services: Services, world: World, referred_case: str
) -> None:
    with pytest.raises(PermissionDenied):
        _act(services, world, referred_case, "regulator_beijing", Action.ADD_STATEMENT, text="x")
    _act(services, world, referred_case, "regulator_beijing", Action.CLOSE, reason="已立案查处")


def test_mediators_see_unassigned_mediation_cases_in_their_queue(
    services: Services, world: World, negotiating_case: str
) -> None:
    _act(services, world, negotiating_case, "alice", Action.ESCALATE, reason="商家不理")
    for who in ("mediator", "mediator2"):
        page = cases.case_page(services, principal=world.by_name(who))
        assert [c.id for c in page.items] == [negotiating_case]


def test_a_merchant_never_sees_a_consumers_draft(services: Services, world: World) -> None:
    draft, _ = cases.file_complaint(
        services, complaint(world.shop_a, submit=False), principal=world.alice, now=NOW
    )
    with pytest.raises(NotFound):
        cases.get_case(services, draft.id, principal=world.merchant_a)
