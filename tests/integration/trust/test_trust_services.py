"""Trust services over the real database, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image

from tests.support.world import NOW, World, complaint
from weiquan.domain.accounts import Principal
from weiquan.domain.cases import Claim, ClaimKind
from weiquan.domain.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from weiquan.domain.lifecycle import Action, CaseStatus
from weiquan.domain.trust import disputes as dp
from weiquan.domain.trust import reports as rp
from weiquan.domain.trust import reviews as rv
from weiquan.domain.trust import vetting as vt
from weiquan.domain.trust.grade import Grade, GradePolicy
from weiquan.domain.trust.pledges import PledgeTerm, TermKind
from weiquan.domain.trust.uploads import UploadPurpose
from weiquan.services import (
    cases,
    trust_access,
    trust_disputes,
    trust_grades,
    trust_pledges,
    trust_reports,
    trust_reviews,
    trust_vetting,
    worker,
)
from weiquan.services.commands import CaseCommand
from weiquan.services.context import Services


def act(
    svc: Services, who: Principal, case_id: str, action: Action, at: datetime, **kw: object
) -> object:
    cmd = CaseCommand(case_id=case_id, action=action, **kw)  # type: ignore[arg-type]
    return cases.act(svc, cmd, principal=who, now=at)


def settled_and_closed(svc: Services, world: World, *, rate: int | None = None) -> str:
    """alice's case against merchant A: a reply within an hour, an offer kept, closed."""
    case, _ = cases.file_complaint(svc, complaint(world.shop_a), principal=world.alice, now=NOW)
    at = NOW + timedelta(hours=1)
    offer = act(
        svc,
        world.merchant_a,
        case.id,
        Action.MAKE_OFFER,
        at,
        text="全额退款",
        terms=(Claim(ClaimKind.REFUND, 29900),),
    ).open_offer  # type: ignore[attr-defined]
    act(svc, world.alice, case.id, Action.ACCEPT_OFFER, at, offer_id=offer.id)
    act(svc, world.alice, case.id, Action.CONFIRM_FULFILMENT, at + timedelta(days=1))
    if rate is not None:
        act(svc, world.alice, case.id, Action.RATE, at + timedelta(days=1), stars=rate)
    act(svc, world.alice, case.id, Action.CLOSE, at + timedelta(days=2), reason="已退款")
    return case.id


def test_closing_a_case_updates_the_grade_once_in_the_same_transaction(
    services: Services, world: World
) -> None:
    before = trust_grades.merchant_grade(services, world.merchant_a_id)
    assert before.grade.cases == 0
    assert before.history == []
    settled_and_closed(services, world, rate=5)
    after = trust_grades.merchant_grade(services, world.merchant_a_id)
    assert after.grade.cases == 1
    lines = {line.name: line for line in after.grade.lines}
    assert lines["response"].observed == 1.0
    assert lines["fulfilment"].observations == 1
    assert lines["fulfilment"].observed == 1.0
    assert lines["satisfaction"].observed == 1.0
    assert [h.trigger.split(":")[0] for h in after.history] == ["case"]
    assert after.grade.score > before.grade.score
    # The worker's catch-up finds nothing more to count.
    assert trust_grades.count_uncounted(services, now=NOW) == 0
    assert trust_grades.merchant_grade(services, world.merchant_a_id).grade.cases == 1


def test_a_rating_given_after_the_close_is_added_once(services: Services, world: World) -> None:
    case_id = settled_and_closed(services, world)
    act(services, world.alice, case_id, Action.RATE, NOW + timedelta(days=3), stars=1)
    view = trust_grades.merchant_grade(services, world.merchant_a_id)
    satisfaction = next(line for line in view.grade.lines if line.name == "satisfaction")
    assert satisfaction.observations == 1
    assert satisfaction.observed == 0.0
    assert [h.trigger.split(":")[0] for h in view.history] == ["rating", "case"]


def test_a_case_closed_by_the_worker_is_graded_by_the_sweep(
    services: Services, world: World
) -> None:
    case, _ = cases.file_complaint(
        services, complaint(world.shop_a), principal=world.alice, now=NOW
    )
    offer = act(
        services,
        world.merchant_a,
        case.id,
        Action.MAKE_OFFER,
        NOW,
        text="退款",
        terms=(Claim(ClaimKind.REFUND, 100),),
    ).open_offer  # type: ignore[attr-defined]
    act(services, world.alice, case.id, Action.ACCEPT_OFFER, NOW, offer_id=offer.id)
    act(services, world.alice, case.id, Action.CONFIRM_FULFILMENT, NOW)
    worker.sweep(services, now=NOW + timedelta(days=20))  # auto-closes, then grades
    closed, _ = cases.get_case(services, case.id, principal=world.alice)
    assert closed.status is CaseStatus.CLOSED
    assert trust_grades.merchant_grade(services, world.merchant_a_id).grade.cases == 1


def test_pledge_keeping_is_measured_from_closed_cases(services: Services, world: World) -> None:
    pledge = trust_pledges.publish(
        services,
        principal=world.admin,
        body_name="中国电子商务协会",
        title="快速答复承诺",
        terms=(PledgeTerm(TermKind.REPLY_WITHIN_HOURS, 24), PledgeTerm(TermKind.KEEP_AGREEMENTS)),
        now=NOW,
    )
    with pytest.raises(PermissionDenied):
        trust_pledges.publish(
            services,
            principal=world.merchant_a,
            body_name="x",
            title="y",
            terms=(PledgeTerm(TermKind.KEEP_AGREEMENTS),),
            now=NOW,
        )
    trust_pledges.join(services, pledge.id, principal=world.merchant_a, now=NOW)
    settled_and_closed(services, world)
    [standing] = trust_pledges.pledges_of(services, world.merchant_a_id)
    assert (standing.membership.checks, standing.membership.kept) == (2, 2)
    grade = trust_grades.merchant_grade(services, world.merchant_a_id).grade
    assert next(line for line in grade.lines if line.name == "pledges").observations == 2


def stored(services: Services, colour: str, by: Principal | None = None) -> str:
    """A small image uploaded as evidence (anonymously unless ``by`` is given); returns the
    upload's id. A different colour makes a different file."""
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), colour).save(buffer, format="PNG")
    upload = trust_access.store_upload(
        services,
        [buffer.getvalue()],
        principal=by,
        purpose=UploadPurpose.EVIDENCE,
        sender_address="192.0.2.1",
        now=NOW,
    )
    return upload.id


def _strings(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def test_the_reporter_is_hidden_from_every_merchant_view_and_export(
    services: Services, world: World
) -> None:
    receipt = stored(services, "red", world.alice)
    report = trust_reports.submit_report(
        services,
        principal=world.alice,
        merchant_id=world.merchant_a_id,
        violation=rp.Violation.COUNTERFEIT,
        description="该店销售假冒耳机",
        evidence=(receipt,),
        contact="13912345678",
        now=NOW,
    )
    trust_reports.extend_report(
        services, report.id, principal=world.mediator, reason="需抽检", now=NOW
    )
    trust_reports.decide_report(
        services,
        report.id,
        principal=world.mediator,
        finding=rp.Finding.SUBSTANTIATED,
        reason="抽检确认",
        now=NOW,
    )
    trust_reports.notify_reporter(
        services, report.id, principal=world.mediator, message="您好 alice，经查属实", now=NOW
    )
    secrets = [world.alice.user_id, world.alice.display_name, "13912345678", receipt]
    seen = [
        trust_reports.get_report(services, report.id, principal=world.merchant_a),
        trust_reports.list_reports(services, principal=world.merchant_a),
        trust_reports.export_reports(services, principal=world.merchant_a),
    ]
    for view in seen:
        text = _strings(view)
        assert report.id in text
        for secret in secrets:
            assert secret not in text
    staff = trust_reports.get_report(services, report.id, principal=world.mediator)
    assert staff["reporter_id"] == world.alice.user_id
    assert staff["reporter_contact"] == "13912345678"


def test_a_substantiated_report_counts_against_the_grade(services: Services, world: World) -> None:
    report = trust_reports.submit_report(
        services,
        principal=None,
        merchant_id=world.merchant_b_id,
        violation=rp.Violation.FAKE_REVIEWS,
        description="雇人刷好评",
        now=NOW,
    )
    before = trust_grades.merchant_grade(services, world.merchant_b_id).grade.score
    view = trust_reports.decide_report(
        services,
        report.id,
        principal=world.admin,
        finding=rp.Finding.SUBSTANTIATED,
        reason="查实",
        now=NOW,
    )
    assert view["status"] == "closed"
    assert view["anonymous"] is True
    after = trust_grades.merchant_grade(services, world.merchant_b_id)
    assert after.grade.score == before - 10
    assert after.history[0].trigger == f"report:{report.id}"


def test_reports_are_scoped_by_role(services: Services, world: World) -> None:
    report = trust_reports.submit_report(
        services,
        principal=world.alice,
        merchant_id=world.merchant_a_id,
        violation=rp.Violation.UNSAFE_GOODS,
        description="充电器无3C认证",
        now=NOW,
    )
    for outsider in (world.bob, world.merchant_b, world.regulator_chengdu):
        with pytest.raises(NotFound):
            trust_reports.get_report(services, report.id, principal=outsider)
    assert trust_reports.get_report(services, report.id, principal=world.regulator_beijing)
    assert trust_reports.list_reports(services, principal=world.bob) == []
    with pytest.raises(PermissionDenied):
        trust_reports.decide_report(
            services,
            report.id,
            principal=world.merchant_a,
            finding=rp.Finding.UNSUBSTANTIATED,
            reason="x",
            now=NOW,
        )


def test_the_worker_flags_an_overdue_report_decision(services: Services, world: World) -> None:
    report = trust_reports.submit_report(
        services,
        principal=world.alice,
        merchant_id=world.merchant_a_id,
        violation=rp.Violation.OTHER,
        description="无照经营",
        now=NOW,
    )
    assert report.decision_due_at is not None
    worker.sweep(services, now=report.decision_due_at - timedelta(seconds=1))
    assert trust_reports.get_report(services, report.id, principal=world.admin)["overdue"] == []
    worker.sweep(services, now=report.decision_due_at)
    worker.sweep(services, now=report.decision_due_at + timedelta(days=1))
    view = trust_reports.get_report(services, report.id, principal=world.admin)
    assert view["overdue"] == ["decision"]
    assert view["status"] == "received"
    assert [h["action"] for h in view["history"]] == ["flag_overdue"]


def test_review_appeal_end_to_end(services: Services, world: World) -> None:
    case_id = settled_and_closed(services, world)
    review = trust_reviews.write_review(
        services,
        principal=world.alice,
        merchant_id=world.merchant_a_id,
        stars=1,
        text="垃圾店铺，骗子",
        case_id=case_id,
        now=NOW,
    )
    with pytest.raises(ValidationFailed):
        trust_reviews.write_review(
            services,
            principal=world.bob,
            merchant_id=world.merchant_a_id,
            stars=1,
            text="差",
            case_id=case_id,
            now=NOW,
        )
    with pytest.raises(PermissionDenied):
        trust_reviews.appeal(
            services,
            review.id,
            principal=world.merchant_b,
            ground=rv.AppealGround.ABUSIVE,
            statement="x",
            now=NOW,
        )
    trust_reviews.appeal(
        services,
        review.id,
        principal=world.merchant_a,
        ground=rv.AppealGround.ABUSIVE,
        statement="评价只有辱骂",
        now=NOW,
    )
    assert [r["id"] for r in trust_reviews.appeal_queue(services, principal=world.mediator)] == [
        review.id
    ]
    trust_reviews.decide_appeal(
        services,
        review.id,
        principal=world.mediator,
        uphold=True,
        reason="评价内容为辱骂，未描述商品或服务",
        now=NOW,
    )
    [public] = trust_reviews.merchant_reviews(services, world.merchant_a_id)
    assert public["text"] is None
    assert "侮辱谩骂" in public["notice"]
    full = trust_reviews.get_review(services, review.id, principal=world.alice)
    assert full["original_text"] == "垃圾店铺，骗子"
    assert [h["action"] for h in full["history"]] == ["appeal", "uphold_appeal"]


def licence_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, format="PNG")
    return buffer.getvalue()


def test_the_licence_photo_must_be_uploaded_and_be_an_image(
    services: Services, world: World
) -> None:
    with pytest.raises(ValidationFailed):
        trust_vetting.upload_licence_photo(
            services, principal=world.merchant_a, chunks=[b"plain text, not a photo"], now=NOW
        )
    data = vt.LicenceData(
        "北京数码有限公司", "91110108551385082Q", "110108", "0" * 64, "13800001111"
    )
    with pytest.raises(ValidationFailed):
        trust_vetting.apply(services, principal=world.merchant_a, data=data, now=NOW)


def _vetted(services: Services, world: World, at: datetime) -> vt.Vetting:
    photo = trust_vetting.upload_licence_photo(
        services, principal=world.merchant_a, chunks=[licence_png()], now=at
    ).id
    data = vt.LicenceData("北京数码有限公司", "91110108551385082Q", "110108", photo, "13800001111")
    record = trust_vetting.apply(services, principal=world.merchant_a, data=data, now=at)
    assert record.status == vt.VettingStatus.PENDING
    code = trust_vetting.issue_contact_code(
        services, world.merchant_a_id, principal=world.mediator, now=at
    )
    trust_vetting.verify_contact(services, principal=world.merchant_a, code=code, now=at)
    return trust_vetting.decide(
        services,
        world.merchant_a_id,
        principal=world.mediator,
        action=vt.VettingAction.APPROVE,
        reason="资质齐全",
        now=at,
    )


def test_vetting_from_application_to_re_verification(services: Services, world: World) -> None:
    approved = _vetted(services, world, datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
    assert approved.reverify_due_at == datetime(2026, 9, 2, 16, 0, tzinfo=UTC)
    assert trust_vetting.public_status(services, world.merchant_a_id) == "approved"
    worker.sweep(services, now=datetime(2026, 9, 2, 15, 0, tzinfo=UTC))
    assert trust_vetting.public_status(services, world.merchant_a_id) == "approved"
    worker.sweep(services, now=datetime(2026, 9, 2, 16, 0, tzinfo=UTC))
    record, events = trust_vetting.get_vetting(
        services, world.merchant_a_id, principal=world.merchant_a
    )
    assert record.status == vt.VettingStatus.PENDING
    assert events[-1].actor.rule == "reverification_every_6_months"
    with pytest.raises(NotFound):
        trust_vetting.get_vetting(services, world.merchant_a_id, principal=world.merchant_b)


def test_a_re_verification_date_beyond_the_calendar_is_left_open_with_a_note(
    services: Services, world: World
) -> None:
    approved = _vetted(services, world, NOW)  # 25 November 2026 + 6 months is in 2027
    assert approved.reverify_due_at is None
    assert "2027" in approved.clock_note
    worker.sweep(services, now=NOW + timedelta(days=400))
    assert trust_vetting.public_status(services, world.merchant_a_id) == "approved"


def test_a_merchant_dispute_goes_to_mediation_when_the_consumer_is_silent(
    services: Services, world: World
) -> None:
    case_id = settled_and_closed(services, world)
    with pytest.raises(ValidationFailed):
        trust_disputes.file_dispute(
            services,
            principal=world.merchant_b,
            case_id=case_id,
            kind=dp.DisputeKind.EXTORTION,
            text="x",
            evidence=(),
            now=NOW,
        )
    dispute = trust_disputes.file_dispute(
        services,
        principal=world.merchant_a,
        case_id=case_id,
        kind=dp.DisputeKind.FAKE_RETURN,
        text="退回的是旧机",
        evidence=(stored(services, "blue", world.merchant_a),),
        now=NOW,
    )
    assert dispute.consumer_id == world.alice.user_id
    assert dispute.response_due_at is not None
    worker.sweep(services, now=dispute.response_due_at)
    moved, _events = trust_disputes.get_dispute(services, dispute.id, principal=world.alice)
    assert moved.status == dp.DisputeStatus.MEDIATION
    trust_disputes.assign(services, dispute.id, principal=world.mediator, now=NOW)
    decided = trust_disputes.decide(
        services,
        dispute.id,
        principal=world.mediator,
        finding=dp.DisputeFinding.FOR_CONSUMER,
        reason="证据不足以证明掉包",
        now=NOW,
    )
    assert decided.status == dp.DisputeStatus.DECIDED
    assert trust_disputes.list_disputes(services, principal=world.bob) == []


def test_grades_from_few_cases_are_explained_as_resting_on_the_prior(
    services: Services, world: World
) -> None:
    settled_and_closed(services, world, rate=5)
    view = trust_grades.merchant_grade(services, world.merchant_a_id)
    assert view.grade.grade is Grade.CAUTION  # one good case is not enough to recommend
    assert any("少于 30 件" in line for line in view.grade.why())


def test_a_complaint_found_malicious_is_taken_back_out_of_the_grade(
    services: Services, world: World
) -> None:
    case_id = settled_and_closed(services, world, rate=1)
    assert trust_grades.merchant_grade(services, world.merchant_a_id).grade.cases == 1
    dispute = trust_disputes.file_dispute(
        services,
        principal=world.merchant_a,
        case_id=case_id,
        kind=dp.DisputeKind.EXTORTION,
        text="消费者以差评相要挟索要额外赔偿",
        evidence=(stored(services, "green", world.merchant_a),),
        now=NOW,
    )
    trust_disputes.add_statement(
        services, dispute.id, principal=world.alice, text="我只是要求退款", evidence=(), now=NOW
    )
    trust_disputes.assign(services, dispute.id, principal=world.mediator, now=NOW)
    trust_disputes.decide(
        services,
        dispute.id,
        principal=world.mediator,
        finding=dp.DisputeFinding.FOR_MERCHANT,
        reason="聊天记录显示以差评索要财物",
        now=NOW,
    )
    view = trust_grades.merchant_grade(services, world.merchant_a_id)
    assert view.grade.cases == 0
    assert view.grade.score == 71.0  # back to the prior
    assert view.history[0].trigger == f"dispute:{dispute.id}"
    # Neither a second rating (refused: one per case) nor the sweep brings it back.
    with pytest.raises(Conflict):
        act(services, world.alice, case_id, Action.RATE, NOW + timedelta(days=5), stars=1)
    assert trust_grades.count_uncounted(services, now=NOW) == 0
    final = trust_grades.merchant_grade(services, world.merchant_a_id).grade
    assert next(x for x in final.lines if x.name == "satisfaction").observations == 0


def test_evidence_must_be_uploaded_first_and_the_merchant_cannot_fetch_the_reporters(
    services: Services, world: World
) -> None:
    with pytest.raises(ValidationFailed):
        trust_reports.submit_report(
            services,
            principal=world.alice,
            merchant_id=world.merchant_a_id,
            violation=rp.Violation.OTHER,
            description="x",
            evidence=("a" * 64,),
            now=NOW,
        )
    photo = stored(services, "purple", world.alice)
    report = trust_reports.submit_report(
        services,
        principal=world.alice,
        merchant_id=world.merchant_a_id,
        violation=rp.Violation.OTHER,
        description="x",
        evidence=(photo,),
        now=NOW,
    )
    with trust_reports.open_report_evidence(
        services, report.id, photo, principal=world.mediator, now=NOW
    ) as stream:
        assert stream.read(8) == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(NotFound):
        trust_reports.open_report_evidence(
            services, report.id, photo, principal=world.merchant_a, now=NOW
        )
    with pytest.raises(NotFound):
        trust_reports.open_report_evidence(
            services, report.id, stored(services, "black"), principal=world.mediator, now=NOW
        )


def test_a_regulators_page_of_reports_is_full_even_when_other_regions_are_newer(
    services: Services, world: World
) -> None:
    from datetime import timedelta  # noqa: PLC0415

    for minutes in range(3):  # older reports about the Beijing merchant
        trust_reports.submit_report(
            services,
            principal=world.alice,
            merchant_id=world.merchant_a_id,
            violation=rp.Violation.UNSAFE_GOODS,
            description=f"北京 {minutes}",
            now=NOW + timedelta(minutes=minutes),
        )
    for minutes in range(3, 8):  # newer reports about the Chengdu merchant
        trust_reports.submit_report(
            services,
            principal=world.alice,
            merchant_id=world.merchant_b_id,
            violation=rp.Violation.UNSAFE_GOODS,
            description=f"成都 {minutes}",
            now=NOW + timedelta(minutes=minutes),
        )
    page = trust_reports.list_reports(services, principal=world.regulator_beijing, limit=3)
    assert len(page) == 3


def test_the_deployments_grade_policy_is_the_one_shown_and_recorded(
    services: Services, world: World
) -> None:
    published = trust_grades.merchant_grade(services, world.merchant_b_id).grade
    only_response = {
        "response": 1.0,
        "speed": 0,
        "resolution": 0,
        "fulfilment": 0,
        "satisfaction": 0,
        "pledges": 0,
    }
    own = replace(services, grade_policy=GradePolicy().with_weights(only_response))
    shown = trust_grades.merchant_grade(own, world.merchant_b_id).grade
    assert (published.score, shown.score) == (71.0, 80.0)  # the response prior is 80 %
    report = trust_reports.submit_report(
        own,
        principal=None,
        merchant_id=world.merchant_b_id,
        violation=rp.Violation.FAKE_REVIEWS,
        description="雇人刷好评",
        now=NOW,
    )
    trust_reports.decide_report(
        own,
        report.id,
        principal=world.admin,
        finding=rp.Finding.SUBSTANTIATED,
        reason="查实",
        now=NOW,
    )
    view = trust_grades.merchant_grade(own, world.merchant_b_id)
    assert view.grade.score == 70.0
    assert view.history[0].score == 70.0  # the history records the score under the same policy
