"""The check every status change goes through, for cases and trust records alike.

A status may change only by a move its transition table lists, by a role the move names, at an
aware time and with a reason. Each aggregate keeps its own table and labels; the rules live here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Protocol, TypeVar

from weiquan.domain.accounts import Actor, Role
from weiquan.domain.errors import IllegalTransition, PermissionDenied, TooLong, ValidationFailed
from weiquan.domain.free_text import refuse_control_characters

MAX_REASON = 2_000


class HasRoles(Protocol):
    @property
    def roles(self) -> frozenset[Role]: ...


MoveT = TypeVar("MoveT", bound=HasRoles)
StatusT = TypeVar("StatusT")
ActionT = TypeVar("ActionT")


def checked_move(
    table: Mapping[tuple[StatusT, ActionT], MoveT],
    status: StatusT,
    action: ActionT,
    *,
    actor: Actor,
    at: datetime,
    reason: str,
    status_label: str,
    action_label: str,
) -> MoveT:
    """The move the table allows, or the error that says why the change is refused."""
    move = table.get((status, action))
    if move is None:
        raise IllegalTransition(
            f"当前为「{status_label}」，不能「{action_label}」"
            f" (cannot {_plain(action)} in state {_plain(status)})"
        )
    if actor.role not in move.roles:
        raise PermissionDenied(f"{actor.role.value} 不能「{action_label}」")
    if at.tzinfo is None:
        raise ValidationFailed("时间必须带时区", field="at")
    _require_reason(reason)
    return move


def _plain(value: object) -> str:
    return str(getattr(value, "value", value))


def _require_reason(reason: str) -> None:
    if not isinstance(reason, str) or not reason.strip():
        raise ValidationFailed("不能为空", field="reason")
    if len(reason) > MAX_REASON:
        raise TooLong(limit=MAX_REASON, count=len(reason), field="reason")
    refuse_control_characters(reason, field="reason")
