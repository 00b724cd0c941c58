"""Reviews and appeals, merchant vetting, merchant-initiated disputes and pledge terms."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from weiquan.domain.accounts import Actor, Role
from weiquan.domain.calendar import WeekdayOnlyCalendar
from weiquan.domain.errors import (
    Conflict,
    IllegalTransition,
    PermissionDenied,
    ValidationFailed,
)
from weiquan.domain.identifiers import UsccCheck
from weiquan.domain.trust import disputes as dp
from weiquan.domain.trust import reviews as rv
from weiquan.domain.trust import vetting as vt
from weiquan.domain.trust.grade import CaseOutcome
from weiquan.domain.trust.pledges import Membership, Pledge, PledgeTerm, TermKind

CAL = WeekdayOnlyCalendar()
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday
MERCHANT = Actor(Role.MERCHANT, "staff-1")
MEDIATOR = Actor(Role.MEDIATOR, "med-1")


def review() -> rv.Review:
    return rv.write(
        review_id="v1",
        merchant_id="m1",
        author_id="u1",
        stars=1,
        text="骗子店铺，垃圾",
        at=NOW,
        case_id=None,
        order_no="JD1",
    )


def test_a_review_needs_an_order_or_a_case() -> None:
    with pytest.raises(ValidationFailed):
        rv.write(
            review_id="v",
            merchant_id="m",
            author_id="u",
            stars=3,
            text="一般",
            at=NOW,
            case_id=None,
            order_no=" ",
        )


def test_an_upheld_appeal_hides_the_review_behind_a_notice_that_says_why() -> None:
    item = review()
    rv.appeal(
        item,
        actor=MERCHANT,
        at=NOW,
        ground=rv.AppealGround.NO_TRANSACTION,
        statement="该订单号不存在于我店",
    )
    assert item.status == rv.ReviewStatus.UNDER_APPEAL
    rv.decide_appeal(item, actor=MEDIATOR, at=NOW, uphold=True, reason="平台无此订单")
    shown = rv.public_view(item)
    assert shown.text is None
    assert shown.stars is None
    assert "无真实交易" in shown.notice
    assert "平台无此订单" in shown.notice
    assert "未被删除" in shown.notice
    assert item.text == "骗子店铺，垃圾"  # the review itself stays on record


def test_a_dismissed_appeal_leaves_the_review_visible_and_cannot_be_repeated() -> None:
    item = review()
    rv.appeal(item, actor=MERCHANT, at=NOW, ground=rv.AppealGround.ABUSIVE, statement="辱骂")
    rv.decide_appeal(item, actor=MEDIATOR, at=NOW, uphold=False, reason="属于对服务的评价")
    assert rv.public_view(item).text == "骗子店铺，垃圾"
    with pytest.raises(Conflict):
        rv.appeal(item, actor=MERCHANT, at=NOW, ground=rv.AppealGround.ABUSIVE, statement="再诉")


def test_only_a_mediator_or_admin_decides_an_appeal() -> None:
    item = review()
    rv.appeal(item, actor=MERCHANT, at=NOW, ground=rv.AppealGround.EXTORTION, statement="勒索")
    with pytest.raises(PermissionDenied):
        rv.decide_appeal(item, actor=MERCHANT, at=NOW, uphold=True, reason="自己决定")


def licence(uscc: str = "91110108551385082Q", phone: str = "13912345678") -> vt.LicenceData:
    return vt.LicenceData("北京数码有限公司", uscc, "110108", "sha256:licence", phone)


def approved() -> vt.Vetting:
    record = vt.apply_for_vetting("m1", licence(), at=NOW)
    code = hashlib.sha256(b"123456").hexdigest()
    vt.issue_contact_code(record, code_hash=code, at=NOW)
    vt.verify_contact(record, code_hash=code, actor=MERCHANT, at=NOW + timedelta(minutes=5))
    vt.approve(record, actor=MEDIATOR, at=NOW, reason="资质齐全", cal=CAL)
    return record


def test_a_failed_uscc_check_character_is_a_warning_not_a_rejection() -> None:
    record = vt.apply_for_vetting("m1", licence("91110108551385082A"), at=NOW)
    assert record.uscc_check is UsccCheck.CHECKSUM_WARNING
    assert any("校验位" in w for w in record.warnings)
    with pytest.raises(ValidationFailed):
        vt.apply_for_vetting("m1", licence("9111010855138508"), at=NOW)


def test_approval_needs_a_verified_contact() -> None:
    record = vt.apply_for_vetting("m1", licence(), at=NOW)
    with pytest.raises(Conflict):
        vt.approve(record, actor=MEDIATOR, at=NOW, reason="ok", cal=CAL)


def test_a_wrong_or_expired_contact_code_is_refused() -> None:
    record = vt.apply_for_vetting("m1", licence(), at=NOW)
    vt.issue_contact_code(record, code_hash="a" * 64, at=NOW)
    with pytest.raises(ValidationFailed):
        vt.verify_contact(record, code_hash="b" * 64, actor=MERCHANT, at=NOW)
    with pytest.raises(ValidationFailed):
        vt.verify_contact(record, code_hash="a" * 64, actor=MERCHANT, at=NOW + timedelta(hours=1))


def test_re_verification_falls_due_six_months_after_approval() -> None:
    record = approved()
    # 2 March + 6 months = 2 September 2026, a Wednesday: due by 24:00 Beijing that day.
    assert record.reverify_due_at == datetime(2026, 9, 2, 16, 0, tzinfo=UTC)
    assert not vt.reverification_due(record, datetime(2026, 9, 2, 15, 59, tzinfo=UTC))
    assert vt.reverification_due(record, datetime(2026, 9, 2, 16, 0, tzinfo=UTC))
    vt.require_reverification(record, at=datetime(2026, 9, 2, 16, 0, tzinfo=UTC))
    assert record.status == vt.VettingStatus.PENDING
    assert record.contact_verified_at is None
    assert "6 个月" in record.reason


def test_suspension_and_revocation_record_the_reason_and_revocation_is_final() -> None:
    record = approved()
    vt.suspend(record, actor=Actor(Role.ADMIN, "a"), at=NOW, reason="营业执照被吊销核查中")
    assert record.reason == "营业执照被吊销核查中"
    vt.revoke(record, actor=Actor(Role.ADMIN, "a"), at=NOW, reason="营业执照已吊销")
    with pytest.raises(IllegalTransition):
        vt.resubmit(record, licence(), actor=MERCHANT, at=NOW)


def dispute(evidence: tuple[str, ...] = ("sha256:photo",)) -> dp.MerchantDispute:
    return dp.file(
        dispute_id="d1",
        merchant_id="m1",
        consumer_id="u1",
        case_id="c1",
        kind=dp.DisputeKind.FAKE_RETURN,
        text="退回的耳机序列号与发出的不同",
        evidence=evidence,
        at=NOW,
        cal=CAL,
    )


def test_a_fake_return_claim_needs_evidence() -> None:
    with pytest.raises(ValidationFailed):
        dispute(evidence=())


def test_the_consumer_answers_and_a_mediator_decides_with_reasons() -> None:
    item = dispute()
    assert item.response_due_at == datetime(2026, 3, 5, 16, 0, tzinfo=UTC)  # 3 working days
    dp.add_statement(
        item,
        actor=Actor(Role.CONSUMER, "u1"),
        at=NOW,
        text="我退回的就是原物",
        evidence=("sha256:video",),
    )
    assert item.status == dp.DisputeStatus.MEDIATION
    with pytest.raises(PermissionDenied):
        dp.decide(item, actor=MEDIATOR, at=NOW, finding=dp.DisputeFinding.FOR_MERCHANT, reason="r")
    dp.assign_mediator(item, actor=MEDIATOR, at=NOW, mediator_id="med-1")
    dp.decide(
        item,
        actor=MEDIATOR,
        at=NOW,
        finding=dp.DisputeFinding.FOR_MERCHANT,
        reason="序列号不符，视频未显示封箱过程",
    )
    assert item.status == dp.DisputeStatus.DECIDED
    assert [s.party for s in item.statements] == ["merchant", "consumer"]


def test_another_consumer_cannot_answer_a_dispute() -> None:
    with pytest.raises(PermissionDenied):
        dp.add_statement(dispute(), actor=Actor(Role.CONSUMER, "u2"), at=NOW, text="x", evidence=())


def test_a_silent_consumer_sends_the_dispute_to_mediation_at_the_deadline() -> None:
    item = dispute()
    assert not dp.escalate_if_silent(item, datetime(2026, 3, 5, 15, 0, tzinfo=UTC))
    assert dp.escalate_if_silent(item, datetime(2026, 3, 5, 16, 0, tzinfo=UTC))
    assert item.status == dp.DisputeStatus.MEDIATION
    assert item.next_check_at is None


def outcome(
    reply_hours: float | None, days: float | None, agreements: int = 0, kept: int = 0
) -> CaseOutcome:
    return CaseOutcome(
        "c", "m", reply_hours is not None, reply_hours, kept > 0, agreements, kept, None, days
    )


def test_pledge_terms_are_measured_on_each_case_and_skip_what_does_not_apply() -> None:
    pledge = Pledge(
        "p1",
        "电子商务协会",
        "24 小时答复承诺",
        (PledgeTerm(TermKind.REPLY_WITHIN_HOURS, 24), PledgeTerm(TermKind.KEEP_AGREEMENTS)),
        NOW,
        "admin",
    )
    member = Membership("p1", "m1", NOW)
    assert member.record(pledge, outcome(3, 5)) == (1, 1)  # no agreement: one term applies
    assert member.record(pledge, outcome(30, 5, agreements=1, kept=0)) == (2, 0)
    assert member.keeping_rate == pytest.approx(1 / 3)


def test_a_pledge_needs_distinct_measurable_terms() -> None:
    with pytest.raises(ValidationFailed):
        Pledge("p", "协会", "空承诺", (), NOW, "admin")
    with pytest.raises(ValidationFailed):
        PledgeTerm(TermKind.REPLY_WITHIN_HOURS, 0)
