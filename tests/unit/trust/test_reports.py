"""举报 lifecycle and its statutory clocks."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from weiquan.adapters.holiday_calendar import ChinaWorkdayCalendar
from weiquan.domain.accounts import Actor, Role
from weiquan.domain.calendar import WeekdayOnlyCalendar
from weiquan.domain.errors import Conflict, IllegalTransition, PermissionDenied, ValidationFailed
from weiquan.domain.trust import reports as rp

CAL = WeekdayOnlyCalendar()
# Monday 2 March 2026, 10:00 Beijing.
MONDAY = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
STAFF = Actor(Role.MEDIATOR, "med-1")


def china_midnight_after(day: str) -> datetime:
    return datetime.fromisoformat(f"{day}T16:00:00+00:00")  # 24:00 Beijing = 16:00 UTC


def new_report(
    *, reporter: str | None = "u-1", contact: str = "", at: datetime = MONDAY, cal: object = CAL
) -> rp.Report:
    return rp.receive(
        report_id="r-1",
        merchant_id="m-1",
        violation=rp.Violation.COUNTERFEIT,
        description="店内销售的耳机为假冒品牌",
        evidence=("sha256:abc",),
        reporter_id=reporter,
        reporter_contact=contact,
        at=at,
        cal=cal,  # type: ignore[arg-type]
    )


def test_a_decision_is_due_fifteen_working_days_after_receipt() -> None:
    report = new_report()
    # Fifteen weekdays after Monday 2 March is Monday 23 March; due by 24:00 that day.
    assert report.decision_due_at == china_midnight_after("2026-03-23")
    assert report.next_check_at == report.decision_due_at


def test_one_extension_adds_fifteen_working_days_to_the_original_period() -> None:
    report = new_report()
    rp.extend(report, actor=STAFF, at=MONDAY, reason="需要抽检", cal=CAL)
    assert report.decision_due_at == china_midnight_after("2026-04-13")
    with pytest.raises(Conflict):
        rp.extend(report, actor=STAFF, at=MONDAY, reason="再延", cal=CAL)


def test_holidays_lengthen_the_decision_period() -> None:
    # Received Monday 28 September 2026: the National Day holiday falls inside the period.
    at = datetime(2026, 9, 28, 2, 0, tzinfo=UTC)
    report = new_report(at=at, cal=ChinaWorkdayCalendar())
    assert report.decision_due_at == china_midnight_after("2026-10-23")


def test_a_deadline_beyond_the_calendar_is_left_open_with_a_note_never_guessed() -> None:
    at = datetime(2026, 12, 20, 2, 0, tzinfo=UTC)
    report = new_report(at=at, cal=ChinaWorkdayCalendar())
    assert report.decision_due_at is None
    assert "2027" in report.clock_note
    rp.refresh_clock(report, WeekdayOnlyCalendar())  # once a calendar covering 2027 is loaded
    assert report.decision_due_at == china_midnight_after("2027-01-08")
    assert report.clock_note == ""


def test_a_named_reporter_must_be_told_within_five_working_days_of_the_decision() -> None:
    report = new_report()
    decided = datetime(2026, 3, 6, 2, 0, tzinfo=UTC)  # Friday
    rp.decide(
        report,
        actor=STAFF,
        at=decided,
        finding=rp.Finding.SUBSTANTIATED,
        reason="抽检确认为假冒",
        cal=CAL,
    )
    assert report.status == rp.ReportStatus.DECIDED
    assert report.notify_due_at == china_midnight_after("2026-03-13")
    rp.notify_reporter(report, actor=STAFF, at=decided, message="经查属实，已依法处理")
    assert report.status == rp.ReportStatus.CLOSED
    assert report.next_check_at is None


def test_an_anonymous_report_closes_on_decision_as_there_is_nobody_to_tell() -> None:
    report = new_report(reporter=None)
    assert report.anonymous
    rp.decide(
        report,
        actor=STAFF,
        at=MONDAY,
        finding=rp.Finding.UNSUBSTANTIATED,
        reason="未发现违法行为",
        cal=CAL,
    )
    assert report.status == rp.ReportStatus.CLOSED
    assert report.new_events[-1].actor.rule == "anonymous_report_closed"


def test_an_anonymous_reporter_who_leaves_a_contact_is_told_like_a_named_one() -> None:
    report = new_report(reporter=None, contact="13800000000")
    rp.decide(report, actor=STAFF, at=MONDAY, finding=rp.Finding.REFERRED, reason="移交", cal=CAL)
    assert report.status == rp.ReportStatus.DECIDED


def test_the_worker_flags_a_breached_decision_clock_once_and_decides_nothing() -> None:
    report = new_report()
    assert rp.overdue_clock(report, china_midnight_after("2026-03-22")) is None
    late = china_midnight_after("2026-03-23")
    assert rp.overdue_clock(report, late) == "decision"
    rp.flag_overdue(report, "decision", at=late)
    assert report.status == rp.ReportStatus.RECEIVED
    assert rp.overdue_clock(report, late) is None
    assert report.next_check_at is None


def test_consumers_and_merchants_cannot_decide_reports() -> None:
    report = new_report()
    for role in (Role.CONSUMER, Role.MERCHANT):
        with pytest.raises(PermissionDenied):
            rp.decide(
                report,
                actor=Actor(role, "x"),
                at=MONDAY,
                finding=rp.Finding.SUBSTANTIATED,
                reason="r",
                cal=CAL,
            )


def test_a_closed_report_cannot_be_decided_again() -> None:
    report = new_report(reporter=None)
    rp.decide(
        report, actor=STAFF, at=MONDAY, finding=rp.Finding.UNSUBSTANTIATED, reason="r", cal=CAL
    )
    with pytest.raises(IllegalTransition):
        rp.decide(
            report, actor=STAFF, at=MONDAY, finding=rp.Finding.SUBSTANTIATED, reason="r", cal=CAL
        )


def test_an_extension_needs_its_reason_and_a_notice_needs_its_words() -> None:
    report = new_report()
    with pytest.raises(ValidationFailed) as no_reason:
        rp.extend(report, actor=STAFF, at=MONDAY, reason="  ", cal=CAL)
    assert no_reason.value.field == "reason"
    assert not report.extended
    rp.decide(
        report, actor=STAFF, at=MONDAY, finding=rp.Finding.SUBSTANTIATED, reason="属实", cal=CAL
    )
    with pytest.raises(ValidationFailed) as no_words:
        rp.notify_reporter(report, actor=STAFF, at=MONDAY, message="")
    assert no_words.value.field == "message"
    assert report.notified_at is None
