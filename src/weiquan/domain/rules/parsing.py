"""Facts from a JSON-like mapping, refusing anything a person should correct.

Unknown fields are an error, not ignored: a misspelt ``signed_on`` would otherwise silently drop
the most important date of the case.  Every error names the field (``prepaid.paid_fen`` for nested
ones) so that a form can put the message next to it.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from datetime import date, datetime
from enum import StrEnum
from fractions import Fraction
from typing import Any, TypeVar

from weiquan.domain.calendar import china_date
from weiquan.domain.errors import ValidationFailed
from weiquan.domain.rules.facts import (
    BadFaith,
    Channel,
    CounterNoticeFacts,
    Facts,
    Goods,
    PlatformFacts,
    PrepaidFacts,
    PriceClause,
    Problem,
    Purpose,
    ResalePriceFacts,
    TrademarkFacts,
)

# Ten trillion yuan: far above any purchase, low enough that no arithmetic gets silly.
MAX_FEN = 10**15

E = TypeVar("E", bound=StrEnum)


def _json_type(value: object) -> str:
    names = {
        bool: "boolean",
        int: "integer",
        float: "number",
        str: "string",
        list: "array",
        dict: "object",
        type(None): "null",
    }
    return names.get(type(value), type(value).__name__)


class _Reader:
    """Typed access to one JSON object, after checking it holds only known keys."""

    __slots__ = ("prefix", "raw")

    def __init__(self, raw: object, *, prefix: str, allowed: frozenset[str], name: str) -> None:
        if not isinstance(raw, Mapping):
            raise ValidationFailed(
                f"{name or 'facts'} 应为 JSON 对象 / must be a JSON object, got {_json_type(raw)}",
                field=name or "facts",
            )
        for key in raw:
            if key not in allowed:
                field = f"{prefix}{key}"
                raise ValidationFailed(f"未知字段 {field} / unknown field {field!r}", field=field)
        self.raw = raw
        self.prefix = prefix

    def path(self, key: str) -> str:
        return f"{self.prefix}{key}"

    def get(self, key: str) -> object:
        return self.raw.get(key)

    def fail(self, key: str, expected_zh: str, expected_en: str) -> ValidationFailed:
        got = _json_type(self.raw.get(key))
        return ValidationFailed(
            f"{self.path(key)} 应为{expected_zh} / {self.path(key)} must be {expected_en}, got {got}",
            field=self.path(key),
        )

    def boolean(self, key: str) -> bool | None:
        value = self.get(key)
        if value is None:
            return None
        if not isinstance(value, bool):
            raise self.fail(key, "布尔值 true/false", "true or false")
        return value

    def flag(self, key: str) -> bool:
        return self.boolean(key) or False

    def fen(self, key: str) -> int | None:
        value = self.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(key, "以分计的整数金额", "an integer amount in fen")
        if value < 0:
            raise ValidationFailed(
                f"{self.path(key)} 不能为负数 / {self.path(key)} cannot be negative",
                field=self.path(key),
            )
        if value > MAX_FEN:
            raise ValidationFailed(
                f"{self.path(key)} 金额过大 / {self.path(key)} is implausibly large",
                field=self.path(key),
            )
        return value

    def required_fen(self, key: str) -> int:
        value = self.fen(key)
        if value is None:
            raise self.missing(key)
        return value

    def count(self, key: str, *, maximum: int) -> int:
        value = self.get(key)
        if value is None:
            return 0
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(key, "整数", "an integer")
        if not 0 <= value <= maximum:
            raise ValidationFailed(
                f"{self.path(key)} 应在 0–{maximum} 之间 / must be between 0 and {maximum}",
                field=self.path(key),
            )
        return value

    def fraction(self, key: str, *, low: int, high: int) -> Fraction | None:
        value = self.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(key, "数字", "a number")
        if isinstance(value, float) and not math.isfinite(value):
            raise self.fail(key, "有限数字", "a finite number")
        # str() keeps the decimal the person typed (1.5, not 1.4999999999999998...).
        exact = Fraction(str(value))
        if not low <= exact <= high:
            raise ValidationFailed(
                f"{self.path(key)} 应在 {low}–{high} 之间 / must be between {low} and {high}",
                field=self.path(key),
            )
        return exact

    def enum(self, key: str, kind: type[E]) -> E | None:
        value = self.get(key)
        if value is None:
            return None
        if isinstance(value, str):
            member = _members(kind).get(value)
            if member is not None:
                return member
        choices = "|".join(member.value for member in kind)
        if not isinstance(value, str):
            raise self.fail(key, f"字符串（{choices}）", f"one of {choices}")
        raise ValidationFailed(
            f"{self.path(key)} 的取值 {value!r} 无效，应为 {choices} / "
            f"{self.path(key)} must be one of {choices}",
            field=self.path(key),
        )

    def day(self, key: str) -> date | None:
        value = self.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.fail(key, "日期字符串 YYYY-MM-DD", "a date string YYYY-MM-DD")
        return _parse_day(value, self.path(key))

    def required_day(self, key: str) -> date:
        value = self.day(key)
        if value is None:
            raise self.missing(key)
        return value

    def missing(self, key: str) -> ValidationFailed:
        return ValidationFailed(
            f"缺少必填字段 {self.path(key)} / {self.path(key)} is required", field=self.path(key)
        )

    def bad_faith(self, key: str) -> frozenset[BadFaith]:
        value = self.get(key)
        if value is None:
            return frozenset()
        choices = "|".join(member.value for member in BadFaith)
        if not isinstance(value, list):
            raise self.fail(key, f"数组（{choices}）", f"an array of {choices}")
        items: set[BadFaith] = set()
        for index, item in enumerate(value):
            try:
                items.add(BadFaith(item))
            except ValueError:
                raise ValidationFailed(
                    f"{self.path(key)}[{index}] 应为 {choices} / must be one of {choices}",
                    field=self.path(key),
                ) from None
        return frozenset(items)

    def nested(self, key: str, kind: type[Any]) -> _Reader | None:
        value = self.get(key)
        if value is None:
            return None
        return _Reader(
            value, prefix=f"{self.path(key)}.", allowed=_field_names(kind), name=self.path(key)
        )


_FIELD_NAMES: dict[type[Any], frozenset[str]] = {}
_MEMBERS: dict[type[Any], dict[str, Any]] = {}


def _members(kind: type[E]) -> dict[str, E]:
    """Value → member, built once per enum (Enum's own lookup is slow on the hot path)."""
    members = _MEMBERS.get(kind)
    if members is None:
        members = _MEMBERS[kind] = {member.value: member for member in kind}
    return members


def _field_names(kind: type[Any]) -> frozenset[str]:
    names = _FIELD_NAMES.get(kind)
    if names is None:
        names = _FIELD_NAMES[kind] = frozenset(f.name for f in dataclasses.fields(kind))
    return names


def _parse_day(text: str, field: str) -> date:
    """A date, or an aware datetime reduced to its date in China (where the deadlines run)."""
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(
            f"{field} 不是有效日期：{text!r}（应为 YYYY-MM-DD 或带时区的 ISO 时间）/ "
            f"{field} is not a valid date (YYYY-MM-DD or an ISO datetime with offset)",
            field=field,
        ) from None
    if moment.tzinfo is None:
        raise ValidationFailed(
            f"{field} 的时间必须带时区，例如 +08:00 / {field} needs a UTC offset such as +08:00",
            field=field,
        )
    return china_date(moment)


def parse_facts(raw: object) -> Facts:
    """Facts from decoded JSON; raises ValidationFailed naming the offending field."""
    reader = _Reader(raw, prefix="", allowed=_field_names(Facts), name="")
    facts = Facts(
        today=reader.required_day("today"),
        channel=reader.enum("channel", Channel),
        purpose=reader.enum("purpose", Purpose),
        goods=reader.enum("goods", Goods),
        consumer_confirmed_exclusion=reader.boolean("consumer_confirmed_exclusion"),
        seller_promised_returns=reader.boolean("seller_promised_returns"),
        goods_intact=reader.boolean("goods_intact"),
        price_paid_fen=reader.fen("price_paid_fen"),
        loss_fen=reader.fen("loss_fen"),
        signed_at=reader.day("signed_at"),
        return_notice_at=reader.day("return_notice_at"),
        goods_received_back_at=reader.day("goods_received_back_at"),
        refunded_at=reader.day("refunded_at"),
        knew_of_harm_at=reader.day("knew_of_harm_at"),
        problem=reader.enum("problem", Problem),
        purpose_defeated=reader.boolean("purpose_defeated"),
        bad_faith=reader.bad_faith("bad_faith"),
        handled_elsewhere=reader.boolean("handled_elsewhere"),
        prepaid=_prepaid(reader.nested("prepaid", PrepaidFacts)),
        platform=_platform(reader.nested("platform", PlatformFacts)),
        ip_counter_notice=_counter_notice(reader.nested("ip_counter_notice", CounterNoticeFacts)),
        trademark=_trademark(reader.nested("trademark", TrademarkFacts)),
        resale_price=_resale_price(reader.nested("resale_price", ResalePriceFacts)),
    )
    _check_chronology(facts)
    return facts


def _prepaid(reader: _Reader | None) -> PrepaidFacts | None:
    if reader is None:
        return None
    prepaid = PrepaidFacts(
        paid_fen=reader.required_fen("paid_fen"),
        bonus_fen=reader.fen("bonus_fen") or 0,
        used_face_value_fen=reader.fen("used_face_value_fen") or 0,
        consumer_at_fault=reader.flag("consumer_at_fault"),
        paid_at=reader.day("paid_at"),
        unlimited_use_until=reader.day("unlimited_use_until"),
    )
    if prepaid.used_face_value_fen > prepaid.paid_fen + prepaid.bonus_fen:
        raise ValidationFailed(
            "prepaid.used_face_value_fen 超过了充值与赠送金额之和 / "
            "prepaid.used_face_value_fen exceeds the paid plus bonus balance",
            field="prepaid.used_face_value_fen",
        )
    if (
        prepaid.paid_at is not None
        and prepaid.unlimited_use_until is not None
        and prepaid.unlimited_use_until < prepaid.paid_at
    ):
        raise _before("prepaid.unlimited_use_until", "prepaid.paid_at")
    return prepaid


def _platform(reader: _Reader | None) -> PlatformFacts | None:
    if reader is None:
        return None
    return PlatformFacts(
        self_operated=reader.boolean("self_operated"),
        seller_identity_provided=reader.boolean("seller_identity_provided"),
        knew_or_should_have_known=reader.boolean("knew_or_should_have_known"),
        took_necessary_measures=reader.boolean("took_necessary_measures"),
        livestream_seller_disclosed=reader.boolean("livestream_seller_disclosed"),
    )


def _counter_notice(reader: _Reader | None) -> CounterNoticeFacts | None:
    if reader is None:
        return None
    notice = CounterNoticeFacts(
        reached_right_holder_at=reader.required_day("reached_right_holder_at"),
        complaint_or_suit_notified_at=reader.day("complaint_or_suit_notified_at"),
        # More than the 20 working days the 2020 reply allows is accepted and capped by the rule.
        excluded_delay_working_days=reader.count("excluded_delay_working_days", maximum=366),
    )
    if (
        notice.complaint_or_suit_notified_at is not None
        and notice.complaint_or_suit_notified_at < notice.reached_right_holder_at
    ):
        raise _before(
            "ip_counter_notice.complaint_or_suit_notified_at",
            "ip_counter_notice.reached_right_holder_at",
        )
    return notice


def _trademark(reader: _Reader | None) -> TrademarkFacts | None:
    if reader is None:
        return None
    return TrademarkFacts(
        actual_loss_fen=reader.fen("actual_loss_fen"),
        infringer_profit_fen=reader.fen("infringer_profit_fen"),
        licence_fee_fen=reader.fen("licence_fee_fen"),
        licence_fee_multiple=reader.fraction("licence_fee_multiple", low=0, high=100)
        or Fraction(1),
        bad_faith_serious=reader.flag("bad_faith_serious"),
        punitive_multiple=reader.fraction("punitive_multiple", low=1, high=5),
        enforcement_costs_fen=reader.fen("enforcement_costs_fen") or 0,
        lawful_source_proven=reader.flag("lawful_source_proven"),
        mark_unused_three_years=reader.flag("mark_unused_three_years"),
    )


def _resale_price(reader: _Reader | None) -> ResalePriceFacts | None:
    if reader is None:
        return None
    clause = reader.enum("clause", PriceClause)
    if clause is None:
        raise reader.missing("clause")
    implemented = reader.boolean("implemented")
    return ResalePriceFacts(
        clause=clause,
        market_share_percent=reader.fraction("market_share_percent", low=0, high=100),
        goods_turnover_fen=reader.fen("goods_turnover_fen"),
        proves_no_effect=reader.flag("proves_no_effect"),
        genuine_agency=reader.flag("genuine_agency"),
        prior_year_sales_fen=reader.fen("prior_year_sales_fen"),
        implemented=True if implemented is None else implemented,
    )


def _before(later: str, earlier: str) -> ValidationFailed:
    return ValidationFailed(
        f"{later} 早于 {earlier}，日期不可能成立 / {later} is earlier than {earlier}, "
        "which cannot happen",
        field=later,
    )


# (later, earlier): the later event cannot precede the earlier one.
_ORDER = (
    ("return_notice_at", "signed_at"),
    ("goods_received_back_at", "return_notice_at"),
    ("goods_received_back_at", "signed_at"),
    ("refunded_at", "goods_received_back_at"),
    ("refunded_at", "return_notice_at"),
)


def _check_chronology(facts: Facts) -> None:
    """Refuse facts from the future and events in an impossible order."""
    dated = {
        "signed_at": facts.signed_at,
        "return_notice_at": facts.return_notice_at,
        "goods_received_back_at": facts.goods_received_back_at,
        "refunded_at": facts.refunded_at,
        "knew_of_harm_at": facts.knew_of_harm_at,
        "prepaid.paid_at": facts.prepaid.paid_at if facts.prepaid else None,
        "ip_counter_notice.reached_right_holder_at": facts.ip_counter_notice.reached_right_holder_at
        if facts.ip_counter_notice
        else None,
        "ip_counter_notice.complaint_or_suit_notified_at": facts.ip_counter_notice.complaint_or_suit_notified_at
        if facts.ip_counter_notice
        else None,
    }
    for name, day in dated.items():
        if day is not None and day > facts.today:
            raise ValidationFailed(
                f"{name}（{day.isoformat()}）晚于 today（{facts.today.isoformat()}）/ "
                f"{name} is after today",
                field=name,
            )
    for later, earlier in _ORDER:
        later_day, earlier_day = dated[later], dated[earlier]
        if later_day is not None and earlier_day is not None and later_day < earlier_day:
            raise _before(later, earlier)
