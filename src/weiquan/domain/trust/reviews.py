"""Reviews and ratings of merchants, and the merchant's appeal against a malicious review.

Reviews are never deleted (电子商务法 Art 39): an upheld appeal hides the text behind a public
notice that says why, and the review, the appeal and the decision all stay on record.

    visible → under_appeal → hidden    (appeal upheld: 恶意差评 confirmed)
                           → visible   (appeal dismissed; a review can be appealed once)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from weiquan.domain.accounts import Actor, Role
from weiquan.domain.cases import require_text
from weiquan.domain.errors import Conflict, ValidationFailed
from weiquan.domain.trust.tracking import Move, Tracked, roles


class ReviewStatus(StrEnum):
    VISIBLE = "visible"
    UNDER_APPEAL = "under_appeal"
    HIDDEN = "hidden"


class ReviewAction(StrEnum):
    APPEAL = "appeal"
    UPHOLD_APPEAL = "uphold_appeal"
    DISMISS_APPEAL = "dismiss_appeal"


class AppealGround(StrEnum):
    NO_TRANSACTION = "no_transaction"  # the author never bought from the shop
    EXTORTION = "extortion"  # a bad review used as a threat for money (实施条例 Art 49)
    UNRELATED = "unrelated"  # about something other than the goods or service
    ABUSIVE = "abusive"  # insults rather than an account of the purchase
    COMPETITOR = "competitor"  # written for a competitor


APPEAL_GROUND_LABELS_ZH = {
    AppealGround.NO_TRANSACTION: "无真实交易",
    AppealGround.EXTORTION: "以差评相要挟索取财物",
    AppealGround.UNRELATED: "与商品或服务无关",
    AppealGround.ABUSIVE: "侮辱谩骂",
    AppealGround.COMPETITOR: "同行恶意评价",
}

V, RA = ReviewStatus, ReviewAction
TRANSITIONS: dict[tuple[str, str], Move] = {
    (V.VISIBLE, RA.APPEAL): Move(V.UNDER_APPEAL, roles(Role.MERCHANT)),
    (V.UNDER_APPEAL, RA.UPHOLD_APPEAL): Move(V.HIDDEN, roles(Role.MEDIATOR, Role.ADMIN)),
    (V.UNDER_APPEAL, RA.DISMISS_APPEAL): Move(V.VISIBLE, roles(Role.MEDIATOR, Role.ADMIN)),
}


@dataclass(kw_only=True, slots=True)
class Review(Tracked):
    merchant_id: str
    author_id: str
    stars: int
    text: str
    created_at: datetime
    case_id: str | None = None
    order_no: str = ""
    appealed: bool = False
    appeal_ground: AppealGround | None = None
    appeal_statement: str = ""
    decision_reason: str = ""
    decided_by: str | None = None
    public_notice: str = ""

    def apply(
        self,
        action: ReviewAction,
        *,
        actor: Actor,
        at: datetime,
        reason: str,
        payload: dict[str, object] | None = None,
    ) -> None:
        self._apply(TRANSITIONS, action, actor=actor, at=at, reason=reason, payload=payload)

    @property
    def hidden(self) -> bool:
        return self.status == ReviewStatus.HIDDEN


def write(
    *,
    review_id: str,
    merchant_id: str,
    author_id: str,
    stars: int,
    text: str,
    at: datetime,
    case_id: str | None,
    order_no: str,
) -> Review:
    """A consumer reviews a merchant after an order or a case (the service checks which)."""
    if isinstance(stars, bool) or not isinstance(stars, int) or not 1 <= stars <= 5:
        raise ValidationFailed("评分应为 1 到 5 的整数", field="stars")
    require_text(text, field="text", limit=2_000)
    require_text(order_no, field="order_no", limit=64, required=False)
    if case_id is None and not order_no.strip():
        raise ValidationFailed("评价须基于一笔订单或一件投诉", field="order_no")
    return Review(
        id=review_id,
        status=ReviewStatus.VISIBLE,
        merchant_id=merchant_id,
        author_id=author_id,
        stars=stars,
        text=text.strip(),
        created_at=at,
        updated_at=at,
        case_id=case_id,
        order_no=order_no.strip(),
    )


def appeal(
    review: Review, *, actor: Actor, at: datetime, ground: AppealGround, statement: str
) -> None:
    if review.appealed:
        raise Conflict("每条评价只能申诉一次", field="review_id")
    require_text(statement, field="statement", limit=2_000)
    review.apply(
        ReviewAction.APPEAL, actor=actor, at=at, reason=statement, payload={"ground": ground.value}
    )
    review.appealed = True
    review.appeal_ground, review.appeal_statement = ground, statement.strip()


def decide_appeal(review: Review, *, actor: Actor, at: datetime, uphold: bool, reason: str) -> None:
    """A mediator decides with reasons; an upheld appeal hides the text behind a notice."""
    require_text(reason, field="reason", limit=2_000)
    action = ReviewAction.UPHOLD_APPEAL if uphold else ReviewAction.DISMISS_APPEAL
    review.apply(action, actor=actor, at=at, reason=reason)
    review.decision_reason, review.decided_by = reason.strip(), actor.user_id
    if uphold and review.appeal_ground is not None:
        review.public_notice = (
            f"该评价经商家申诉、调解员审核认定为恶意评价"
            f"（{APPEAL_GROUND_LABELS_ZH[review.appeal_ground]}），已折叠显示。"
            f"理由：{reason.strip()}。评价本身与审核记录依法保存，未被删除。"
        )


@dataclass(frozen=True, slots=True)
class PublicReview:
    """What anyone may see: a hidden review shows its notice instead of the text and stars."""

    id: str
    merchant_id: str
    stars: int | None
    text: str | None
    created_at: datetime
    status: str
    notice: str


def public_view(review: Review) -> PublicReview:
    if review.hidden:
        return PublicReview(
            review.id,
            review.merchant_id,
            None,
            None,
            review.created_at,
            review.status,
            review.public_notice,
        )
    return PublicReview(
        review.id,
        review.merchant_id,
        review.stars,
        review.text,
        review.created_at,
        review.status,
        "",
    )
