"""Nothing typed into the complaint form is dropped: it is filed, or refused with a reason."""

from __future__ import annotations

from datetime import date

import pytest

from weiquan.domain.errors import ValidationFailed
from weiquan.domain.money import yuan_to_fen
from weiquan.web.i18n import set_locale
from weiquan.web.pages.case_actions import ActionForm
from weiquan.web.pages.case_actions import to_command as action_command
from weiquan.web.pages.complaint_form import ComplaintForm, form_errors, to_command

TODAY = date(2026, 11, 25)
FILLED = ComplaintForm(
    category="quality",
    title="耳机右耳无声",
    description="收到的耳机右耳没有声音。",
    shop_id="shop-1",
    claim_kind="refund",
)


@pytest.fixture(autouse=True)
def chinese() -> object:
    set_locale("zh_CN")
    yield
    set_locale("zh_CN")


def test_a_purchase_date_typed_without_order_number_amount_or_item_is_filed() -> None:
    form = ComplaintForm(
        **{**_typed(FILLED), "signed_on": "2026-11-20", "ordered_on": "2026-11-18"}
    )
    assert form_errors(form, TODAY, hotline=False) == {}
    command = to_command(form, platform="京东", hotline=False)
    assert command.order is not None
    assert command.order.signed_at is not None
    assert command.order.signed_at.date() == date(2026, 11, 20)
    assert command.order.ordered_at is not None


def test_an_order_date_after_the_signed_date_is_refused_rather_than_dropped() -> None:
    form = ComplaintForm(
        **{**_typed(FILLED), "ordered_on": "2026-11-22", "signed_on": "2026-11-20"}
    )
    assert form_errors(form, TODAY, hotline=False) == {"signed_on": "签收日期不能早于下单日期"}


@pytest.mark.parametrize("name", ["ordered_on", "signed_on", "noticed_on"])
def test_a_date_in_the_future_is_refused_rather_than_dropped(name: str) -> None:
    form = ComplaintForm(**{**_typed(FILLED), name: "2026-12-01"})
    errors = form_errors(form, TODAY, hotline=False)
    assert list(errors) == [name]
    assert "还没到" in errors[name]


@pytest.mark.parametrize(
    ("typed", "says"),
    [("-5", "负数"), ("10000000000000", "超出合理范围"), ("1e5", "无法识别"), ("两百", "无法识别")],
)
def test_an_amount_says_whether_it_is_negative_too_large_or_unreadable(
    typed: str, says: str
) -> None:
    with pytest.raises(ValidationFailed) as raised:
        yuan_to_fen(typed, field="amount")
    assert says in raised.value.message
    assert typed not in raised.value.message  # no echo of the input as a Python repr


def test_every_wrong_field_is_flagged_at_once() -> None:
    form = ComplaintForm(
        **{
            **_typed(FILLED),
            "title": "",
            "amount": "-5",
            "claim_amount": "10000000000000",
            "signed_on": "2027-01-01",
        }
    )
    errors = form_errors(form, TODAY, hotline=False)
    assert set(errors) == {"title", "amount", "claim_amount", "signed_on"}
    assert "负数" in errors["amount"]
    assert "超出合理范围" in errors["claim_amount"]


def test_a_description_over_5000_characters_is_refused_with_its_count_not_cut() -> None:
    form = ComplaintForm.from_raw({**_typed(FILLED), "description": "字" * 5_001})
    assert len(form.description) == 5_001
    errors = form_errors(form, TODAY, hotline=False)
    assert errors == {"description": "最多 5000 字，现在有 5001 字，请删减后再提交"}


def test_a_statement_over_5000_characters_is_refused_with_its_count_not_cut() -> None:
    with pytest.raises(ValidationFailed) as raised:
        action_command("case-1", ActionForm(action="statement", text="字" * 6_000), "")
    assert raised.value.field == "text"
    assert "6000" in raised.value.message


def test_amounts_errors_read_in_english_on_an_english_page() -> None:
    set_locale("en")
    form = ComplaintForm(**{**_typed(FILLED), "amount": "-5", "signed_on": "2027-01-01"})
    errors = form_errors(form, TODAY, hotline=False)
    assert errors["amount"] == "The amount cannot be negative"
    assert all(not any("\u4e00" <= ch <= "\u9fff" for ch in m) for m in errors.values()), errors


def _typed(form: ComplaintForm) -> dict[str, str]:
    return {name: getattr(form, name) for name in ComplaintForm.__dataclass_fields__}
