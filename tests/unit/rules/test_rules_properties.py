"""Properties over random valid facts: the engine answers, stays in schema, and keeps its orders."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from weiquan.adapters.holiday_calendar import ChinaWorkdayCalendar
from weiquan.adapters.statutes import statute_book
from weiquan.domain.errors import ValidationFailed
from weiquan.domain.rules import RuleId
from weiquan.domain.rules.facts import (
    BadFaith,
    Channel,
    Goods,
    PrepaidFacts,
    PriceClause,
    Problem,
    Purpose,
)
from weiquan.domain.rules.prepaid import prepaid_refund_fen
from weiquan.domain.rules.punitive import food_award, fraud_award
from weiquan.services.rules import assess_facts

CALENDAR = ChinaWorkdayCalendar()
# Late enough for every clock to stay inside the covered years (working-day counts cannot run past).
FIRST, LAST = date(2005, 1, 1), date(2026, 10, 31)
fen = st.integers(min_value=0, max_value=10**10)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


@st.composite
def _day_between(draw: st.DrawFn, low: date, high: date) -> date:
    return low + timedelta(days=draw(st.integers(0, (high - low).days)))


@st.composite
def _prepaid(draw: st.DrawFn, today: date) -> dict[str, Any]:
    paid, bonus = draw(fen), draw(fen)
    body: dict[str, Any] = {
        "paid_fen": paid,
        "bonus_fen": bonus,
        "used_face_value_fen": draw(st.integers(0, paid + bonus)),
        "consumer_at_fault": draw(st.booleans()),
    }
    paid_at = draw(_maybe(_day_between(FIRST, today)))
    if paid_at is not None:
        body["paid_at"] = paid_at.isoformat()
        if draw(st.booleans()):
            body["unlimited_use_until"] = (
                paid_at + timedelta(days=draw(st.integers(0, 800)))
            ).isoformat()
    return body


@st.composite
def valid_facts(draw: st.DrawFn) -> dict[str, Any]:
    today = draw(_day_between(FIRST, LAST))
    facts: dict[str, Any] = {"today": today.isoformat()}
    for name, kind in (
        ("channel", Channel),
        ("purpose", Purpose),
        ("goods", Goods),
        ("problem", Problem),
    ):
        value = draw(_maybe(st.sampled_from(list(kind))))
        if value is not None:
            facts[name] = value.value
    for name in (
        "consumer_confirmed_exclusion",
        "seller_promised_returns",
        "goods_intact",
        "purpose_defeated",
        "handled_elsewhere",
    ):
        facts[name] = draw(_maybe(st.booleans()))
    facts["price_paid_fen"] = draw(_maybe(fen))
    facts["loss_fen"] = draw(_maybe(fen))
    facts["bad_faith"] = [
        b.value for b in draw(st.lists(st.sampled_from(list(BadFaith)), max_size=2))
    ]
    # A chain of events in order, each optional, none after today.
    cursor = FIRST
    for name in ("signed_at", "return_notice_at", "goods_received_back_at", "refunded_at"):
        day = draw(_maybe(_day_between(cursor, today)))
        if day is not None:
            facts[name] = day.isoformat()
            cursor = day
    knew = draw(_maybe(_day_between(FIRST, today)))
    facts["knew_of_harm_at"] = knew.isoformat() if knew else None
    if draw(st.booleans()):
        facts["prepaid"] = draw(_prepaid(today))
    if draw(st.booleans()):
        facts["platform"] = {
            key: draw(_maybe(st.booleans()))
            for key in (
                "self_operated",
                "seller_identity_provided",
                "knew_or_should_have_known",
                "took_necessary_measures",
                "livestream_seller_disclosed",
            )
        }
    if draw(st.booleans()):
        reached = draw(_day_between(FIRST, today))
        told = draw(_maybe(_day_between(reached, today)))
        facts["ip_counter_notice"] = {
            "reached_right_holder_at": reached.isoformat(),
            "complaint_or_suit_notified_at": told.isoformat() if told else None,
            "excluded_delay_working_days": draw(st.integers(0, 30)),
        }
    if draw(st.booleans()):
        facts["trademark"] = {
            "actual_loss_fen": draw(_maybe(fen)),
            "infringer_profit_fen": draw(_maybe(fen)),
            "licence_fee_fen": draw(_maybe(fen)),
            "licence_fee_multiple": draw(_maybe(st.sampled_from([0.5, 1, 1.5, 3]))),
            "bad_faith_serious": draw(st.booleans()),
            "punitive_multiple": draw(_maybe(st.sampled_from([1, 2.5, 5]))),
            "enforcement_costs_fen": draw(_maybe(fen)),
            "lawful_source_proven": draw(st.booleans()),
        }
    if draw(st.booleans()):
        facts["resale_price"] = {
            "clause": draw(st.sampled_from(list(PriceClause))).value,
            "market_share_percent": draw(_maybe(st.sampled_from([0, 4.99, 5, 14.9, 15, 60]))),
            "goods_turnover_fen": draw(_maybe(fen)),
            "prior_year_sales_fen": draw(_maybe(fen)),
            "implemented": draw(_maybe(st.booleans())),
        }
    return facts


KNOWN_RULES = {rule.value for rule in RuleId}


@SETTINGS
@given(valid_facts())
def test_the_engine_answers_every_valid_set_of_facts_within_its_schema(
    facts: dict[str, Any],
) -> None:
    result = assess_facts(facts, calendar=CALENDAR)
    json.dumps(result, ensure_ascii=False)  # plain JSON types only
    book = statute_book()
    rules = [finding["rule"] for finding in result["findings"]]
    assert len(rules) == len(set(rules))
    for finding in result["findings"]:
        assert finding["rule"] in KNOWN_RULES
        assert isinstance(finding["applies"], bool)
        assert finding["articles"]
        assert all(book.has(a["law"], a["article"]) for a in finding["articles"])
        assert finding["amount_fen"] is None or finding["amount_fen"] >= 0
        assert finding["deadline"] is None or date.fromisoformat(finding["deadline"])
        assert finding["explanation_zh"]
        assert finding["explanation_en"]


@given(st.integers(0, 10**12), st.integers(0, 10**12))
def test_the_fraud_award_never_falls_as_the_price_rises(low: int, high: int) -> None:
    low, high = sorted((low, high))
    assert fraud_award(low) <= fraud_award(high)
    assert fraud_award(low) >= 50000


@given(st.integers(0, 10**12), st.integers(0, 10**12), st.integers(0, 10**12))
def test_the_food_award_never_falls_as_the_price_rises(low: int, high: int, loss: int) -> None:
    low, high = sorted((low, high))
    assert food_award(low, loss) <= food_award(high, loss)
    assert food_award(low, loss) >= 100000


@given(st.integers(0, 10**9))
def test_the_engine_and_the_formula_agree_on_the_fraud_award(price: int) -> None:
    result = assess_facts(
        {"today": "2026-06-01", "problem": "fraud", "price_paid_fen": price}, calendar=CALENDAR
    )
    fraud = next(f for f in result["findings"] if f["rule"] == "punitive_fraud")
    assert fraud["amount_fen"] == max(3 * price, 50000)


@SETTINGS
@given(_day_between(date(2010, 1, 1), date(2026, 10, 1)), st.integers(0, 20), st.integers(0, 20))
def test_an_earlier_return_notice_is_never_less_timely(signed: date, early: int, late: int) -> None:
    early, late = sorted((early, late))

    def in_time(offset: int) -> bool:
        notice = signed + timedelta(days=offset)
        result = assess_facts(
            {
                "today": notice.isoformat(),
                "channel": "online",
                "signed_at": signed.isoformat(),
                "return_notice_at": notice.isoformat(),
            },
            calendar=CALENDAR,
        )
        return next(f for f in result["findings"] if f["rule"] == "return_7day")["applies"]

    assert in_time(early) or not in_time(late)
    assert in_time(7)  # day 7 itself is always inside the window


@given(fen, fen, st.data())
def test_a_prepaid_refund_lies_between_nothing_and_what_was_paid(
    paid: int, bonus: int, data: st.DataObject
) -> None:
    used = data.draw(st.integers(0, paid + bonus))
    fair = prepaid_refund_fen(
        PrepaidFacts(paid_fen=paid, bonus_fen=bonus, used_face_value_fen=used)
    )
    at_fault = prepaid_refund_fen(
        PrepaidFacts(
            paid_fen=paid, bonus_fen=bonus, used_face_value_fen=used, consumer_at_fault=True
        )
    )
    assert 0 <= at_fault <= fair <= paid


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=True)
    | st.text(max_size=30)
    | st.dates(date(1900, 1, 1), date(2100, 1, 1)).map(date.isoformat),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3)
    ),
    max_leaves=8,
)
FIELD_NAMES = [
    "today",
    "channel",
    "purpose",
    "goods",
    "consumer_confirmed_exclusion",
    "seller_promised_returns",
    "goods_intact",
    "price_paid_fen",
    "loss_fen",
    "signed_at",
    "return_notice_at",
    "goods_received_back_at",
    "refunded_at",
    "knew_of_harm_at",
    "problem",
    "purpose_defeated",
    "bad_faith",
    "handled_elsewhere",
    "prepaid",
    "platform",
    "ip_counter_notice",
    "trademark",
    "resale_price",
    "unknown",
]


@SETTINGS
@given(
    st.dictionaries(st.sampled_from(FIELD_NAMES), json_values, max_size=6),
    _day_between(FIRST, LAST),
)
# Found by this test: a period that ended before the calendar's first year.
@example(garbage={"signed_at": "0001100100"}, today=date(2005, 1, 1))
@example(garbage={"signed_at": "0001-01-01"}, today=date(2005, 1, 1))
def test_garbage_input_is_answered_or_refused_but_never_crashes(
    garbage: dict[str, Any], today: date
) -> None:
    facts = {"today": today.isoformat(), **garbage}
    refused: ValidationFailed | None = None
    try:
        result = assess_facts(facts, calendar=CALENDAR)
    except ValidationFailed as exc:
        refused = exc
    if refused is None:
        assert set(result) == {"findings", "warnings"}
    else:
        assert refused.field
        assert refused.field.split(".")[0] in FIELD_NAMES
