"""What the loss-assessment and complaint forms hand to the rules engine."""

from __future__ import annotations

from datetime import date

import pytest

from weiquan.domain.calendar import WeekdayOnlyCalendar
from weiquan.domain.errors import ValidationFailed
from weiquan.services.rules import assess_claims, assess_facts
from weiquan.web.pages.complaint_form import ComplaintForm, claims_body, rules_facts
from weiquan.web.pages.loss import LossForm, trademark_facts

TODAY = date(2026, 11, 25)


def test_the_loss_form_turns_yuan_into_fen_and_ticked_boxes_into_flags() -> None:
    form = LossForm(actual_loss="10,000", enforcement_costs="500", bad_faith_serious="on")
    facts = trademark_facts(form)
    assert facts["actual_loss_fen"] == 1_000_000
    assert facts["enforcement_costs_fen"] == 50_000
    assert facts["bad_faith_serious"] is True
    assert facts["lawful_source_proven"] is False
    assert "infringer_profit_fen" not in facts


@pytest.mark.parametrize("typed", ["6", "0.5", "many"])
def test_a_punitive_multiple_outside_one_to_five_names_its_field(typed: str) -> None:
    with pytest.raises(ValidationFailed) as raised:
        trademark_facts(LossForm(actual_loss="1", punitive_multiple=typed))
    assert raised.value.field == "punitive_multiple"


def test_the_loss_assessment_triples_the_loss_and_adds_the_costs() -> None:
    form = LossForm(
        actual_loss="10000", bad_faith_serious="on", punitive_multiple="3", enforcement_costs="500"
    )
    facts = {"today": TODAY.isoformat(), "trademark": trademark_facts(form)}
    (finding,) = assess_facts(facts, calendar=WeekdayOnlyCalendar())["findings"]
    assert finding["amount_fen"] == 3_050_000


def test_no_claim_is_checked_until_one_is_chosen() -> None:
    form = ComplaintForm(category="quality", amount="299")
    assert claims_body(form, rules_facts(form, TODAY)) is None


def test_a_refund_above_the_price_paid_is_flagged_with_the_price_as_its_ceiling() -> None:
    form = ComplaintForm(category="quality", amount="299", claim_kind="refund", claim_amount="599")
    body = claims_body(form, rules_facts(form, TODAY))
    assert body is not None
    (check,) = assess_claims(body, calendar=WeekdayOnlyCalendar())["claims"]
    assert check["within_law"] is False
    assert check["ceiling_fen"] == 29_900
