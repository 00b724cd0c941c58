"""举报 reports: anyone, named or anonymous, reports a merchant's suspected violation.

A separate track from complaints (投诉举报处理暂行办法 Art 7): a report asks for enforcement,
not for the reporter's own remedy. Clocks (Art 31/32): decide within 15 working days of receipt,
extendable once by 15; tell a named reporter within 5 working days of the decision.

    received → decided → closed        (a named reporter is told, then the report closes)
    received → decided=closed          (anonymous: nobody to tell)
    extend keeps the status; the worker records a breached clock without deciding anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from weiquan.domain.accounts import Actor, Role
from weiquan.domain.calendar import WorkdayCalendar, add_working_days, china_date, due_or_note
from weiquan.domain.cases import require_text
from weiquan.domain.errors import Conflict, ValidationFailed
from weiquan.domain.trust.tracking import Move, Tracked, iso, roles

DECIDE_WORKING_DAYS = 15
EXTENSION_WORKING_DAYS = 15
NOTIFY_WORKING_DAYS = 5


class ReportStatus(StrEnum):
    RECEIVED = "received"
    DECIDED = "decided"
    CLOSED = "closed"


class ReportAction(StrEnum):
    EXTEND = "extend"
    DECIDE = "decide"
    NOTIFY = "notify_reporter"
    CLOSE = "close"
    FLAG_OVERDUE = "flag_overdue"


class Violation(StrEnum):
    COUNTERFEIT = "counterfeit"
    FALSE_ADVERTISING = "false_advertising"
    FAKE_REVIEWS = "fake_reviews"
    UNSAFE_GOODS = "unsafe_goods"
    PERSONAL_DATA_MISUSE = "personal_data_misuse"
    UNLICENSED = "unlicensed"
    OTHER = "other"


VIOLATION_LABELS_ZH = {
    Violation.COUNTERFEIT: "假冒伪劣",
    Violation.FALSE_ADVERTISING: "虚假宣传",
    Violation.FAKE_REVIEWS: "刷单炒信/虚假评价",
    Violation.UNSAFE_GOODS: "不安全商品",
    Violation.PERSONAL_DATA_MISUSE: "滥用个人信息",
    Violation.UNLICENSED: "无照经营",
    Violation.OTHER: "其他",
}


class Finding(StrEnum):
    SUBSTANTIATED = "substantiated"  # 查实: counts against the credit grade
    UNSUBSTANTIATED = "unsubstantiated"
    REFERRED = "referred"  # passed to the competent authority


_DECIDERS = roles(Role.MEDIATOR, Role.REGULATOR, Role.ADMIN)
R, A = ReportStatus, ReportAction
TRANSITIONS: dict[tuple[str, str], Move] = {
    (R.RECEIVED, A.EXTEND): Move(R.RECEIVED, _DECIDERS),
    (R.RECEIVED, A.DECIDE): Move(R.DECIDED, _DECIDERS),
    (R.RECEIVED, A.FLAG_OVERDUE): Move(R.RECEIVED, roles(Role.SYSTEM)),
    (R.DECIDED, A.NOTIFY): Move(R.CLOSED, _DECIDERS),
    (R.DECIDED, A.CLOSE): Move(R.CLOSED, roles(Role.SYSTEM)),
    (R.DECIDED, A.FLAG_OVERDUE): Move(R.DECIDED, roles(Role.SYSTEM)),
}


@dataclass(kw_only=True, slots=True)
class Report(Tracked):
    merchant_id: str
    violation: Violation
    description: str
    received_at: datetime
    evidence: tuple[str, ...] = ()  # evidence ids or file digests supplied with the report
    shop_id: str | None = None
    # The reporter: kept for the deciding staff and the reporter only, never shown to the merchant.
    reporter_id: str | None = None
    reporter_contact: str = ""
    decision_due_at: datetime | None = None
    notify_due_at: datetime | None = None
    clock_note: str = ""
    extended: bool = False
    finding: Finding | None = None
    decision_reason: str = ""
    decided_at: datetime | None = None
    notified_at: datetime | None = None
    overdue_flags: list[str] = field(default_factory=list)
    next_check_at: datetime | None = None

    @property
    def anonymous(self) -> bool:
        return self.reporter_id is None and not self.reporter_contact

    def apply(
        self,
        action: ReportAction,
        *,
        actor: Actor,
        at: datetime,
        reason: str,
        payload: dict[str, object] | None = None,
    ) -> None:
        self._apply(TRANSITIONS, action, actor=actor, at=at, reason=reason, payload=payload)


def receive(
    *,
    report_id: str,
    merchant_id: str,
    violation: Violation,
    description: str,
    evidence: tuple[str, ...],
    reporter_id: str | None,
    reporter_contact: str,
    at: datetime,
    cal: WorkdayCalendar,
    shop_id: str | None = None,
) -> Report:
    require_text(description, field="description", limit=5_000)
    require_text(reporter_contact, field="reporter_contact", limit=100, required=False)
    if len(evidence) > 20:
        raise ValidationFailed("证据最多 20 份", field="evidence")
    report = Report(
        id=report_id,
        status=ReportStatus.RECEIVED,
        merchant_id=merchant_id,
        shop_id=shop_id,
        violation=violation,
        description=description.strip(),
        evidence=evidence,
        reporter_id=reporter_id,
        reporter_contact=reporter_contact.strip(),
        received_at=at,
        updated_at=at,
    )
    report.decision_due_at, report.clock_note = due_or_note(
        lambda: add_working_days(china_date(at), DECIDE_WORKING_DAYS, cal)
    )
    schedule(report)
    return report


def extend(
    report: Report, *, actor: Actor, at: datetime, reason: str, cal: WorkdayCalendar
) -> None:
    """Art 31: one extension of 15 working days, with the reason on record."""
    if report.extended:
        raise Conflict("处理期限只能延长一次", field="action")
    require_text(reason, field="reason", limit=2_000)
    report.apply(ReportAction.EXTEND, actor=actor, at=at, reason=reason)
    report.extended = True
    report.decision_due_at, report.clock_note = due_or_note(
        lambda: add_working_days(
            china_date(report.received_at), DECIDE_WORKING_DAYS + EXTENSION_WORKING_DAYS, cal
        )
    )
    report.new_events[-1].payload["decision_due_at"] = iso(report.decision_due_at)
    schedule(report)


def decide(
    report: Report,
    *,
    actor: Actor,
    at: datetime,
    finding: Finding,
    reason: str,
    cal: WorkdayCalendar,
) -> None:
    require_text(reason, field="reason", limit=2_000)
    report.apply(
        ReportAction.DECIDE, actor=actor, at=at, reason=reason, payload={"finding": finding.value}
    )
    report.finding, report.decision_reason, report.decided_at = finding, reason.strip(), at
    report.decision_due_at = None
    if report.anonymous:
        report.apply(
            ReportAction.CLOSE,
            actor=Actor.system("anonymous_report_closed"),
            at=at,
            reason="匿名举报，无需告知举报人，办结",
        )
    else:
        report.notify_due_at, report.clock_note = due_or_note(
            lambda: add_working_days(china_date(at), NOTIFY_WORKING_DAYS, cal)
        )
        report.new_events[-1].payload["notify_due_at"] = iso(report.notify_due_at)
    schedule(report)


def notify_reporter(report: Report, *, actor: Actor, at: datetime, message: str) -> None:
    require_text(message, field="message", limit=2_000)
    report.apply(ReportAction.NOTIFY, actor=actor, at=at, reason=message)
    report.notified_at, report.notify_due_at = at, None
    schedule(report)


def refresh_clock(report: Report, cal: WorkdayCalendar) -> None:
    """Computes a deadline left open because the calendar did not cover it."""
    if not report.clock_note:
        return
    if report.status == ReportStatus.RECEIVED:
        days = DECIDE_WORKING_DAYS + (EXTENSION_WORKING_DAYS if report.extended else 0)
        start = report.received_at
        report.decision_due_at, report.clock_note = due_or_note(
            lambda: add_working_days(china_date(start), days, cal)
        )
    elif report.status == ReportStatus.DECIDED and report.decided_at is not None:
        decided = report.decided_at
        report.notify_due_at, report.clock_note = due_or_note(
            lambda: add_working_days(china_date(decided), NOTIFY_WORKING_DAYS, cal)
        )
    schedule(report)


def overdue_clock(report: Report, now: datetime) -> str | None:
    """The statutory clock this report has newly breached, if any (pure decision)."""
    if (
        report.status == ReportStatus.RECEIVED
        and report.decision_due_at
        and now >= report.decision_due_at
        and "decision" not in report.overdue_flags
    ):
        return "decision"
    if (
        report.status == ReportStatus.DECIDED
        and report.notify_due_at
        and now >= report.notify_due_at
        and "notification" not in report.overdue_flags
    ):
        return "notification"
    return None


def flag_overdue(report: Report, clock: str, *, at: datetime) -> None:
    """Records the breach for the supervisors; the decision itself stays with a person."""
    reason = (
        "举报处理期限已届满仍未作出处理决定"
        if clock == "decision"
        else "处理决定作出后 5 个工作日内仍未告知举报人"
    )
    report.apply(
        ReportAction.FLAG_OVERDUE,
        actor=Actor.system(f"report_{clock}_overdue"),
        at=at,
        reason=reason,
        payload={"clock": clock},
    )
    report.overdue_flags.append(clock)
    schedule(report)


def schedule(report: Report) -> None:
    candidates = []
    if report.status == ReportStatus.RECEIVED and "decision" not in report.overdue_flags:
        candidates.append(report.decision_due_at)
    if report.status == ReportStatus.DECIDED and "notification" not in report.overdue_flags:
        candidates.append(report.notify_due_at)
    known = [c for c in candidates if c is not None]
    report.next_check_at = min(known) if known else None
