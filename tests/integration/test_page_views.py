"""The read views and the staged upload behind the web pages, over a real database."""

from __future__ import annotations

import pytest

from tests.support.world import NOW, World, complaint
from weiquan.domain.errors import NotFound
from weiquan.domain.evidence import CaptureMethod
from weiquan.domain.trust.pledges import PledgeTerm, TermKind
from weiquan.domain.trust.reviews import AppealGround
from weiquan.services import cases, evidence, trust_pledges, trust_reviews, views
from weiquan.services.context import Services

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


def test_a_screenshot_staged_before_the_case_exists_becomes_its_evidence(
    services: Services, world: World
) -> None:
    staged = evidence.stage_file(services, [PNG])
    case, _ = cases.file_complaint(
        services, complaint(world.shop_a), principal=world.alice, now=NOW
    )
    record = evidence.add_staged_evidence(
        services,
        case_id=case.id,
        sha256=staged.sha256,
        filename="order.png",
        principal=world.alice,
        now=NOW,
        description="订单截图",
    )
    listed = evidence.list_evidence(services, case.id, principal=world.merchant_a)
    assert [(r.id, r.sha256, r.method) for r in listed] == [
        (record.id, staged.sha256, CaptureMethod.UPLOAD)
    ]


def test_a_merchant_profile_shows_a_hidden_review_only_as_its_notice(
    services: Services, world: World
) -> None:
    case, _ = cases.file_complaint(
        services, complaint(world.shop_a), principal=world.alice, now=NOW
    )
    review = trust_reviews.write_review(
        services,
        principal=world.alice,
        merchant_id=world.merchant_a_id,
        stars=1,
        text="垃圾店铺，骗子",
        case_id=case.id,
        now=NOW,
    )
    trust_reviews.appeal(
        services,
        review.id,
        principal=world.merchant_a,
        ground=AppealGround.ABUSIVE,
        statement="评价只有辱骂",
        now=NOW,
    )
    trust_reviews.decide_appeal(
        services, review.id, principal=world.mediator, uphold=True, reason="只有辱骂", now=NOW
    )
    profile = views.merchant_profile(services, world.merchant_a_id)
    (shown,) = profile.reviews
    assert shown.text is None
    assert "只有辱骂" in shown.notice
    assert [s.name for s in profile.shops] == ["数码旗舰店"]


def test_a_case_already_reviewed_is_no_longer_offered_for_a_review(
    services: Services, world: World
) -> None:
    case, _ = cases.file_complaint(
        services, complaint(world.shop_a), principal=world.alice, now=NOW
    )
    offered = views.reviewable_cases(services, world.merchant_a_id, principal=world.alice)
    assert [c.id for c in offered] == [case.id]
    trust_reviews.write_review(
        services,
        principal=world.alice,
        merchant_id=world.merchant_a_id,
        stars=4,
        text="处理及时",
        case_id=case.id,
        now=NOW,
    )
    assert views.reviewable_cases(services, world.merchant_a_id, principal=world.alice) == []
    assert views.reviewable_cases(services, world.merchant_a_id, principal=world.bob) == []


def test_an_unknown_merchant_has_no_profile(services: Services, world: World) -> None:
    with pytest.raises(NotFound):
        views.merchant_profile(services, "no-such-merchant")


def test_a_merchant_profile_lists_the_pledges_it_has_joined(
    services: Services, world: World
) -> None:
    pledge = trust_pledges.publish(
        services,
        principal=world.admin,
        body_name="北京市电子商务协会",
        title="先行赔付承诺",
        terms=(PledgeTerm(TermKind.REPLY_WITHIN_HOURS, 24),),
        now=NOW,
    )
    trust_pledges.join(services, pledge.id, principal=world.merchant_a, now=NOW)
    joined = views.merchant_profile(services, world.merchant_a_id).pledges
    assert [(s.pledge.title, s.membership.merchant_id) for s in joined] == [
        ("先行赔付承诺", world.merchant_a_id)
    ]
    assert views.merchant_profile(services, world.merchant_b_id).pledges == []
