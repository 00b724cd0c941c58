"""Merchant-initiated disputes: fake returns, malicious complaints and extortion."""

from __future__ import annotations

from datetime import datetime
from typing import BinaryIO

from weiquan.domain.accounts import Principal, Role
from weiquan.domain.errors import NotFound, PermissionDenied, ValidationFailed
from weiquan.domain.lifecycle import CaseStatus
from weiquan.domain.trust import disputes as dp
from weiquan.domain.trust.tracking import TrustEvent
from weiquan.domain.trust.uploads import AttachedTo
from weiquan.services import trust_grades
from weiquan.services.context import Services
from weiquan.services.ports import UnitOfWork
from weiquan.services.trust_access import STAFF, attach_uploads, open_attached


def file_dispute(
    svc: Services,
    *,
    principal: Principal,
    case_id: str,
    kind: dp.DisputeKind,
    text: str,
    evidence: tuple[str, ...],
    now: datetime,
) -> dp.MerchantDispute:
    """The merchant raises a dispute about a case filed against it."""
    if principal.role is not Role.MERCHANT:
        raise PermissionDenied("只有商家可以发起商家争议")
    with svc.uow() as uow:
        case = uow.cases.get(case_id) if case_id else None
        if (
            case is None
            or case.merchant_id != principal.merchant_id
            or (case.status is CaseStatus.DRAFT)
        ):
            raise ValidationFailed("请选择针对本商家的投诉案件", field="case_id")
        dispute_id = svc.ids.new_id()
        evidence = attach_uploads(
            uow,
            evidence,
            principal=principal,
            kind=AttachedTo.DISPUTE,
            record_id=dispute_id,
            now=now,
        )
        dispute = dp.file(
            dispute_id=dispute_id,
            merchant_id=case.merchant_id,
            consumer_id=case.consumer_id,
            case_id=case.id,
            kind=kind,
            text=text,
            evidence=evidence,
            at=now,
            cal=svc.calendar,
        )
        uow.disputes.add(dispute)
        uow.commit()
    return dispute


def _may_view(principal: Principal, dispute: dp.MerchantDispute) -> bool:
    if principal.role in STAFF:
        return True
    if principal.role is Role.MERCHANT:
        return principal.merchant_id == dispute.merchant_id
    return principal.role is Role.CONSUMER and principal.user_id == dispute.consumer_id


def _visible(uow: UnitOfWork, principal: Principal, dispute_id: str) -> dp.MerchantDispute:
    dispute = uow.disputes.get(dispute_id, for_update=True) if dispute_id else None
    if dispute is None or not _may_view(principal, dispute):
        raise NotFound("找不到该争议，或您无权查看")
    return dispute


def add_statement(
    svc: Services,
    dispute_id: str,
    *,
    principal: Principal,
    text: str,
    evidence: tuple[str, ...],
    now: datetime,
) -> dp.MerchantDispute:
    with svc.uow() as uow:
        dispute = _visible(uow, principal, dispute_id)
        evidence = attach_uploads(
            uow,
            evidence,
            principal=principal,
            kind=AttachedTo.DISPUTE,
            record_id=dispute.id,
            now=now,
        )
        dp.add_statement(dispute, actor=principal.actor, at=now, text=text, evidence=evidence)
        uow.disputes.save(dispute)
        uow.commit()
    return dispute


def open_dispute_evidence(
    svc: Services, dispute_id: str, upload_id: str, *, principal: Principal, now: datetime
) -> BinaryIO:
    """Both parties and the staff see every file either side offered."""
    dispute, _ = get_dispute(svc, dispute_id, principal=principal)
    return open_attached(
        svc,
        upload_id,
        kind=AttachedTo.DISPUTE,
        record_id=dispute.id,
        principal=principal,
        now=now,
    )


def assign(
    svc: Services, dispute_id: str, *, principal: Principal, now: datetime
) -> dp.MerchantDispute:
    if principal.role is not Role.MEDIATOR:
        raise PermissionDenied("只有调解员可以认领争议")
    with svc.uow() as uow:
        dispute = _visible(uow, principal, dispute_id)
        dp.assign_mediator(dispute, actor=principal.actor, at=now, mediator_id=principal.user_id)
        uow.disputes.save(dispute)
        uow.commit()
    return dispute


def decide(
    svc: Services,
    dispute_id: str,
    *,
    principal: Principal,
    finding: dp.DisputeFinding,
    reason: str,
    now: datetime,
) -> dp.MerchantDispute:
    with svc.uow() as uow:
        dispute = _visible(uow, principal, dispute_id)
        dp.decide(dispute, actor=principal.actor, at=now, finding=finding, reason=reason)
        uow.disputes.save(dispute)
        case = uow.cases.get(dispute.case_id)
        if finding is dp.DisputeFinding.FOR_MERCHANT and case is not None:
            trust_grades.exclude_case(
                uow, case, now, svc.grade_policy, trigger=f"dispute:{dispute.id}"
            )
        uow.commit()
    return dispute


def withdraw(
    svc: Services, dispute_id: str, *, principal: Principal, reason: str, now: datetime
) -> dp.MerchantDispute:
    with svc.uow() as uow:
        dispute = _visible(uow, principal, dispute_id)
        dp.withdraw(dispute, actor=principal.actor, at=now, reason=reason)
        uow.disputes.save(dispute)
        uow.commit()
    return dispute


def get_dispute(
    svc: Services, dispute_id: str, *, principal: Principal
) -> tuple[dp.MerchantDispute, list[TrustEvent]]:
    with svc.uow(readonly=True) as uow:
        dispute = uow.disputes.get(dispute_id) if dispute_id else None
        if dispute is None or not _may_view(principal, dispute):
            raise NotFound("找不到该争议，或您无权查看")
        return dispute, uow.disputes.events(dispute.id)


def list_disputes(
    svc: Services, *, principal: Principal, limit: int = 50
) -> list[dp.MerchantDispute]:
    with svc.uow(readonly=True) as uow:
        if principal.role in STAFF:
            return uow.disputes.find(limit=limit)
        if principal.role is Role.MERCHANT:
            return uow.disputes.find(merchant_id=principal.merchant_id or "-", limit=limit)
        return uow.disputes.find(consumer_id=principal.user_id, limit=limit)


def sweep_disputes(svc: Services, *, now: datetime, limit: int = 200) -> list[tuple[str, str]]:
    taken: list[tuple[str, str]] = []
    with svc.uow() as uow:
        for dispute in uow.disputes.with_open_clocks(limit=limit):
            dp.refresh_clock(dispute, svc.calendar)
            uow.disputes.save(dispute)
        for dispute in uow.disputes.claim_due(now, limit=limit):
            if dp.escalate_if_silent(dispute, now):
                taken.append((dispute.id, "consumer_silent_past_deadline"))
            else:
                dp.schedule(dispute)
            uow.disputes.save(dispute)
        uow.commit()
    return taken
