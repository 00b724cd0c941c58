"""The facts of one purchase (or one brand dispute) that the engine reasons over.

Every field but ``today`` is optional: a rule the facts do not reach is simply not reported.
Dates are China calendar dates; money is integer fen; multiples are exact fractions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from fractions import Fraction


class Channel(StrEnum):
    ONLINE = "online"
    TV = "tv"
    PHONE = "phone"
    MAIL = "mail"
    OFFLINE = "offline"


class Purpose(StrEnum):
    PERSONAL = "personal"
    BUSINESS = "business"


class Goods(StrEnum):
    GENERAL = "general"
    FOOD = "food"
    DURABLE = "durable"
    CUSTOM_MADE = "custom_made"
    FRESH_PERISHABLE = "fresh_perishable"
    DIGITAL_UNSEALED = "digital_unsealed"
    NEWSPAPER_PERIODICAL = "newspaper_periodical"
    HYGIENE_UNSEALED = "hygiene_unsealed"
    ACTIVATION_VALUE_LOSS = "activation_value_loss"
    NEAR_EXPIRY_OR_FLAWED_DISCLOSED = "near_expiry_or_flawed_disclosed"
    PREPAID_SERVICE = "prepaid_service"


class Problem(StrEnum):
    NONE = "none"
    QUALITY_DEFECT = "quality_defect"
    NOT_AS_DESCRIBED = "not_as_described"
    FRAUD = "fraud"
    LABEL_FLAW_ONLY = "label_flaw_only"
    UNSAFE_FOOD = "unsafe_food"
    KNOWING_DEFECT_INJURY = "knowing_defect_injury"
    LATE_DELIVERY = "late_delivery"


class BadFaith(StrEnum):
    PLANTED = "planted"
    SWAPPED = "swapped"
    FAKED_DATES = "faked_dates"
    INVENTED_FACTS = "invented_facts"


class PriceClause(StrEnum):
    FIXED = "fixed"
    MINIMUM = "minimum"
    MAXIMUM = "maximum"
    RECOMMENDED = "recommended"
    NON_PRICE = "non_price"


@dataclass(frozen=True, slots=True)
class PrepaidFacts:
    paid_fen: int
    bonus_fen: int = 0
    used_face_value_fen: int = 0
    consumer_at_fault: bool = False
    paid_at: date | None = None
    unlimited_use_until: date | None = None


@dataclass(frozen=True, slots=True)
class PlatformFacts:
    self_operated: bool | None = None
    seller_identity_provided: bool | None = None
    knew_or_should_have_known: bool | None = None
    took_necessary_measures: bool | None = None
    livestream_seller_disclosed: bool | None = None


@dataclass(frozen=True, slots=True)
class CounterNoticeFacts:
    reached_right_holder_at: date
    complaint_or_suit_notified_at: date | None = None
    excluded_delay_working_days: int = 0


@dataclass(frozen=True, slots=True)
class TrademarkFacts:
    actual_loss_fen: int | None = None
    infringer_profit_fen: int | None = None
    licence_fee_fen: int | None = None
    licence_fee_multiple: Fraction = Fraction(1)
    bad_faith_serious: bool = False
    punitive_multiple: Fraction | None = None
    enforcement_costs_fen: int = 0
    lawful_source_proven: bool = False
    mark_unused_three_years: bool = False


@dataclass(frozen=True, slots=True)
class ResalePriceFacts:
    clause: PriceClause
    market_share_percent: Fraction | None = None
    goods_turnover_fen: int | None = None
    proves_no_effect: bool = False
    genuine_agency: bool = False
    prior_year_sales_fen: int | None = None
    implemented: bool = True


@dataclass(frozen=True, slots=True)
class Facts:
    today: date
    channel: Channel | None = None
    purpose: Purpose | None = None
    goods: Goods | None = None
    consumer_confirmed_exclusion: bool | None = None
    seller_promised_returns: bool | None = None
    goods_intact: bool | None = None
    price_paid_fen: int | None = None
    loss_fen: int | None = None
    signed_at: date | None = None
    return_notice_at: date | None = None
    goods_received_back_at: date | None = None
    refunded_at: date | None = None
    knew_of_harm_at: date | None = None
    problem: Problem | None = None
    purpose_defeated: bool | None = None
    bad_faith: frozenset[BadFaith] = field(default_factory=frozenset)
    handled_elsewhere: bool | None = None
    prepaid: PrepaidFacts | None = None
    platform: PlatformFacts | None = None
    ip_counter_notice: CounterNoticeFacts | None = None
    trademark: TrademarkFacts | None = None
    resale_price: ResalePriceFacts | None = None

    @property
    def is_business_purchase(self) -> bool:
        return self.purpose is Purpose.BUSINESS
