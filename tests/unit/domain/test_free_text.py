"""Control characters in free text and implausible order dates (issue 15, finding 10)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from weiquan.domain.cases import OrderRecord, require_plausible_order_dates
from weiquan.domain.errors import ValidationFailed
from weiquan.domain.free_text import refuse_control_characters

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "text", ["退款\x00", "退款\x1b[31m", "退款\x7f", "退款\x85", "\u202e款退", "退\u2066款\u2069"]
)
def test_control_and_bidirectional_override_characters_are_refused_naming_the_position(
    text: str,
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        refuse_control_characters(text, field="reason")
    assert refused.value.field == "reason"
    assert "控制字符" in refused.value.message
    assert "U+" in refused.value.message


@pytest.mark.parametrize("text", ["第一行\n第二行\t缩进\r\n", "耳机坏了 👨‍👩‍👧 😀", "price: ¥299"])
def test_line_breaks_tabs_and_emoji_joiners_are_ordinary_text(text: str) -> None:
    refuse_control_characters(text, field="reason")


@pytest.mark.parametrize(
    ("field", "moment"),
    [
        ("ordered_at", datetime(1, 1, 1, tzinfo=UTC)),
        ("ordered_at", datetime(9999, 12, 31, tzinfo=UTC)),
        ("signed_at", datetime(9999, 12, 31, tzinfo=UTC)),
        ("promised_delivery_at", datetime(9999, 1, 1, tzinfo=UTC)),
        ("promised_delivery_at", datetime(1, 1, 1, tzinfo=UTC)),
        ("ordered_at", NOW + timedelta(days=3)),
    ],
)
def test_order_dates_outside_a_plausible_range_are_refused_naming_the_field(
    field: str, moment: datetime
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        require_plausible_order_dates(OrderRecord(**{field: moment}), at=NOW)  # type: ignore[arg-type]
    assert refused.value.field == f"order.{field}"


def test_plausible_order_dates_pass_including_a_delivery_promised_for_next_month() -> None:
    order = OrderRecord(
        ordered_at=NOW - timedelta(days=30),
        signed_at=NOW - timedelta(days=2),
        promised_delivery_at=NOW + timedelta(days=30),
    )
    require_plausible_order_dates(order, at=NOW)
