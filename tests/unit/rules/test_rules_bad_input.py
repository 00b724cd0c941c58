"""Bad input is refused with an error that names the field; nothing else escapes."""

from __future__ import annotations

from typing import Any

import pytest

from weiquan.adapters.holiday_calendar import ChinaWorkdayCalendar
from weiquan.domain.errors import CalendarOutOfRange, ValidationFailed
from weiquan.domain.rules import parse_facts
from weiquan.services.rules import assess_facts

TODAY = "2026-11-25"

BAD_INPUT: list[tuple[str, Any, str]] = [
    ("a missing today", {"channel": "online"}, "today"),
    ("a null today", {"today": None}, "today"),
    ("an unknown field", {"today": TODAY, "signed_on": "2026-11-20"}, "signed_on"),
    (
        "an unknown nested field",
        {"today": TODAY, "prepaid": {"paid_fen": 1, "card": "x"}},
        "prepaid.card",
    ),
    ("a price as a string", {"today": TODAY, "price_paid_fen": "100"}, "price_paid_fen"),
    ("a price as a float", {"today": TODAY, "price_paid_fen": 99.5}, "price_paid_fen"),
    ("a price as a boolean", {"today": TODAY, "price_paid_fen": True}, "price_paid_fen"),
    ("a negative price", {"today": TODAY, "price_paid_fen": -1}, "price_paid_fen"),
    ("a negative loss", {"today": TODAY, "loss_fen": -100}, "loss_fen"),
    ("an absurd price", {"today": TODAY, "price_paid_fen": 10**18}, "price_paid_fen"),
    ("a flag as a string", {"today": TODAY, "goods_intact": "yes"}, "goods_intact"),
    ("a flag as a number", {"today": TODAY, "handled_elsewhere": 1}, "handled_elsewhere"),
    ("an unknown channel", {"today": TODAY, "channel": "shop"}, "channel"),
    ("a channel as a number", {"today": TODAY, "channel": 3}, "channel"),
    ("an unknown goods kind", {"today": TODAY, "goods": "car"}, "goods"),
    ("an unknown problem", {"today": TODAY, "problem": "broken"}, "problem"),
    ("a date that does not exist", {"today": TODAY, "signed_at": "2026-02-30"}, "signed_at"),
    ("a date in another format", {"today": TODAY, "signed_at": "20/11/2026"}, "signed_at"),
    ("a date as a number", {"today": TODAY, "signed_at": 20261120}, "signed_at"),
    (
        "a datetime without a zone",
        {"today": TODAY, "signed_at": "2026-11-20T10:00:00"},
        "signed_at",
    ),
    ("a signing after today", {"today": TODAY, "signed_at": "2026-11-26"}, "signed_at"),
    (
        "a return notice before signing",
        {"today": TODAY, "signed_at": "2026-11-20", "return_notice_at": "2026-11-19"},
        "return_notice_at",
    ),
    (
        "goods back before the return notice",
        {"today": TODAY, "return_notice_at": "2026-11-20", "goods_received_back_at": "2026-11-19"},
        "goods_received_back_at",
    ),
    (
        "a refund before the goods came back",
        {"today": TODAY, "goods_received_back_at": "2026-11-20", "refunded_at": "2026-11-18"},
        "refunded_at",
    ),
    (
        "a refund before the return was asked for",
        {"today": TODAY, "return_notice_at": "2026-11-20", "refunded_at": "2026-11-18"},
        "refunded_at",
    ),
    (
        "a knowledge date after today",
        {"today": TODAY, "knew_of_harm_at": "2026-12-01"},
        "knew_of_harm_at",
    ),
    ("bad faith as a string", {"today": TODAY, "bad_faith": "planted"}, "bad_faith"),
    ("an unknown bad-faith kind", {"today": TODAY, "bad_faith": ["lied"]}, "bad_faith"),
    ("a bad-faith entry that is an object", {"today": TODAY, "bad_faith": [{"k": 1}]}, "bad_faith"),
    ("prepaid as a list", {"today": TODAY, "prepaid": [1]}, "prepaid"),
    (
        "prepaid without the amount paid",
        {"today": TODAY, "prepaid": {"bonus_fen": 1}},
        "prepaid.paid_fen",
    ),
    (
        "more used than the card ever held",
        {"today": TODAY, "prepaid": {"paid_fen": 100, "bonus_fen": 50, "used_face_value_fen": 151}},
        "prepaid.used_face_value_fen",
    ),
    (
        "a payment after today",
        {"today": TODAY, "prepaid": {"paid_fen": 1, "paid_at": "2026-12-01"}},
        "prepaid.paid_at",
    ),
    (
        "a membership ending before it was paid",
        {
            "today": TODAY,
            "prepaid": {
                "paid_fen": 1,
                "paid_at": "2026-11-01",
                "unlimited_use_until": "2026-10-01",
            },
        },
        "prepaid.unlimited_use_until",
    ),
    (
        "a counter-notice without its arrival date",
        {"today": TODAY, "ip_counter_notice": {}},
        "ip_counter_notice.reached_right_holder_at",
    ),
    (
        "a suit reported before the counter-notice arrived",
        {
            "today": TODAY,
            "ip_counter_notice": {
                "reached_right_holder_at": "2026-11-10",
                "complaint_or_suit_notified_at": "2026-11-09",
            },
        },
        "ip_counter_notice.complaint_or_suit_notified_at",
    ),
    (
        "a negative notarisation delay",
        {
            "today": TODAY,
            "ip_counter_notice": {
                "reached_right_holder_at": "2026-11-10",
                "excluded_delay_working_days": -1,
            },
        },
        "ip_counter_notice.excluded_delay_working_days",
    ),
    (
        "a punitive multiple above five",
        {"today": TODAY, "trademark": {"actual_loss_fen": 1, "punitive_multiple": 6}},
        "trademark.punitive_multiple",
    ),
    (
        "a punitive multiple below one",
        {"today": TODAY, "trademark": {"actual_loss_fen": 1, "punitive_multiple": 0.5}},
        "trademark.punitive_multiple",
    ),
    (
        "a multiple that is not a number",
        {"today": TODAY, "trademark": {"licence_fee_fen": 1, "licence_fee_multiple": float("nan")}},
        "trademark.licence_fee_multiple",
    ),
    (
        "a resale-price clause that is missing",
        {"today": TODAY, "resale_price": {}},
        "resale_price.clause",
    ),
    (
        "a market share above 100",
        {"today": TODAY, "resale_price": {"clause": "fixed", "market_share_percent": 101}},
        "resale_price.market_share_percent",
    ),
]


@pytest.mark.parametrize(
    ("facts", "field"), [(f, n) for _, f, n in BAD_INPUT], ids=[label for label, _, _ in BAD_INPUT]
)
def test_bad_input_is_refused_naming_the_field(facts: Any, field: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_facts(facts)
    assert caught.value.field == field
    assert field in caught.value.message


@pytest.mark.parametrize("raw", [None, [], "facts", 3, True])
def test_input_that_is_not_an_object_is_refused(raw: object) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_facts(raw)
    assert caught.value.field == "facts"


def test_a_today_beyond_the_holiday_calendar_is_out_of_range(
    china_calendar: ChinaWorkdayCalendar,
) -> None:
    with pytest.raises(CalendarOutOfRange) as caught:
        assess_facts({"today": "2027-01-05"}, calendar=china_calendar)
    assert caught.value.field == "today"


def test_a_signing_date_before_the_holiday_calendar_is_out_of_range(
    china_calendar: ChinaWorkdayCalendar,
) -> None:
    with pytest.raises(CalendarOutOfRange) as caught:
        assess_facts(
            {"today": "2026-11-25", "channel": "online", "signed_at": "2003-05-01"},
            calendar=china_calendar,
        )
    assert caught.value.field == "signed_at"  # the fact to correct, not the calendar's "date"


def test_a_working_day_clock_running_into_an_unloaded_year_is_out_of_range(
    china_calendar: ChinaWorkdayCalendar,
) -> None:
    with pytest.raises(CalendarOutOfRange):
        assess_facts({"today": "2026-12-28", "channel": "online"}, calendar=china_calendar)


def test_an_aware_datetime_counts_on_its_china_date() -> None:
    facts = parse_facts({"today": "2026-11-25", "signed_at": "2026-11-19T16:30:00Z"})
    assert facts.signed_at is not None
    assert facts.signed_at.isoformat() == "2026-11-20"


def test_nulls_for_optional_fields_mean_not_given() -> None:
    facts = parse_facts(
        {"today": "2026-11-25", "channel": None, "prepaid": None, "bad_faith": None}
    )
    assert facts.channel is None
    assert facts.prepaid is None
    assert facts.bad_faith == frozenset()
