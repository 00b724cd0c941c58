"""The worked-case table: each case's facts, the findings it expects, and the article it tests."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.rules.table import WorkedCase, load_cases
from weiquan.adapters.holiday_calendar import ChinaWorkdayCalendar
from weiquan.domain.rules import RuleId
from weiquan.services.rules import assess_facts

CASES = load_cases()


def _finding(result: dict[str, Any], rule: str) -> dict[str, Any] | None:
    return next((f for f in result["findings"] if f["rule"] == rule), None)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_worked_case(case: WorkedCase, china_calendar: ChinaWorkdayCalendar) -> None:
    result = assess_facts(case.facts, calendar=china_calendar)
    cited: set[str] = set()
    for rule, expected in case.expect.items():
        finding = _finding(result, rule)
        if expected.get("absent"):
            assert finding is None, f"{rule} should not be reported"
            continue
        assert finding is not None, (
            f"{rule} is missing from {[f['rule'] for f in result['findings']]}"
        )
        actual = {key: finding[key] for key in expected}
        assert actual == expected, finding["explanation_en"]
        cited |= {f"{a['law']}/{a['article']}" for a in finding["articles"]}
    assert case.tests in cited, (
        f"the case tests {case.tests}, but the findings cite {sorted(cited)}"
    )
    codes = {warning["code"] for warning in result["warnings"]}
    assert set(case.warnings) <= codes


def test_the_table_holds_at_least_eighty_worked_cases() -> None:
    assert len(CASES) >= 80


def test_every_rule_id_is_expected_in_some_worked_case() -> None:
    expected_rules = {
        rule for case in CASES for rule, exp in case.expect.items() if not exp.get("absent")
    }
    assert expected_rules == {rule.value for rule in RuleId}


def test_case_names_are_unique() -> None:
    names = [case.name for case in CASES]
    assert len(names) == len(set(names))
