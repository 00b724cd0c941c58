"""Document data: amounts in figures and capitals, masking, the agreement's terms digest."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from weiquan.domain.calendar import CHINA_TZ
from weiquan.domain.documents import (
    Acceptance,
    AgreedTerm,
    MediationAgreement,
    Party,
    format_yuan,
    mask_name,
    unmatched_acceptances,
    yuan_in_capitals,
)
from weiquan.domain.errors import ValidationFailed
from weiquan.domain.imports import parse_yuan_to_fen


@pytest.mark.parametrize(
    ("fen", "capitals"),
    [
        (129950, "人民币壹仟贰佰玖拾玖元伍角整"),
        (100005, "人民币壹仟元零伍分"),
        (10_500_00, "人民币壹万零伍佰元整"),
        (100_010_000_00, "人民币壹亿零壹万元整"),
        (1010_00, "人民币壹仟零壹拾元整"),
        (1_000_000_001_00, "人民币壹拾亿零壹元整"),
        (50, "人民币伍角整"),
        (7, "人民币柒分"),
        (0, "人民币零元整"),
        (3_000_00, "人民币叁仟元整"),
        (12_345_67, "人民币壹万贰仟叁佰肆拾伍元陆角柒分"),
    ],
)
def test_amounts_are_written_in_capitals_as_financial_documents_do(fen: int, capitals: str) -> None:
    assert yuan_in_capitals(fen) == capitals


def test_negative_capitals_are_refused() -> None:
    with pytest.raises(ValidationFailed):
        yuan_in_capitals(-1)


@given(st.integers(min_value=-(10**14), max_value=10**14))
def test_formatted_yuan_parses_back_to_the_same_fen(fen: int) -> None:
    assert parse_yuan_to_fen(format_yuan(fen), allow_negative=True) == fen


@given(st.integers(min_value=1, max_value=10**16))
def test_capitals_never_contain_two_zeros_in_a_row(fen: int) -> None:
    assert "零零" not in yuan_in_capitals(fen)


def test_names_are_masked_keeping_the_first_and_last_character() -> None:
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧**娜"
    assert mask_name("李") == "*"
    assert Party("被申请人", "小米官方旗舰店", is_person=False).masked_name() == "小米官方旗舰店"


def agreement() -> MediationAgreement:
    return MediationAgreement(
        agreement_no="TJ-2026-0001",
        case_no="WQ-2026-000123",
        consumer=Party("申请人", "王小明"),
        merchant=Party("被申请人", "某某数码专营店", "91110108MA01ABCD2X", is_person=False),
        mediator="李调解",
        mediation_body="某市消费者协会",
        claims=("退还货款 1299.50 元",),
        facts="申请人购买的手机承诺 2026-11-22 送达，实际 2026-11-25 签收。",
        terms=(AgreedTerm("被申请人退还货款", 129950, date(2026, 12, 1)),),
    )


def test_any_change_to_the_terms_changes_the_digest() -> None:
    original = agreement()
    changed_amount = replace(original, terms=(AgreedTerm("被申请人退还货款", 129900),))
    changed_party = replace(original, consumer=Party("申请人", "王小敏"))
    digests = {original.terms_digest(), changed_amount.terms_digest(), changed_party.terms_digest()}
    assert len(digests) == 3
    assert original.terms_digest() == agreement().terms_digest()


def test_an_acceptance_of_other_terms_is_flagged() -> None:
    moment = datetime(2026, 11, 28, 10, 0, tzinfo=CHINA_TZ)
    good = Acceptance("王小明", moment, agreement().terms_digest())
    stale = Acceptance("某某数码专营店", moment, "0" * 64)
    signed = replace(agreement(), acceptances=(good, stale))
    assert unmatched_acceptances(signed) == [stale]
