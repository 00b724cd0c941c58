"""Reviews of merchants and the merchant's appeal against a malicious review.

Nothing here deletes a review (电子商务法 Art 39); an upheld appeal hides its text behind a notice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from weiquan.domain.accounts import Principal, Role
from weiquan.domain.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from weiquan.domain.lifecycle import CaseStatus
from weiquan.domain.text_signals import TextRecord
from weiquan.domain.trust import reviews as rv
from weiquan.domain.trust.tracking import TrustEvent
from weiquan.services.context import Services
from weiquan.services.ports import UnitOfWork
from weiquan.services.trust_access import STAFF, require_merchant_of, require_staff

View = dict[str, Any]


def write_review(
    svc: Services,
    *,
    principal: Principal,
    merchant_id: str,
    stars: int,
    text: str,
    now: datetime,
    case_id: str | None = None,
    order_no: str = "",
) -> rv.Review:
    if principal.role is not Role.CONSUMER:
        raise PermissionDenied("只有消费者可以评价商家")
    with svc.uow() as uow:
        if uow.merchants.get(merchant_id) is None:
            raise ValidationFailed("找不到该商家", field="merchant_id")
        if case_id is not None:
            _require_own_case(uow, principal, case_id, merchant_id)
        review = rv.write(
            review_id=svc.ids.new_id(),
            merchant_id=merchant_id,
            author_id=principal.user_id,
            stars=stars,
            text=text,
            at=now,
            case_id=case_id,
            order_no=order_no,
        )
        uow.reviews.add(review)
        uow.commit()
    return review


def _require_own_case(
    uow: UnitOfWork, principal: Principal, case_id: str, merchant_id: str
) -> None:
    case = uow.cases.get(case_id)
    if (
        case is None
        or case.consumer_id != principal.user_id
        or case.merchant_id != merchant_id
        or case.status is CaseStatus.DRAFT
    ):
        raise ValidationFailed("只能就本人对该商家提交的投诉进行评价", field="case_id")
    if uow.reviews.find(case_id=case_id, author_id=principal.user_id, limit=1):
        raise Conflict("该投诉已评价过", field="case_id")


def _get(uow: UnitOfWork, review_id: str) -> rv.Review:
    review = uow.reviews.get(review_id, for_update=True) if review_id else None
    if review is None:
        raise NotFound("找不到该评价")
    return review


def appeal(
    svc: Services,
    review_id: str,
    *,
    principal: Principal,
    ground: rv.AppealGround,
    statement: str,
    now: datetime,
) -> rv.Review:
    with svc.uow() as uow:
        review = _get(uow, review_id)
        require_merchant_of(principal, review.merchant_id)
        rv.appeal(review, actor=principal.actor, at=now, ground=ground, statement=statement)
        uow.reviews.save(review)
        uow.commit()
    return review


def decide_appeal(
    svc: Services, review_id: str, *, principal: Principal, uphold: bool, reason: str, now: datetime
) -> rv.Review:
    require_staff(principal)
    with svc.uow() as uow:
        review = _get(uow, review_id)
        rv.decide_appeal(review, actor=principal.actor, at=now, uphold=uphold, reason=reason)
        uow.reviews.save(review)
        uow.commit()
    return review


def merchant_reviews(
    svc: Services, merchant_id: str, *, limit: int = 50, offset: int = 0
) -> list[View]:
    """The public list: every review ever written, hidden ones as their notice."""
    with svc.uow(readonly=True) as uow:
        found = uow.reviews.find(merchant_id=merchant_id, limit=limit, offset=offset)
        return [public_view(r) for r in found]


def get_review(svc: Services, review_id: str, *, principal: Principal | None) -> View:
    """The author and staff see the full record; the merchant and the public see what is shown."""
    with svc.uow(readonly=True) as uow:
        review = uow.reviews.get(review_id) if review_id else None
        if review is None:
            raise NotFound("找不到该评价")
        events = uow.reviews.events(review.id)
    if principal is not None and (principal.role in STAFF or principal.user_id == review.author_id):
        return full_view(review, events)
    view = public_view(review)
    if principal is not None and principal.merchant_id == review.merchant_id:
        view["appeal"] = _appeal_view(review)
    return view


def public_view(review: rv.Review) -> View:
    shown = rv.public_view(review)
    return {
        "id": shown.id,
        "merchant_id": shown.merchant_id,
        "stars": shown.stars,
        "text": shown.text,
        "created_at": shown.created_at.isoformat(),
        "status": shown.status,
        "notice": shown.notice,
    }


def _appeal_view(review: rv.Review) -> View:
    return {
        "appealed": review.appealed,
        "ground": review.appeal_ground.value if review.appeal_ground else None,
        "statement": review.appeal_statement,
        "decision_reason": review.decision_reason,
    }


def full_view(review: rv.Review, events: list[TrustEvent]) -> View:
    return {
        **public_view(review),
        "original_stars": review.stars,
        "original_text": review.text,
        "author_id": review.author_id,
        "case_id": review.case_id,
        "order_no": review.order_no,
        "appeal": _appeal_view(review),
        "decided_by": review.decided_by,
        "history": [
            {
                "action": e.action,
                "from": e.from_status,
                "to": e.to_status,
                "actor_role": e.actor.role.value,
                "at": e.at.isoformat(),
                "reason": e.reason,
            }
            for e in events
        ],
    }


def appeal_queue(svc: Services, *, principal: Principal, limit: int = 50) -> list[View]:
    require_staff(principal)
    with svc.uow(readonly=True) as uow:
        found = uow.reviews.find(status=rv.ReviewStatus.UNDER_APPEAL.value, limit=limit)
        return [full_view(r, uow.reviews.events(r.id)) for r in found]


def review_records(
    svc: Services, merchant_id: str, *, principal: Principal, limit: int = 5_000
) -> list[TextRecord]:
    """A merchant's most recent reviews as the abuse signals read them (staff only)."""
    require_staff(principal)
    with svc.uow(readonly=True) as uow:
        found = uow.reviews.find(merchant_id=merchant_id, limit=limit)
    return [TextRecord(r.id, r.author_id, r.merchant_id, r.text, r.created_at) for r in found]
