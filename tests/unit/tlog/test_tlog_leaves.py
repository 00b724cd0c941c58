"""Canonical JSON entries and salted commitments."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from weiquan.domain.errors import ValidationFailed
from weiquan.domain.tlog import canonical_json, log_entry, salted_commitment

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(alphabet=st.characters(max_codepoint=127)), children, max_size=4)
    ),
    max_leaves=12,
)


def test_canonical_json_sorts_keys_and_drops_whitespace() -> None:
    value = {"b": [1, True, None], "a": "维权"}
    assert canonical_json(value) == '{"a":"维权","b":[1,true,null]}'.encode()


@given(st.dictionaries(st.text(alphabet="abcdefgh"), st.integers(0, 9), max_size=8))
def test_insertion_order_never_changes_the_bytes(value: dict[str, int]) -> None:
    reordered = dict(reversed(list(value.items())))
    assert canonical_json(value) == canonical_json(reordered)


@given(json_values)
def test_canonical_json_is_stable_under_a_round_trip(value: object) -> None:
    try:
        once = canonical_json(value)  # type: ignore[arg-type]
    except ValidationFailed:
        return  # lone surrogates drawn by st.text()
    assert canonical_json(json.loads(once)) == once


@pytest.mark.parametrize(
    "value",
    [1.5, 2**53, -(2**53), {"ключ": 1}, {1: "x"}, {"s": {1, 2}}, b"bytes", "\ud800"],
)
def test_values_without_a_single_canonical_form_are_refused(value: object) -> None:
    with pytest.raises(ValidationFailed):
        canonical_json(value)  # type: ignore[arg-type]


def test_log_entry_carries_its_kind_and_respects_the_size_limit() -> None:
    assert log_entry("case_event", {"case": "C-1"}) == b'{"case":"C-1","kind":"case_event"}'
    with pytest.raises(ValidationFailed):
        log_entry("case_event", {"kind": "other"})
    with pytest.raises(ValidationFailed):
        log_entry("evidence", {"blob": "x" * 70_000})


def test_a_salted_commitment_depends_on_the_salt_and_is_repeatable() -> None:
    phone = b"13800138000"
    first = salted_commitment(phone, salt=b"s" * 16)
    assert first == salted_commitment(phone, salt=b"s" * 16)
    assert first != salted_commitment(phone, salt=b"t" * 16)
    assert first.startswith("sha256:")
    assert "13800138000" not in first


def test_a_short_salt_is_refused() -> None:
    with pytest.raises(ValidationFailed):
        salted_commitment(b"value", salt=b"short")
