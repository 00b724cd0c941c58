"""Self-regulation pledges: a body publishes, merchants join or leave, keeping is measured."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from weiquan.domain.accounts import Principal, Role
from weiquan.domain.errors import Conflict, NotFound
from weiquan.domain.trust.pledges import Membership, Pledge, PledgeTerm
from weiquan.services.context import Services
from weiquan.services.trust_access import require_merchant_of, require_role


def publish(
    svc: Services,
    *,
    principal: Principal,
    body_name: str,
    title: str,
    terms: tuple[PledgeTerm, ...],
    now: datetime,
) -> Pledge:
    """Published by an administrator on behalf of the 行业自律组织 named in ``body_name``."""
    require_role(principal, Role.ADMIN)
    pledge = Pledge(
        svc.ids.new_id(), body_name.strip(), title.strip(), terms, now, principal.user_id
    )
    with svc.uow() as uow:
        uow.pledges.add(pledge)
        uow.commit()
    return pledge


def join(svc: Services, pledge_id: str, *, principal: Principal, now: datetime) -> Membership:
    merchant_id = principal.merchant_id or ""
    require_merchant_of(principal, merchant_id)
    with svc.uow() as uow:
        if uow.pledges.get(pledge_id) is None:
            raise NotFound("找不到该自律承诺")
        current = uow.pledges.membership(pledge_id, merchant_id)
        if current is not None and current.active:
            raise Conflict("已加入该承诺")
        # Rejoining keeps the record measured so far: leaving does not wipe a broken promise.
        membership = current or Membership(pledge_id, merchant_id, now)
        membership.joined_at, membership.left_at = now, None
        uow.pledges.put_membership(membership)
        uow.commit()
    return membership


def leave(svc: Services, pledge_id: str, *, principal: Principal, now: datetime) -> Membership:
    merchant_id = principal.merchant_id or ""
    require_merchant_of(principal, merchant_id)
    with svc.uow() as uow:
        current = uow.pledges.membership(pledge_id, merchant_id)
        if current is None or not current.active:
            raise Conflict("尚未加入该承诺")
        current.left_at = now
        uow.pledges.put_membership(current)
        uow.commit()
    return current


@dataclass(frozen=True, slots=True)
class PledgeStanding:
    pledge: Pledge
    membership: Membership


def list_pledges(svc: Services) -> list[tuple[Pledge, list[Membership]]]:
    with svc.uow(readonly=True) as uow:
        return [(p, uow.pledges.members_of(p.id)) for p in uow.pledges.all()]


def pledges_of(svc: Services, merchant_id: str) -> list[PledgeStanding]:
    """Shown on the merchant page: each pledge joined and how well it has been kept."""
    with svc.uow(readonly=True) as uow:
        standings = []
        for membership in uow.pledges.memberships_of(merchant_id):
            pledge = uow.pledges.get(membership.pledge_id)
            if pledge is not None:
                standings.append(PledgeStanding(pledge, membership))
        return standings
