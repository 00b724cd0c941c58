"""The complaint case aggregate: facts, claims, offers, deadlines and its event history."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any

from weiquan.domain.accounts import Actor, Role
from weiquan.domain.calendar import CHINA_TZ
from weiquan.domain.errors import PermissionDenied, TooLong, ValidationFailed
from weiquan.domain.free_text import refuse_control_characters
from weiquan.domain.lifecycle import (
    ACTION_LABELS_ZH,
    STATUS_LABELS_ZH,
    TRANSITIONS,
    Action,
    CaseStatus,
)
from weiquan.domain.money import require_amount
from weiquan.domain.transitions import checked_move

MAX_TITLE = 120
MAX_TEXT = 5_000
MAX_CLAIMS = 10


class Category(StrEnum):
    QUALITY = "quality"
    NOT_AS_DESCRIBED = "not_as_described"
    DELIVERY_DELAY = "delivery_delay"
    COUNTERFEIT = "counterfeit"
    FALSE_ADVERTISING = "false_advertising"
    REFUND_REFUSED = "refund_refused"
    AFTER_SALES = "after_sales"
    PERSONAL_INFORMATION = "personal_information"
    PRICE_FRAUD = "price_fraud"
    OTHER = "other"


CATEGORY_LABELS_ZH = {
    Category.QUALITY: "商品质量",
    Category.NOT_AS_DESCRIBED: "货不对板",
    Category.DELIVERY_DELAY: "延迟发货/送达",
    Category.COUNTERFEIT: "假冒伪劣",
    Category.FALSE_ADVERTISING: "虚假宣传",
    Category.REFUND_REFUSED: "拒绝退款",
    Category.AFTER_SALES: "售后服务",
    Category.PERSONAL_INFORMATION: "个人信息",
    Category.PRICE_FRAUD: "价格欺诈",
    Category.OTHER: "其他",
}


class ClaimKind(StrEnum):
    REFUND = "refund"
    RETURN = "return"
    EXCHANGE = "exchange"
    REPAIR = "repair"
    COMPENSATION = "compensation"
    APOLOGY = "apology"
    OTHER = "other"


CLAIM_LABELS_ZH = {
    ClaimKind.REFUND: "退款",
    ClaimKind.RETURN: "退货",
    ClaimKind.EXCHANGE: "换货",
    ClaimKind.REPAIR: "维修",
    ClaimKind.COMPENSATION: "赔偿",
    ClaimKind.APOLOGY: "赔礼道歉",
    ClaimKind.OTHER: "其他",
}


class Channel(StrEnum):
    WEB = "web"
    API = "api"
    HOTLINE = "hotline"


class Purpose(StrEnum):
    PERSONAL = "personal"  # 生活消费, the only purpose 消保法 and 暂行办法15(3) cover
    BUSINESS = "business"


class InadmissibleGround(StrEnum):
    """市场监督管理投诉举报处理暂行办法 Art 15."""

    NO_JURISDICTION = "no_jurisdiction"  # 15(1)
    HANDLED_ELSEWHERE = "handled_elsewhere"  # 15(2)
    NOT_CONSUMPTION = "not_consumption"  # 15(3)
    TIME_BARRED = "time_barred"  # 15(4): more than 3 years since the harm was known
    INCOMPLETE = "incomplete"  # 15(5)
    OTHER = "other"  # 15(6)


@dataclass(frozen=True, slots=True)
class Claim:
    kind: ClaimKind
    amount_fen: int | None = None
    note: str = ""

    def __post_init__(self) -> None:
        if self.kind in (ClaimKind.COMPENSATION,) and self.amount_fen is None:
            raise ValidationFailed("赔偿请求须写明金额", field="claims.amount_fen")
        if self.amount_fen is not None:
            require_amount(self.amount_fen, field="claims.amount_fen")
        require_text(self.note, field="claims.note", limit=500, required=False)


@dataclass(frozen=True, slots=True)
class OrderItem:
    name: str
    quantity: int = 1
    unit_price_fen: int | None = None

    def __post_init__(self) -> None:
        require_text(self.name, field="order.items.name", limit=200)
        if not 1 <= self.quantity <= 100_000:
            raise ValidationFailed("商品数量应在 1 到 100000 之间", field="order.items.quantity")
        if self.unit_price_fen is not None:
            require_amount(self.unit_price_fen, field="order.items.unit_price_fen")


@dataclass(frozen=True, slots=True)
class OrderRecord:
    """The purchase, when the consumer has it (offline purchases may have only a receipt)."""

    platform: str = ""
    order_no: str = ""
    items: tuple[OrderItem, ...] = ()
    amount_paid_fen: int | None = None
    ordered_at: datetime | None = None
    promised_delivery_at: datetime | None = None
    signed_at: datetime | None = None

    def __post_init__(self) -> None:
        require_text(self.platform, field="order.platform", limit=60, required=False)
        require_text(self.order_no, field="order.order_no", limit=64, required=False)
        if self.amount_paid_fen is not None:
            require_amount(self.amount_paid_fen, field="order.amount_paid_fen")
        for name in ("ordered_at", "promised_delivery_at", "signed_at"):
            moment = getattr(self, name)
            if moment is not None and moment.tzinfo is None:
                raise ValidationFailed("时间必须带时区", field=f"order.{name}")
        if self.ordered_at and self.signed_at and self.signed_at < self.ordered_at:
            raise ValidationFailed("签收时间不能早于下单时间", field="order.signed_at")

    @property
    def delivered_late(self) -> bool:
        """Delivery-promise tracking: signed for after the promised time."""
        return bool(
            self.promised_delivery_at
            and self.signed_at
            and self.signed_at > self.promised_delivery_at
        )


# Online shopping in China began in the late 1990s; an order before this is a typing slip
# (or year 1), and one dated after the complaint is filed cannot have been placed yet.
EARLIEST_ORDER = datetime(1995, 1, 1, tzinfo=UTC)
CLOCK_SKEW = timedelta(days=1)
# A promised delivery may lie ahead (presales), but not beyond a year.
LONGEST_PROMISE = timedelta(days=366)


def require_plausible_order_dates(order: OrderRecord, *, at: datetime) -> None:
    """Checked when a complaint is filed (``at``), not when a stored case is read back."""
    latest = {
        "ordered_at": at + CLOCK_SKEW,
        "signed_at": at + CLOCK_SKEW,
        "promised_delivery_at": at + LONGEST_PROMISE,
    }
    for name, last in latest.items():
        moment = getattr(order, name)
        if moment is not None and not EARLIEST_ORDER <= moment <= last:
            raise ValidationFailed(
                f"日期不在合理范围内：应在 {EARLIEST_ORDER.year} 年之后，且不晚于 "
                f"{last.astimezone(CHINA_TZ):%Y-%m-%d}",
                field=f"order.{name}",
            )


class OfferKind(StrEnum):
    OFFER = "offer"  # from the merchant
    PROPOSAL = "proposal"  # a mediator's settlement proposal


class OfferState(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"


@dataclass(slots=True)
class Offer:
    id: str
    kind: OfferKind
    made_by: Actor
    terms: tuple[Claim, ...]
    note: str
    made_at: datetime
    fulfil_within_days: int = 15
    state: OfferState = OfferState.OPEN
    accepted_by: dict[str, datetime] = field(default_factory=dict)  # "consumer"/"merchant" → time

    @property
    def total_fen(self) -> int:
        return sum(t.amount_fen or 0 for t in self.terms)


@dataclass(slots=True)
class Deadlines:
    """Aware UTC instants; ``None`` with a note when the calendar cannot compute one yet."""

    reply_due_at: datetime | None = None
    negotiation_due_at: datetime | None = None
    mediation_due_at: datetime | None = None
    fulfilment_due_at: datetime | None = None
    note: str = ""
    # When the deadline worker should next look at the case; kept by ``workflow.schedule``.
    next_check_at: datetime | None = None
    # While a deadline is open for want of calendar data: the end of its calendar-day limit,
    # which needs no holiday data (the deadline is then, or the first working day after it if
    # that is a rest day). Shown to people and used to sort queues, never acted on.
    bound_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class CaseEvent:
    """One line of a case's history; appended, never changed."""

    case_id: str
    seq: int
    action: Action
    from_status: CaseStatus
    to_status: CaseStatus
    actor: Actor
    at: datetime
    reason: str
    payload: dict[str, Any]

    @property
    def is_transition(self) -> bool:
        return self.from_status is not self.to_status


@dataclass(slots=True)
class Case:
    id: str
    number: str
    consumer_id: str
    merchant_id: str
    shop_id: str
    category: Category
    title: str
    description: str
    claims: tuple[Claim, ...]
    created_at: datetime
    channel: Channel = Channel.WEB
    filed_by_id: str | None = None
    order: OrderRecord | None = None
    purpose: Purpose = Purpose.PERSONAL
    noticed_on: date | None = None
    handled_elsewhere: bool = False
    region_code: str = ""
    status: CaseStatus = CaseStatus.DRAFT
    mediator_id: str | None = None
    merchant_replied_at: datetime | None = None
    submitted_at: datetime | None = None
    closed_at: datetime | None = None
    updated_at: datetime | None = None
    inadmissible_ground: InadmissibleGround | None = None
    rating: int | None = None
    deadlines: Deadlines = field(default_factory=Deadlines)
    offers: list[Offer] = field(default_factory=list)
    version: int = 0
    last_seq: int = 0
    new_events: list[CaseEvent] = field(default_factory=list)

    def __post_init__(self) -> None:
        require_text(self.title, field="title", limit=MAX_TITLE)
        require_text(self.description, field="description", limit=MAX_TEXT)
        if not self.claims:
            raise ValidationFailed("请至少提出一项诉求", field="claims")
        if len(self.claims) > MAX_CLAIMS:
            raise ValidationFailed(f"诉求最多 {MAX_CLAIMS} 项", field="claims")

    def apply(
        self,
        action: Action,
        *,
        actor: Actor,
        at: datetime,
        reason: str,
        payload: dict[str, Any] | None = None,
    ) -> CaseEvent:
        """The only place a case's status changes; every change becomes an event."""
        move = checked_move(
            TRANSITIONS,
            self.status,
            action,
            actor=actor,
            at=at,
            reason=reason,
            status_label=f"案件当前{STATUS_LABELS_ZH[self.status]}",
            action_label=ACTION_LABELS_ZH[action],
        )
        self.last_seq += 1
        event = CaseEvent(
            case_id=self.id,
            seq=self.last_seq,
            action=action,
            from_status=self.status,
            to_status=move.target,
            actor=actor,
            at=at,
            reason=reason.strip(),
            payload=dict(payload or {}),
        )
        self.status = move.target
        self.updated_at = at
        self.new_events.append(event)
        return event

    @property
    def open_offer(self) -> Offer | None:
        return next((o for o in reversed(self.offers) if o.state is OfferState.OPEN), None)

    def party_of(self, actor: Actor) -> str:
        if actor.role is Role.CONSUMER:
            return "consumer"
        if actor.role is Role.MERCHANT:
            return "merchant"
        raise PermissionDenied("只有当事双方可以表示同意或拒绝")


def require_text(value: str, *, field: str, limit: int, required: bool = True) -> str:
    if not isinstance(value, str):
        raise ValidationFailed("应为文本", field=field)
    if required and not value.strip():
        raise ValidationFailed("不能为空", field=field)
    if len(value) > limit:
        raise TooLong(limit=limit, count=len(value), field=field)
    refuse_control_characters(value, field=field)
    return value
