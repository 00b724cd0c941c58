"""Every trust record moves only as its table says, whoever tries whatever in any order."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from weiquan.domain.accounts import Actor, Role
from weiquan.domain.errors import IllegalTransition, PermissionDenied
from weiquan.domain.trust import disputes, reports, reviews, vetting
from weiquan.domain.trust.tracking import Move, Tracked

AT = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def _report() -> Tracked:
    return reports.Report(
        id="r",
        status=reports.ReportStatus.RECEIVED,
        merchant_id="m",
        violation=reports.Violation.OTHER,
        description="d",
        received_at=AT,
    )


def _review() -> Tracked:
    return reviews.Review(
        id="v",
        status=reviews.ReviewStatus.VISIBLE,
        merchant_id="m",
        author_id="u",
        stars=1,
        text="t",
        created_at=AT,
    )


def _dispute() -> Tracked:
    return disputes.MerchantDispute(
        id="d",
        status=disputes.DisputeStatus.FILED,
        merchant_id="m",
        consumer_id="u",
        case_id="c",
        kind=disputes.DisputeKind.EXTORTION,
        filed_at=AT,
    )


def _vetting() -> Tracked:
    return vetting.Vetting(
        id="m",
        status=vetting.VettingStatus.PENDING,
        legal_name="n",
        uscc="91110108551385082Q",
        uscc_check=vetting.UsccCheck.VALID,
        region_code="110108",
        licence_evidence="e",
        contact_phone="13800000000",
        submitted_at=AT,
    )


TABLES: list[tuple[Callable[[], Tracked], dict[tuple[str, str], Move]]] = [
    (_report, reports.TRANSITIONS),
    (_review, reviews.TRANSITIONS),
    (_dispute, disputes.TRANSITIONS),
    (_vetting, vetting.TRANSITIONS),
]


@pytest.mark.parametrize(("make", "table"), TABLES)
@given(attempts=st.lists(st.tuples(st.integers(0, 20), st.sampled_from(list(Role))), max_size=30))
def test_a_record_moves_only_as_its_table_allows(
    make: Callable[[], Tracked],
    table: dict[tuple[str, str], Move],
    attempts: list[tuple[int, Role]],
) -> None:
    record = make()
    actions = sorted({action for _, action in table})
    for index, role in attempts:
        action = actions[index % len(actions)]
        before, seq = record.status, record.last_seq
        move = table.get((before, action))
        try:
            record._apply(table, action, actor=Actor(role, "x"), at=AT, reason="r")
        except IllegalTransition:
            assert move is None
        except PermissionDenied:
            assert move is not None
            assert role not in move.roles
        else:
            assert move is not None
            assert role in move.roles
            assert record.status == move.target
            assert record.last_seq == seq + 1
            assert record.new_events[-1].from_status == before
        if record.last_seq == seq:
            assert record.status == before
    assert [e.seq for e in record.new_events] == list(range(1, record.last_seq + 1))
