"""Accounts, roles and the actor attached to every change."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    CONSUMER = "consumer"
    MERCHANT = "merchant"  # staff of one merchant; sees cases against that merchant's shops
    MEDIATOR = "mediator"
    REGULATOR = "regulator"  # bound to a GB/T 2260 region
    OPERATOR = "operator"  # hotline intake on behalf of callers
    ADMIN = "admin"
    SYSTEM = "system"  # the deadline worker; never a login


STAFF_ROLES = frozenset({Role.MEDIATOR, Role.ADMIN})


@dataclass(frozen=True, slots=True)
class Actor:
    """Who did something: a user with a role, or the system naming the rule that fired."""

    role: Role
    user_id: str | None = None
    rule: str | None = None

    @classmethod
    def system(cls, rule: str) -> Actor:
        return cls(Role.SYSTEM, None, rule)


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated user as the services see it."""

    user_id: str
    role: Role
    display_name: str
    merchant_id: str | None = None
    region_code: str | None = None

    @property
    def actor(self) -> Actor:
        return Actor(self.role, self.user_id)
