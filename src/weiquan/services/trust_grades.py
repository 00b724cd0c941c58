"""Merchant credit grades: updated incrementally in the transaction that closes a case.

Each closed case is counted exactly once (``trust_counted_cases``), whether it was closed through
the API or by the deadline worker; the worker's sweep picks up any close the hook did not see.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from weiquan.domain.cases import Case
from weiquan.domain.errors import NotFound
from weiquan.domain.lifecycle import CaseStatus
from weiquan.domain.trust import grade as gr
from weiquan.services.context import Services
from weiquan.services.ports import UnitOfWork

HISTORY_LIMIT = 100


def after_case_saved(uow: UnitOfWork, case: Case, now: datetime, policy: gr.GradePolicy) -> None:
    """The hook the case service calls after saving: counts a close, or a late rating."""
    if case.status is not CaseStatus.CLOSED:
        return
    if count_closed_case(uow, case, now, policy):
        return
    if case.rating is not None and uow.grades.mark_rating_counted(case.id):
        sums = uow.grades.sums_for_update(case.merchant_id)
        sums.add_rating(case.rating)
        _save(uow, sums, now, policy, trigger=f"rating:{case.id}")


def count_closed_case(uow: UnitOfWork, case: Case, now: datetime, policy: gr.GradePolicy) -> bool:
    """Adds a closed case to its merchant's sums and pledges; False if it was already counted."""
    if not uow.grades.mark_counted(case.id, case.merchant_id, at=now):
        return False
    outcome = gr.outcome_of(case, uow.cases.events(case.id))
    if outcome.rating is not None:
        uow.grades.mark_rating_counted(case.id)
    sums = uow.grades.sums_for_update(case.merchant_id)
    sums.add_case(outcome)
    for membership in uow.pledges.memberships_of(case.merchant_id, for_update=True):
        pledge = uow.pledges.get(membership.pledge_id)
        if membership.active and pledge is not None:
            checked, kept = membership.record(pledge, outcome)
            sums.add_pledge_checks(checked, kept)
            uow.pledges.put_membership(membership)
    _save(uow, sums, now, policy, trigger=f"case:{case.id}")
    return True


def exclude_case(
    uow: UnitOfWork,
    case: Case,
    now: datetime,
    policy: gr.GradePolicy,
    *,
    trigger: str,
) -> None:
    """Keeps a complaint found malicious out of its merchant's grade, or takes it back out."""
    was_counted, rating_counted = uow.grades.exclude(case.id, case.merchant_id, at=now)
    if not was_counted:
        return
    sums = uow.grades.sums_for_update(case.merchant_id)
    sums.remove_case(gr.outcome_of(case, uow.cases.events(case.id)), with_rating=rating_counted)
    _save(uow, sums, now, policy, trigger=trigger)


def record_violation(
    uow: UnitOfWork,
    merchant_id: str,
    now: datetime,
    policy: gr.GradePolicy,
    *,
    trigger: str,
) -> None:
    sums = uow.grades.sums_for_update(merchant_id)
    sums.violations += 1
    _save(uow, sums, now, policy, trigger=trigger)


def _save(
    uow: UnitOfWork, sums: gr.GradeSums, now: datetime, policy: gr.GradePolicy, *, trigger: str
) -> None:
    uow.grades.save_sums(sums)
    result = gr.compute(sums, policy)
    uow.grades.add_history(
        gr.GradeHistoryEntry(
            sums.merchant_id, now, result.score, result.grade, result.cases, trigger
        )
    )


def count_uncounted(svc: Services, *, now: datetime, limit: int = 500) -> int:
    """The worker's catch-up: closed cases whose close the hook did not see."""
    counted = 0
    with svc.uow() as uow:
        for case_id in uow.grades.uncounted_closed_cases(limit=limit):
            case = uow.cases.get(case_id)
            if case is not None and count_closed_case(uow, case, now, svc.grade_policy):
                counted += 1
        uow.commit()
    return counted


@dataclass(frozen=True, slots=True)
class GradeView:
    grade: gr.CreditGrade
    history: list[gr.GradeHistoryEntry]


def merchant_grade(svc: Services, merchant_id: str) -> GradeView:
    """Public: the score, its grade, the line-by-line breakdown and its history."""
    with svc.uow(readonly=True) as uow:
        if uow.merchants.get(merchant_id) is None:
            raise NotFound("找不到该商家")
        sums = uow.grades.sums(merchant_id)
        return GradeView(
            gr.compute(sums, svc.grade_policy), uow.grades.history(merchant_id, limit=HISTORY_LIMIT)
        )
