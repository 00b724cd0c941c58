"""Request and response bodies of the JSON API (Pydantic); never ORM or domain objects."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    StrictBool,
    StrictInt,
)

from weiquan.domain.calendar import CHINA_TZ
from weiquan.domain.cases import Case, Category, ClaimKind, Offer, Purpose
from weiquan.domain.lifecycle import STATUS_LABELS_ZH
from weiquan.domain.money import MAX_AMOUNT_FEN

# Stored in UTC, shown in Beijing time: every instant the API returns carries +08:00.
ShownTime = Annotated[datetime, PlainSerializer(lambda d: d.astimezone(CHINA_TZ).isoformat())]
Fen = Annotated[StrictInt, Field(gt=0, le=MAX_AMOUNT_FEN, description="amount in fen (分)")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ClaimIn(Strict):
    kind: ClaimKind
    amount_fen: Fen | None = None
    note: str = Field(default="", max_length=500)


class OrderItemIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    quantity: StrictInt = Field(default=1, ge=1, le=100_000)
    unit_price_fen: Fen | None = None


class OrderIn(Strict):
    platform: str = Field(default="", max_length=60)
    order_no: str = Field(default="", max_length=64)
    items: list[OrderItemIn] = Field(default_factory=list, max_length=50)
    amount_paid_fen: Fen | None = None
    ordered_at: AwareDatetime | None = None
    promised_delivery_at: AwareDatetime | None = None
    signed_at: AwareDatetime | None = None


class CallerIn(Strict):
    name: str = Field(min_length=1, max_length=100)
    phone: str = Field(min_length=5, max_length=20)


class ComplaintIn(Strict):
    shop_id: str = Field(min_length=1, max_length=36)
    category: Category
    title: str = Field(min_length=1, max_length=120)
    description: str = Field(min_length=1, max_length=5000)
    claims: list[ClaimIn] = Field(min_length=1, max_length=10)
    order: OrderIn | None = None
    purpose: Purpose = Purpose.PERSONAL
    noticed_on: date | None = None
    handled_elsewhere: StrictBool = False
    submit: StrictBool = True
    caller: CallerIn | None = None
    consumer_id: str | None = Field(default=None, max_length=36)


class ActionIn(Strict):
    reason: str = Field(default="", max_length=2000)
    text: str = Field(default="", max_length=5000)
    offer_id: str = Field(default="", max_length=36)
    terms: list[ClaimIn] = Field(default_factory=list, max_length=10)
    fulfil_within_days: StrictInt = Field(default=15, ge=1, le=90)
    mediator_id: str = Field(default="", max_length=36)
    stars: StrictInt = Field(default=0, ge=0, le=5)
    refer: StrictBool = True
    outcome: Literal["agreement", "failed"] | None = None


class TokenIn(Strict):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1000)
    name: str = Field(default="api", max_length=100)


class EraseIn(Strict):
    password: str = Field(min_length=1, max_length=1000)


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_at: ShownTime


class ClaimOut(BaseModel):
    kind: str
    amount_fen: int | None
    note: str


class OfferOut(BaseModel):
    id: str
    kind: str
    made_by_role: str
    terms: list[ClaimOut]
    total_fen: int
    note: str
    made_at: ShownTime
    fulfil_within_days: int
    state: str
    accepted_by: dict[str, ShownTime]


class DeadlinesOut(BaseModel):
    reply_due_at: ShownTime | None
    negotiation_due_at: ShownTime | None
    mediation_due_at: ShownTime | None
    fulfilment_due_at: ShownTime | None
    note: str


class CaseOut(BaseModel):
    id: str
    number: str
    status: str
    status_label: str
    channel: str
    category: str
    title: str
    description: str
    claims: list[ClaimOut]
    order: dict[str, Any] | None
    shop_id: str
    merchant_id: str
    region_code: str
    mediator_id: str | None
    inadmissible_ground: str | None
    deadlines: DeadlinesOut
    offers: list[OfferOut]
    allowed_actions: list[str]
    rating: int | None
    created_at: ShownTime
    submitted_at: ShownTime | None
    updated_at: ShownTime | None
    closed_at: ShownTime | None


class CaseListOut(BaseModel):
    # Counting every visible case on every page was the cost of the whole list again; the
    # field stays for existing clients and is null. Walk the pages with ``next``.
    total: int | None = None
    items: list[CaseOut]
    next: str | None = Field(
        default=None,
        description="Opaque cursor of the next page (pass it as `cursor`); null on the last page.",
    )


class EventOut(BaseModel):
    seq: int
    action: str
    from_status: str
    to_status: str
    actor_role: str
    actor_id: str | None
    rule: str | None
    reason: str
    at: ShownTime
    payload: dict[str, Any]


def claim_out(kind: ClaimKind, amount_fen: int | None, note: str) -> ClaimOut:
    return ClaimOut(kind=kind.value, amount_fen=amount_fen, note=note)


def offer_out(offer: Offer) -> OfferOut:
    return OfferOut(
        id=offer.id,
        kind=offer.kind.value,
        made_by_role=offer.made_by.role.value,
        terms=[claim_out(t.kind, t.amount_fen, t.note) for t in offer.terms],
        total_fen=offer.total_fen,
        note=offer.note,
        made_at=offer.made_at,
        fulfil_within_days=offer.fulfil_within_days,
        state=offer.state.value,
        accepted_by=offer.accepted_by,
    )


def case_out(case: Case, allowed: list[str]) -> CaseOut:
    d = case.deadlines
    order = None
    if case.order is not None:
        o = case.order
        order = {
            "platform": o.platform,
            "order_no": o.order_no,
            "amount_paid_fen": o.amount_paid_fen,
            "items": [
                {"name": i.name, "quantity": i.quantity, "unit_price_fen": i.unit_price_fen}
                for i in o.items
            ],
            "ordered_at": o.ordered_at,
            "promised_delivery_at": o.promised_delivery_at,
            "signed_at": o.signed_at,
            "delivered_late": o.delivered_late,
        }
    return CaseOut(
        id=case.id,
        number=case.number,
        status=case.status.value,
        status_label=STATUS_LABELS_ZH[case.status],
        channel=case.channel.value,
        category=case.category.value,
        title=case.title,
        description=case.description,
        claims=[claim_out(c.kind, c.amount_fen, c.note) for c in case.claims],
        order=order,
        shop_id=case.shop_id,
        merchant_id=case.merchant_id,
        region_code=case.region_code,
        mediator_id=case.mediator_id,
        inadmissible_ground=case.inadmissible_ground.value if case.inadmissible_ground else None,
        deadlines=DeadlinesOut(
            reply_due_at=d.reply_due_at,
            negotiation_due_at=d.negotiation_due_at,
            mediation_due_at=d.mediation_due_at,
            fulfilment_due_at=d.fulfilment_due_at,
            note=d.note,
        ),
        offers=[offer_out(o) for o in case.offers],
        allowed_actions=allowed,
        rating=case.rating,
        created_at=case.created_at,
        submitted_at=case.submitted_at,
        updated_at=case.updated_at,
        closed_at=case.closed_at,
    )
