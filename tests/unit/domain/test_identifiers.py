"""统一社会信用代码 (GB 32100) and GB/T 2260 region codes."""

from __future__ import annotations

import pytest

from weiquan.domain.errors import ValidationFailed
from weiquan.domain.identifiers import (
    UsccCheck,
    org_code_check_character,
    region_contains,
    uscc_check_character,
    validate_region_code,
    validate_uscc,
)


@pytest.mark.parametrize(
    "code", ["91350100M000100Y43", "91110108551385082Q", "91512081MA62K0260E", "91110000600037341L"]
)
def test_published_examples_pass_the_check_character(code: str) -> None:
    assert validate_uscc(code).check is UsccCheck.VALID


def test_the_standards_worked_example_computes_check_3() -> None:
    assert uscc_check_character("91350100M000100Y4") == "3"


def test_a_wrong_check_character_is_a_warning_not_a_rejection() -> None:
    result = validate_uscc("91350100M000100Y4Z".replace("Z", "A"))
    assert result.check is UsccCheck.CHECKSUM_WARNING
    assert result.warning is not None


def test_an_early_pilot_code_that_fails_the_checksum_is_accepted_with_a_warning() -> None:
    assert validate_uscc("91350100M0001TGQXM").check is UsccCheck.CHECKSUM_WARNING


@pytest.mark.parametrize(
    "code", ["", "9135010", "91350100M000100Y4I", "91350100M000100Y4Z1", "91000000M000100Y43"]
)
def test_malformed_codes_are_rejected_with_a_reason(code: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        validate_uscc(code)
    assert info.value.field == "uscc"


def test_lower_case_input_is_normalised() -> None:
    assert validate_uscc("91110108551385082q").code == "91110108551385082Q"


def test_the_registering_region_is_read_from_positions_3_to_8() -> None:
    assert validate_uscc("91110108551385082Q").region_code == "110108"


def test_embedded_organisation_code_check_matches_the_examples() -> None:
    assert org_code_check_character("55138508") == "2"  # 91110108 551385082 Q


@pytest.mark.parametrize(
    ("outer", "inner", "expected"),
    [
        ("510000", "510104", True),
        ("510100", "510104", True),
        ("510104", "510104", True),
        ("510100", "510704", False),
        ("110000", "510104", False),
    ],
)
def test_region_containment_follows_the_three_levels(
    outer: str, inner: str, expected: bool
) -> None:
    assert region_contains(outer, inner) is expected


def test_unknown_region_codes_are_refused_against_the_shipped_list() -> None:
    with pytest.raises(ValidationFailed, match="999999"):
        validate_region_code("999999", frozenset({"110108"}))
