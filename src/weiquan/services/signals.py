"""Integrity signals for mediators: repeated complaints, copy-paste campaigns, serial claimants
and uncivil wording. Signals point at something worth a look, with the reason; they never decide
anything and never block a case (PRODUCT: 避免恶意投诉, but 公平、公正)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from weiquan.domain.accounts import Principal, Role
from weiquan.domain.errors import PermissionDenied
from weiquan.domain.lifecycle import Action
from weiquan.domain.text_signals import Signal, TextRecord
from weiquan.services.cases import visible_case
from weiquan.services.context import Services

# The detector is the text adapter: (the case's text, texts around it) → signals.
Detector = Callable[[TextRecord, Sequence[TextRecord]], list[Signal]]
# The civility check: a statement → (flagged, hint) or None when it reads fine.
CivilityHint = Callable[[str], str | None]

MAX_COMPARED = 2_000
STAFF = frozenset({Role.MEDIATOR, Role.ADMIN})


@dataclass(frozen=True, slots=True)
class StatementFlag:
    seq: int
    author_role: str
    hint: str


@dataclass(frozen=True, slots=True)
class CaseSignals:
    signals: list[Signal]
    statements: list[StatementFlag]


def case_signals(
    svc: Services,
    case_id: str,
    *,
    principal: Principal,
    detect: Detector,
    civility: CivilityHint,
) -> CaseSignals:
    """For the mediator of the case (or an admin): what in the record deserves a closer look."""
    if principal.role not in STAFF:
        raise PermissionDenied("信号仅供调解员参考")
    with svc.uow(readonly=True) as uow:
        case = visible_case(uow, principal, case_id, for_update=False)
        around = uow.cases.texts_around(case, limit=MAX_COMPARED)
        events = uow.cases.events(case.id)
    target = next((r for r in around if r.record_id == case.id), None)
    signals = detect(target, around) if target is not None else []
    flags = []
    for event in events:
        text = event.payload.get("text") if event.action in _STATEMENTS else None
        hint = civility(text) if isinstance(text, str) and text else None
        if hint:
            flags.append(StatementFlag(event.seq, event.actor.role.value, hint))
    description_hint = civility(case.description)
    if description_hint:
        flags.insert(0, StatementFlag(1, Role.CONSUMER.value, description_hint))
    return CaseSignals(signals, flags)


_STATEMENTS = frozenset({Action.ADD_STATEMENT, Action.REPLY, Action.MAKE_OFFER})
