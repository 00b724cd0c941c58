"""The shape every trust record shares with the complaint case: a status changed only by
``apply`` after a transition-table lookup, and an append-only history of events."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from weiquan.domain.accounts import Actor, Role
from weiquan.domain.errors import (
    ValidationFailed,
)
from weiquan.domain.transitions import checked_move

E = TypeVar("E", bound=StrEnum)


@dataclass(frozen=True, slots=True)
class Move:
    target: str
    roles: frozenset[Role]


def roles(*members: Role) -> frozenset[Role]:
    return frozenset(members)


@dataclass(frozen=True, slots=True)
class TrustEvent:
    """One line of a trust record's history; appended, never changed."""

    subject_id: str
    seq: int
    action: str
    from_status: str
    to_status: str
    actor: Actor
    at: datetime
    reason: str
    payload: dict[str, Any]


@dataclass(kw_only=True, slots=True)
class Tracked:
    """Status, version and pending events; subclasses name their table and labels."""

    id: str
    status: str
    version: int = 0
    last_seq: int = 0
    updated_at: datetime | None = None
    new_events: list[TrustEvent] = field(default_factory=list)

    def _apply(
        self,
        table: Mapping[tuple[str, str], Move],
        action: str,
        *,
        actor: Actor,
        at: datetime,
        reason: str,
        payload: dict[str, Any] | None = None,
    ) -> TrustEvent:
        move = checked_move(
            table,
            self.status,
            action,
            actor=actor,
            at=at,
            reason=reason,
            status_label=f"当前状态为{self.status}",
            action_label=action,
        )
        self.last_seq += 1
        event = TrustEvent(
            subject_id=self.id,
            seq=self.last_seq,
            action=action,
            from_status=self.status,
            to_status=move.target,
            actor=actor,
            at=at,
            reason=reason.strip(),
            payload=dict(payload or {}),
        )
        self.status = move.target
        self.updated_at = at
        self.new_events.append(event)
        return event


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def require_choice(kind: type[E], value: str, *, field: str) -> E:
    try:
        return kind(value)
    except ValueError:
        options = ", ".join(member.value for member in kind)
        raise ValidationFailed(f"应为以下之一：{options}", field=field) from None
