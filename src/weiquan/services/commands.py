"""Commands: what an entrypoint asks a service to do, already parsed into domain types."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from weiquan.domain.cases import Category, Channel, Claim, OrderRecord, Purpose
from weiquan.domain.lifecycle import Action


@dataclass(frozen=True, slots=True)
class Caller:
    """A hotline caller without an account: the operator records who called."""

    name: str
    phone: str


@dataclass(frozen=True, slots=True)
class FileComplaint:
    shop_id: str
    category: Category
    title: str
    description: str
    claims: tuple[Claim, ...]
    order: OrderRecord | None = None
    purpose: Purpose = Purpose.PERSONAL
    noticed_on: date | None = None
    handled_elsewhere: bool = False
    submit: bool = True
    channel: Channel = Channel.WEB
    caller: Caller | None = None  # hotline intake only
    consumer_id: str | None = None  # hotline intake for a registered consumer


@dataclass(frozen=True, slots=True)
class CaseCommand:
    """An action on an existing case; ``params`` carries what that action needs."""

    case_id: str
    action: Action
    reason: str = ""
    text: str = ""
    offer_id: str = ""
    terms: tuple[Claim, ...] = ()
    fulfil_within_days: int = 15
    mediator_id: str = ""
    stars: int = 0
    refer: bool = True
