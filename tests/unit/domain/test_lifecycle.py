"""The transition table: every allowed move works, every other move is refused."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.domain.factories import AT, a_case
from weiquan.domain.accounts import Actor, Role
from weiquan.domain.errors import IllegalTransition, PermissionDenied, ValidationFailed
from weiquan.domain.lifecycle import (
    FINAL_STATUSES,
    TRANSITIONS,
    Action,
    CaseStatus,
    allowed_actions,
)

ALLOWED = [
    (status, action, role, move.target)
    for (status, action), move in TRANSITIONS.items()
    for role in sorted(move.roles)
]
FORBIDDEN_MOVES = [
    (status, action)
    for status, action in itertools.product(CaseStatus, Action)
    if (status, action) not in TRANSITIONS
]
WRONG_ROLES = [
    (status, action, role)
    for (status, action), move in TRANSITIONS.items()
    for role in Role
    if role not in move.roles
]


@pytest.mark.parametrize(("status", "action", "role", "target"), ALLOWED)
def test_every_allowed_transition_moves_to_its_target_and_is_recorded(
    status: CaseStatus, action: Action, role: Role, target: CaseStatus
) -> None:
    case = a_case(status)
    event = case.apply(action, actor=Actor(role, "someone"), at=AT, reason="测试")
    assert case.status is target
    assert (event.from_status, event.to_status, event.action) == (status, target, action)
    assert event.actor.role is role
    assert case.new_events == [event]


@pytest.mark.parametrize(("status", "action"), FORBIDDEN_MOVES)
def test_every_move_missing_from_the_table_is_an_illegal_transition(
    status: CaseStatus, action: Action
) -> None:
    case = a_case(status)
    with pytest.raises(IllegalTransition):
        case.apply(action, actor=Actor(Role.ADMIN, "root"), at=AT, reason="测试")
    assert case.status is status
    assert case.new_events == []


@pytest.mark.parametrize(("status", "action", "role"), WRONG_ROLES)
def test_a_role_the_table_does_not_name_may_not_make_the_move(
    status: CaseStatus, action: Action, role: Role
) -> None:
    case = a_case(status)
    with pytest.raises(PermissionDenied):
        case.apply(action, actor=Actor(role, "x"), at=AT, reason="测试")
    assert case.status is status


def test_a_transition_needs_a_reason() -> None:
    with pytest.raises(ValidationFailed) as info:
        a_case().apply(Action.SUBMIT, actor=Actor(Role.CONSUMER, "alice"), at=AT, reason="  ")
    assert info.value.field == "reason"


def test_a_transition_refuses_a_naive_time() -> None:
    with pytest.raises(ValidationFailed):
        a_case().apply(
            Action.SUBMIT, actor=Actor(Role.CONSUMER, "a"), at=AT.replace(tzinfo=None), reason="x"
        )


def test_final_states_allow_nothing_but_rating_a_closed_case() -> None:
    for status in FINAL_STATUSES:
        actions = {action for (src, action) in TRANSITIONS if src is status}
        assert actions <= {Action.RATE}, status


def test_withdrawal_is_possible_from_every_state_before_closing() -> None:
    for status in CaseStatus:
        if status not in FINAL_STATUSES:
            assert (status, Action.WITHDRAW) in TRANSITIONS, status


def test_allowed_actions_lists_what_a_merchant_may_do_in_negotiation() -> None:
    assert set(allowed_actions(CaseStatus.NEGOTIATION, Role.MERCHANT)) == {
        Action.REPLY,
        Action.MAKE_OFFER,
        Action.REFUSE,
        Action.ADD_STATEMENT,
        Action.REQUEST_EVIDENCE,
    }


@settings(max_examples=300)
@given(st.lists(st.tuples(st.sampled_from(list(Action)), st.sampled_from(list(Role))), max_size=40))
def test_random_action_sequences_only_ever_follow_the_table(
    steps: list[tuple[Action, Role]],
) -> None:
    case = a_case()
    for action, role in steps:
        before = case.status
        move = TRANSITIONS.get((before, action))
        try:
            case.apply(action, actor=Actor(role, "u"), at=AT, reason="r")
        except (IllegalTransition, PermissionDenied):
            assert move is None or role not in move.roles
            assert case.status is before
            continue
        assert move is not None
        assert role in move.roles
        assert case.status is move.target
        assert case.new_events[-1].seq == len(case.new_events)
    assert [e.seq for e in case.new_events] == list(range(1, len(case.new_events) + 1))
