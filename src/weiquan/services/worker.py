"""The deadline worker: moves overdue cases on, attributed to the system and the rule that fired.

Safe with several workers on PostgreSQL: each batch is claimed with ``FOR UPDATE SKIP LOCKED``, so
two workers never hold the same case, and the version check on save catches anything else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from weiquan.domain import workflow as wf
from weiquan.domain.cases import Case
from weiquan.services import notifications
from weiquan.services.context import Services
from weiquan.services.ports import UnitOfWork
from weiquan.services.trust_worker import sweep_trust


@dataclass(frozen=True, slots=True)
class StepTaken:
    case_id: str
    number: str
    rule: str
    action: str
    to_status: str


def sweep(
    svc: Services,
    *,
    now: datetime,
    batch_size: int = 100,
    max_batches: int = 1_000,
    revisit_open_deadlines: bool = True,
) -> list[StepTaken]:
    """Processes every case due at ``now``; each batch is one transaction. Deadlines left open
    for lack of calendar data are revisited first unless told otherwise (a long-running worker
    does it only when the calendar may have changed: see the worker loop)."""
    if revisit_open_deadlines:
        refresh_open_deadlines(svc, batch_size=batch_size)
    taken: list[StepTaken] = []
    for _ in range(max_batches):
        batch = _sweep_batch(svc, now=now, batch_size=batch_size)
        taken.extend(batch)
        if not batch:
            break
    sweep_trust(svc, now=now)  # re-verification, 举报 clocks, dispute replies, grading closes
    return taken


def _sweep_batch(svc: Services, *, now: datetime, batch_size: int) -> list[StepTaken]:
    taken: list[StepTaken] = []
    with svc.uow() as uow:
        intents = []
        for case in uow.cases.claim_due(now, limit=batch_size):
            step = wf.due_step(case, now, svc.policy)
            if step is not None:
                wf.take_due_step(case, step, now=now, cal=svc.calendar, policy=svc.policy)
                taken.append(
                    StepTaken(case.id, case.number, step.rule, step.action.value, case.status.value)
                )
            wf.schedule(case, svc.policy)
            next_check = case.deadlines.next_check_at
            if step is None and next_check is not None and next_check <= now:
                case.deadlines.next_check_at = None  # nothing can fire: never spin on it
            intents.extend(notifications.pending_intents([case]))
            uow.cases.save(case)
        notifications.queue(uow, intents, now=now, channels=svc.channels)
        uow.commit()
    return taken


def refresh_open_deadlines(svc: Services, *, batch_size: int = 100) -> int:
    """Computes deadlines that were left open for lack of calendar data, now that it may be
    loaded: every such case, a batch per transaction. Returns how many now have them all."""
    completed, after = 0, ""
    while True:
        with svc.uow() as uow:
            batch = uow.cases.with_open_deadlines(after=after, limit=batch_size)
            completed += sum(_refresh_case(uow, case, svc) for case in batch)
            uow.commit()
        if len(batch) < batch_size:
            return completed
        after = batch[-1].id


def _refresh_case(uow: UnitOfWork, case: Case, svc: Services) -> bool:
    entered = [
        e.at for e in uow.cases.events(case.id) if e.is_transition and e.to_status is case.status
    ]
    if not entered:
        return False
    note_before = case.deadlines.note
    done = wf.refresh_open_deadlines(
        case, entered_at=entered[-1], cal=svc.calendar, policy=svc.policy
    )
    if case.deadlines.note != note_before or not case.deadlines.note:
        wf.schedule(case, svc.policy)
        uow.cases.save(case)
    return done
