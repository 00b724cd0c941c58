"""Read-only views the pages need: a case's parties by name, a merchant's public profile."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from weiquan.domain.accounts import Principal, Role
from weiquan.domain.cases import Case, CaseEvent
from weiquan.domain.errors import NotFound
from weiquan.domain.lifecycle import CaseStatus
from weiquan.domain.trust import reviews as rv
from weiquan.services import cases as case_service
from weiquan.services import notifications, trust_grades, trust_pledges, trust_vetting
from weiquan.services.context import Services
from weiquan.services.ports import MerchantRecord, ShopRecord, UnitOfWork


@dataclass(frozen=True, slots=True)
class CaseParties:
    consumer_name: str
    consumer_phone: str | None  # shown masked to everyone but the consumer
    shop_name: str
    platform: str
    merchant_name: str
    merchant_uscc: str | None
    mediator_name: str | None


@dataclass(frozen=True, slots=True)
class CaseView:
    case: Case
    events: list[CaseEvent]
    parties: CaseParties
    # Event seq → who was told by which channel, and whether it reached them.
    notified: dict[int, list[notifications.Reach]] = field(default_factory=dict)


def case_view(svc: Services, case_id: str, *, principal: Principal) -> CaseView:
    """The case with its history and party names; NotFound when the principal may not see it."""
    case, events = case_service.get_case(svc, case_id, principal=principal)
    with svc.uow(readonly=True) as uow:
        parties = _parties(uow, case)
        notified = notifications.reach_by_event(uow.notices.for_case(case.id))
    return CaseView(case, events, parties, notified)


def _parties(uow: UnitOfWork, case: Case) -> CaseParties:
    consumer = uow.users.get(case.consumer_id, with_pii=True)
    shop = uow.merchants.get_shop(case.shop_id)
    merchant = uow.merchants.get(case.merchant_id)
    mediator = uow.users.get(case.mediator_id) if case.mediator_id else None
    return CaseParties(
        consumer_name=consumer.display_name if consumer else "—",
        consumer_phone=consumer.phone if consumer else None,
        shop_name=shop.name if shop else "—",
        platform=shop.platform if shop else "",
        merchant_name=merchant.name if merchant else "—",
        merchant_uscc=merchant.uscc if merchant else None,
        mediator_name=mediator.display_name if mediator else None,
    )


def shop_names(svc: Services, cases: Sequence[Case]) -> dict[str, str]:
    """Shop id → shop name for the shops of these cases, in one query."""
    if not cases:
        return {}
    with svc.uow(readonly=True) as uow:
        return {s.id: s.name for s in uow.merchants.shops([c.shop_id for c in cases])}


def merchant_directory(svc: Services) -> list[tuple[MerchantRecord, list[ShopRecord]]]:
    """Every merchant with its shops, for the public merchant pages (two queries in all)."""
    with svc.uow(readonly=True) as uow:
        merchants = uow.merchants.all()
        shops = uow.merchants.shops()
    by_merchant: dict[str, list[ShopRecord]] = {m.id: [] for m in merchants}
    for shop in shops:
        by_merchant.setdefault(shop.merchant_id, []).append(shop)
    return [(m, by_merchant[m.id]) for m in merchants]


def active_mediators(svc: Services) -> list[tuple[str, str]]:
    """(user id, display name) of mediators who can take a case."""
    with svc.uow(readonly=True) as uow:
        return [
            (u.id, u.display_name) for u in uow.users.list_by_role(Role.MEDIATOR) if u.is_active
        ]


@dataclass(frozen=True, slots=True)
class MerchantProfile:
    merchant: MerchantRecord
    shops: list[ShopRecord]
    grade: trust_grades.GradeView
    vetting_status: str
    pledges: list[trust_pledges.PledgeStanding]
    reviews: list[rv.PublicReview]


def merchant_profile(svc: Services, merchant_id: str, *, reviews: int = 50) -> MerchantProfile:
    """What anyone may see of a merchant: shops, grade and why, pledges, and the reviews (a
    hidden review as its public notice). NotFound for an unknown merchant."""
    with svc.uow(readonly=True) as uow:
        merchant = uow.merchants.get(merchant_id)
        if merchant is None:
            raise NotFound("找不到该商家")
        shops = uow.merchants.shops_of(merchant_id)
        shown = [
            rv.public_view(r) for r in uow.reviews.find(merchant_id=merchant_id, limit=reviews)
        ]
    return MerchantProfile(
        merchant=merchant,
        shops=shops,
        grade=trust_grades.merchant_grade(svc, merchant_id),
        vetting_status=trust_vetting.public_status(svc, merchant_id),
        pledges=trust_pledges.pledges_of(svc, merchant_id),
        reviews=shown,
    )


def reviewable_cases(svc: Services, merchant_id: str, *, principal: Principal) -> list[Case]:
    """The consumer's own complaints against this merchant (among their first 200 by deadline)
    that have no review from them yet: one list read and one review query, whatever the count."""
    if principal.role is not Role.CONSUMER:
        return []
    page = case_service.case_page(svc, principal=principal, limit=case_service.MAX_PAGE)
    mine = [
        c for c in page.items if c.merchant_id == merchant_id and c.status is not CaseStatus.DRAFT
    ]
    with svc.uow(readonly=True) as uow:
        reviews = uow.reviews.find_among(
            "case_id", [c.id for c in mine], author_id=principal.user_id
        )
    reviewed = {review.case_id for review in reviews}
    return [c for c in mine if c.id not in reviewed]


def display_names(svc: Services, user_ids: set[str]) -> dict[str, str]:
    """User id → display name, for staff lists that name who did what."""
    with svc.uow(readonly=True) as uow:
        found = {uid: uow.users.get(uid) for uid in user_ids}
    return {uid: user.display_name for uid, user in found.items() if user is not None}
