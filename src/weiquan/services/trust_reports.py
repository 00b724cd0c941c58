"""举报 reports: intake (named or anonymous), decision, telling the reporter, and the views.

The reporter's identity is for the deciding staff and the reporter alone. Every view a merchant
can reach (one report, the list, the export) is built by :func:`merchant_view`, which carries no
reporter id, name, contact or evidence, and no actor ids from the history.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, BinaryIO

from weiquan.domain.accounts import Principal, Role
from weiquan.domain.errors import NotFound, PermissionDenied, ValidationFailed
from weiquan.domain.identifiers import region_contains
from weiquan.domain.trust import reports as rp
from weiquan.domain.trust.tracking import TrustEvent, iso
from weiquan.domain.trust.uploads import AttachedTo
from weiquan.services import trust_grades
from weiquan.services.authz import region_prefix
from weiquan.services.context import Services
from weiquan.services.ports import UnitOfWork
from weiquan.services.trust_access import STAFF, attach_uploads, open_attached

View = dict[str, Any]


def submit_report(
    svc: Services,
    *,
    principal: Principal | None,
    merchant_id: str,
    violation: rp.Violation,
    description: str,
    evidence: tuple[str, ...] = (),
    contact: str = "",
    anonymous: bool = False,
    shop_id: str | None = None,
    now: datetime,
) -> rp.Report:
    """Anyone may report; ``principal`` None (or ``anonymous``) leaves no identity on record."""
    if principal is not None and principal.role is Role.MERCHANT and not anonymous:
        raise PermissionDenied("商家工作人员请匿名举报其他商家，或以个人身份注册")
    reporter_id = None if anonymous or principal is None else principal.user_id
    report_id = svc.ids.new_id()
    with svc.uow() as uow:
        if uow.merchants.get(merchant_id) is None:
            raise ValidationFailed("找不到被举报的商家", field="merchant_id")
        if shop_id is not None:
            shop = uow.merchants.get_shop(shop_id)
            if shop is None or shop.merchant_id != merchant_id:
                raise ValidationFailed("该店铺不属于被举报的商家", field="shop_id")
        # An anonymous report cites only anonymous uploads: one sent while signed in would tie
        # the report to its sender.
        evidence = attach_uploads(
            uow,
            evidence,
            principal=None if reporter_id is None else principal,
            kind=AttachedTo.REPORT,
            record_id=report_id,
            now=now,
        )
        report = rp.receive(
            report_id=report_id,
            merchant_id=merchant_id,
            shop_id=shop_id,
            violation=violation,
            description=description,
            evidence=evidence,
            reporter_id=reporter_id,
            reporter_contact="" if anonymous else contact,
            at=now,
            cal=svc.calendar,
        )
        uow.reports.add(report)
        uow.commit()
    return report


def _visible(uow: UnitOfWork, principal: Principal, report_id: str) -> rp.Report:
    report = uow.reports.get(report_id, for_update=True) if report_id else None
    if report is None or not _may_view(uow, principal, report):
        raise NotFound("找不到该举报，或您无权查看")
    return report


def _may_view(uow: UnitOfWork, principal: Principal, report: rp.Report) -> bool:
    if principal.role in STAFF:
        return True
    if principal.role is Role.MERCHANT:
        return principal.merchant_id == report.merchant_id
    if principal.role is Role.REGULATOR:
        merchant = uow.merchants.get(report.merchant_id)
        return bool(
            merchant
            and principal.region_code
            and region_contains(principal.region_code, merchant.region_code)
        )
    return report.reporter_id is not None and report.reporter_id == principal.user_id


def _require_decider(principal: Principal) -> None:
    if principal.role not in (*STAFF, Role.REGULATOR):
        raise PermissionDenied("只有调解员、管理员或监管人员可以处理举报")


def open_report_evidence(
    svc: Services, report_id: str, upload_id: str, *, principal: Principal, now: datetime
) -> BinaryIO:
    """The reporter's files go to the deciding staff and the reporter, never to the merchant."""
    with svc.uow(readonly=True) as uow:
        report = uow.reports.get(report_id) if report_id else None
        if report is None or principal.role is Role.MERCHANT:
            raise NotFound("找不到该举报，或您无权查看")
        if not _may_view(uow, principal, report):
            raise NotFound("找不到该举报，或您无权查看")
    return open_attached(
        svc,
        upload_id,
        kind=AttachedTo.REPORT,
        record_id=report.id,
        principal=principal,
        now=now,
    )


def extend_report(
    svc: Services, report_id: str, *, principal: Principal, reason: str, now: datetime
) -> View:
    _require_decider(principal)
    with svc.uow() as uow:
        report = _visible(uow, principal, report_id)
        rp.extend(report, actor=principal.actor, at=now, reason=reason, cal=svc.calendar)
        uow.reports.save(report)
        uow.commit()
        return staff_view(report, uow.reports.events(report.id))


def decide_report(
    svc: Services,
    report_id: str,
    *,
    principal: Principal,
    finding: rp.Finding,
    reason: str,
    now: datetime,
) -> View:
    """A substantiated finding counts against the merchant's grade in the same transaction."""
    _require_decider(principal)
    with svc.uow() as uow:
        report = _visible(uow, principal, report_id)
        rp.decide(
            report, actor=principal.actor, at=now, finding=finding, reason=reason, cal=svc.calendar
        )
        uow.reports.save(report)
        if finding is rp.Finding.SUBSTANTIATED:
            trust_grades.record_violation(
                uow, report.merchant_id, now, svc.grade_policy, trigger=f"report:{report.id}"
            )
        uow.commit()
        return staff_view(report, uow.reports.events(report.id))


def notify_reporter(
    svc: Services, report_id: str, *, principal: Principal, message: str, now: datetime
) -> View:
    _require_decider(principal)
    with svc.uow() as uow:
        report = _visible(uow, principal, report_id)
        rp.notify_reporter(report, actor=principal.actor, at=now, message=message)
        uow.reports.save(report)
        uow.commit()
        return staff_view(report, uow.reports.events(report.id))


def get_report(svc: Services, report_id: str, *, principal: Principal) -> View:
    with svc.uow(readonly=True) as uow:
        report = uow.reports.get(report_id) if report_id else None
        if report is None or not _may_view(uow, principal, report):
            raise NotFound("找不到该举报，或您无权查看")
        return view_for(principal, report, uow.reports.events(report.id))


def list_reports(
    svc: Services, *, principal: Principal, limit: int = 50, offset: int = 0
) -> list[View]:
    if not 1 <= limit <= 200 or offset < 0:
        raise ValidationFailed("limit 应在 1–200 之间，offset 不能为负", field="limit")
    with svc.uow(readonly=True) as uow:
        if principal.role in STAFF:
            found = uow.reports.find(limit=limit, offset=offset)
        elif principal.role is Role.MERCHANT:
            found = uow.reports.find(
                merchant_id=principal.merchant_id or "-", limit=limit, offset=offset
            )
        elif principal.role is Role.REGULATOR:
            # Filtered in the query, so a page is never cut short by reports of other regions.
            found = uow.reports.find_in_region(
                region_prefix(principal.region_code or "-"), limit=limit, offset=offset
            )
        else:
            found = uow.reports.find(reporter_id=principal.user_id, limit=limit, offset=offset)
        return [view_for(principal, r, uow.reports.events(r.id)) for r in found]


def export_reports(svc: Services, *, principal: Principal) -> list[View]:
    """Rows for a CSV or JSON export, flattened, through the same per-role views."""
    views = list_reports(svc, principal=principal, limit=200)
    return [{k: v for k, v in view.items() if k != "history"} for view in views]


def view_for(principal: Principal, report: rp.Report, events: list[TrustEvent]) -> View:
    if principal.role is Role.MERCHANT:
        return merchant_view(report, events)
    return staff_view(report, events)


def _common(report: rp.Report) -> View:
    return {
        "id": report.id,
        "merchant_id": report.merchant_id,
        "shop_id": report.shop_id,
        "violation": report.violation.value,
        "violation_label": rp.VIOLATION_LABELS_ZH[report.violation],
        "status": str(report.status),
        "received_at": report.received_at.isoformat(),
        "decision_due_at": iso(report.decision_due_at),
        "extended": report.extended,
        "clock_note": report.clock_note,
        "finding": report.finding.value if report.finding else None,
        "decision_reason": report.decision_reason,
        "decided_at": iso(report.decided_at),
    }


def merchant_view(report: rp.Report, events: list[TrustEvent]) -> View:
    """What the reported merchant sees: the allegation and the outcome, never who reported."""
    return {
        **_common(report),
        "description": report.description,
        "history": [
            {
                "action": e.action,
                "to": e.to_status,
                "at": e.at.isoformat(),
                # A message to the reporter may identify them; the merchant sees only that it went.
                "reason": "已告知举报人处理结果"
                if e.action == rp.ReportAction.NOTIFY
                else e.reason,
            }
            for e in events
        ],
    }


def staff_view(report: rp.Report, events: list[TrustEvent]) -> View:
    return {
        **_common(report),
        "description": report.description,
        "evidence": list(report.evidence),
        "anonymous": report.anonymous,
        "reporter_id": report.reporter_id,
        "reporter_contact": report.reporter_contact,
        "notify_due_at": iso(report.notify_due_at),
        "notified_at": iso(report.notified_at),
        "overdue": list(report.overdue_flags),
        "history": [
            {
                "seq": e.seq,
                "action": e.action,
                "from": e.from_status,
                "to": e.to_status,
                "actor_role": e.actor.role.value,
                "actor_id": e.actor.user_id,
                "rule": e.actor.rule,
                "at": e.at.isoformat(),
                "reason": e.reason,
                "payload": e.payload,
            }
            for e in events
        ],
    }


def sweep_reports(svc: Services, *, now: datetime, limit: int = 200) -> list[tuple[str, str]]:
    """Flags breached statutory clocks and computes clocks the calendar can now cover."""
    flagged: list[tuple[str, str]] = []
    with svc.uow() as uow:
        for report in uow.reports.with_open_clocks(limit=limit):
            rp.refresh_clock(report, svc.calendar)
            uow.reports.save(report)
        for report in uow.reports.claim_due(now, limit=limit):
            clock = rp.overdue_clock(report, now)
            if clock is not None:
                rp.flag_overdue(report, clock, at=now)
                flagged.append((report.id, f"report_{clock}_overdue"))
            else:
                rp.schedule(report)
            uow.reports.save(report)
        uow.commit()
    return flagged
