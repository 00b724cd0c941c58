"""The package format: what is written for a record reads back into the very entry that was logged."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from weiquan.domain.accounts import Actor, Role
from weiquan.domain.cases import CaseEvent
from weiquan.domain.errors import ValidationFailed
from weiquan.domain.evidence import CaptureMethod, EvidenceRecord
from weiquan.domain.evidence_package import (
    evidence_item,
    history_line,
    manifest_text,
    read_evidence_item,
    read_history_line,
)
from weiquan.domain.ledger_entries import case_event_entry, case_tag, evidence_entry
from weiquan.domain.lifecycle import Action, CaseStatus

SALT = bytes(range(16))
CASE_KEY = bytes(range(100, 116))  # the salt of the case's first event
text = st.text(st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=40)
moments = st.datetimes(
    min_value=datetime(2000, 1, 1),  # noqa: DTZ001 - hypothesis takes naive bounds
    max_value=datetime(2100, 1, 1),  # noqa: DTZ001
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=8))]),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | text,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.from_regex(r"[a-z_]{1,8}", fullmatch=True), inner, max_size=3)
    ),
    max_leaves=8,
)


@st.composite
def records(draw: st.DrawFn) -> EvidenceRecord:
    role = draw(st.sampled_from([Role.CONSUMER, Role.MERCHANT, Role.OPERATOR]))
    return EvidenceRecord(
        id=draw(st.uuids()).hex,
        case_id="case-1",
        sha256=draw(st.binary(min_size=32, max_size=32)).hex(),
        size=draw(st.integers(0, 2**40)),
        mime=draw(st.sampled_from(["image/png", "application/pdf"])),
        original_name=draw(text),
        method=draw(st.sampled_from(list(CaptureMethod))),
        captured_by=Actor(role, draw(st.uuids()).hex),
        captured_at=draw(moments),
        supports_seq=draw(st.none() | st.integers(1, 99)),
        supersedes_id=draw(st.none() | st.uuids().map(lambda u: u.hex)),
    )


@st.composite
def events(draw: st.DrawFn) -> CaseEvent:
    system = draw(st.booleans())
    actor = Actor.system("reply_overdue") if system else Actor(Role.CONSUMER, draw(text))
    return CaseEvent(
        case_id="case-1",
        seq=draw(st.integers(1, 500)),
        action=draw(st.sampled_from(list(Action))),
        from_status=draw(st.sampled_from(list(CaseStatus))),
        to_status=draw(st.sampled_from(list(CaseStatus))),
        actor=actor,
        at=draw(moments),
        reason=draw(text),
        payload=draw(
            st.dictionaries(st.from_regex(r"[a-z_]{1,8}", fullmatch=True), json_values, max_size=4)
        ),
    )


@given(records(), st.integers(0, 10**9))
def test_a_manifest_item_reads_back_into_the_logged_evidence_entry(
    record: EvidenceRecord, index: int
) -> None:
    item = evidence_item(record, salt=SALT, log_index=index)
    written = json.loads(manifest_text({"evidence": [item]}))["evidence"][0]
    read = read_evidence_item(written, case_id="case-1", where="item")
    assert read.logged.entry == evidence_entry(record, salt=SALT)
    assert read.logged.leaf_hash.hex() == item["leaf_hash"]
    assert (read.logged.log_index, read.path) == (index, f"files/{record.sha256}")


@given(events(), st.integers(0, 10**9))
def test_a_history_line_reads_back_into_the_logged_event_entry(
    event: CaseEvent, index: int
) -> None:
    line = history_line(event, salt=SALT, case_key=CASE_KEY, log_index=index)
    read = read_history_line(line, where="line", case_key=CASE_KEY)
    assert read.logged.entry == case_event_entry(event, salt=SALT, case_key=CASE_KEY)
    assert (read.seq, read.logged.log_index) == (event.seq, index)


def test_a_history_line_in_another_spelling_is_refused() -> None:
    event = CaseEvent(
        "case-1", 1, Action.SUBMIT, CaseStatus.DRAFT, CaseStatus.SUBMITTED,
        Actor(Role.CONSUMER, "u1"), datetime(2026, 11, 25, tzinfo=UTC), "提交", {},
    )  # fmt: skip
    line = history_line(event, salt=SALT, case_key=None, log_index=0)
    respelt = json.dumps(json.loads(line), ensure_ascii=True, sort_keys=True, separators=(",", ":"))
    with pytest.raises(ValidationFailed, match="canonical"):
        read_history_line(respelt, where="line 1", case_key=None)


def test_a_case_tag_is_found_only_with_the_first_events_salt() -> None:
    first = CaseEvent(
        "case-1", 1, Action.SUBMIT, CaseStatus.DRAFT, CaseStatus.SUBMITTED,
        Actor(Role.CONSUMER, "u1"), datetime(2026, 11, 25, tzinfo=UTC), "提交", {},
    )  # fmt: skip
    later = replace(first, seq=2)
    entry = json.loads(case_event_entry(later, salt=SALT, case_key=CASE_KEY))
    assert entry["case"] == case_tag("case-1", 2, case_key=CASE_KEY)
    assert entry["case"] != case_tag("case-1", 2, case_key=SALT)
    assert json.loads(case_event_entry(first, salt=CASE_KEY))["case"] == case_tag(
        "case-1", 1, case_key=CASE_KEY
    )
    with pytest.raises(ValidationFailed, match="first event"):  # no key, and not seq 1
        read_history_line(
            history_line(later, salt=SALT, case_key=CASE_KEY, log_index=3),
            where="line 1",
            case_key=None,
        )
