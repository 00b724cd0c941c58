"""The statements of a case list page: index seeks in the list order, never a sort of the scope.

A list reads cases soonest ``next_due_at`` first, cases without one after all the others, newest
first, the id breaking ties (``tables.LIST_ORDER``). A scope is one or more *arms*, each an
equality on the leading columns of one index (``tables.LIST_INDEXES``): a consumer's cases, a
merchant's cases of one status, the unassigned mediation queue... An arm is read in up to three
*segments* after the page's starting position: the rest of the cases sharing that position's
deadline, the later deadlines, then the cases without one. Each segment is a range of the index,
walked in its own order and cut at the page size, so a page costs the same at any depth and any
size of the record. When a scope has several arms (a mediator's own cases and the unassigned
queue, or a list of several statuses) their pages, each already in order, are merged.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import total_ordering
from typing import Any

import sqlalchemy as sa

from weiquan.adapters.db import tables as t
from weiquan.domain.lifecycle import CaseStatus
from weiquan.services.ports import CaseFilter, CasePosition, MediatorPart

_c = t.cases.c
_REFERRED_STATUSES = (CaseStatus.REFERRED, CaseStatus.CLOSED)
_REFERRED_COLUMN = {2: _c.referred_province, 4: _c.referred_city, 6: _c.referred_district}
_EARLIEST = datetime.min.replace(tzinfo=UTC)

Row = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Arm:
    """One index range: ``prefix`` are the index columns before the list order, fixed by
    ``where``; they lead the ORDER BY too, so both planners see the index gives the order."""

    prefix: tuple[sa.ColumnElement[Any], ...]
    where: tuple[sa.ColumnElement[bool], ...]


def arms(scope: CaseFilter) -> list[Arm]:
    """The index ranges whose union is exactly the cases the scope may list."""
    statuses = scope.statuses
    if scope.consumer_id is not None:
        return _owner_arms(_c.consumer_id, scope.consumer_id, statuses)
    if scope.merchant_id is not None:
        return _merchant_arms(scope.merchant_id, statuses)
    if scope.mediator_or_queue is not None:
        return _mediator_arms(scope.mediator_or_queue, scope.mediator_part, statuses)
    if scope.region_prefix is not None:
        return _regulator_arms(scope.region_prefix, statuses)
    if statuses:
        return [Arm((_c.status,), (_c.status == s.value,)) for s in statuses]
    return [Arm((), (t.EVERY_CASE,))]


def _owner_arms(
    column: sa.ColumnElement[Any], owner: str, statuses: Sequence[CaseStatus]
) -> list[Arm]:
    if not statuses:
        return [Arm((column,), (column == owner,))]
    return [Arm((column, _c.status), (column == owner, _c.status == s.value)) for s in statuses]


def _merchant_arms(merchant_id: str, statuses: Sequence[CaseStatus]) -> list[Arm]:
    # A draft is the consumer's own until submitted.
    wanted = tuple(s for s in statuses if s is not CaseStatus.DRAFT)
    if wanted:
        return _owner_arms(_c.merchant_id, merchant_id, wanted)
    if statuses:
        return []
    return [Arm((_c.merchant_id,), (_c.merchant_id == merchant_id, t.NOT_DRAFT))]


def _mediator_arms(
    mediator_id: str, part: MediatorPart, statuses: Sequence[CaseStatus]
) -> list[Arm]:
    found: list[Arm] = []
    if part is not MediatorPart.WAITING:
        found += _owner_arms(_c.mediator_id, mediator_id, statuses)
    if part is not MediatorPart.MINE and (not statuses or CaseStatus.MEDIATION in statuses):
        unassigned = (_c.mediator_id.is_(None), _c.status == CaseStatus.MEDIATION.value)
        found.append(Arm((_c.mediator_id, _c.status), unassigned))
    return found


def _regulator_arms(prefix: str, statuses: Sequence[CaseStatus]) -> list[Arm]:
    wanted = [s for s in _REFERRED_STATUSES if not statuses or s in statuses]
    column = _REFERRED_COLUMN.get(len(prefix))
    if column is None or not wanted:
        return []
    # Only referred cases carry a referral region; the few that left the referred state other
    # than by closing (withdrawn) are filtered out while walking the region's index. The status
    # is compared as an expression so that no planner takes it for the way in: on averages
    # (status = ? and next_due_at IS NULL: a thousand rows) SQLite chose the status index and
    # sorted every referred case of the country for each page.
    status_in = _c.status.concat("").in_([s.value for s in wanted])
    return [Arm((column,), (column == prefix, status_in))]


def _after_in_tie(after: CasePosition) -> tuple[sa.ColumnElement[bool], ...]:
    """Cases placed after ``after`` among those sharing its deadline (newest first, then id
    descending). The plain bound on created_at is what the index seeks on; the second term
    filters the few cases created in the very same microsecond. It is written without OR:
    SQLite splits an OR into separate index lookups whose union it then sorts."""
    created, case_id = _c.created_at, _c.id
    return (
        created <= after.created_at,
        sa.not_(sa.and_(created == after.created_at, case_id >= after.id)),
    )


def segments(after: CasePosition | None) -> list[tuple[sa.ColumnElement[bool], ...]]:
    """The ranges of the list order after ``after``, in order."""
    due = _c.next_due_at
    if after is None:
        return [(due.is_not(None),), (due.is_(None),)]
    if after.next_due_at is None:
        return [(due.is_(None), *_after_in_tie(after))]
    return [
        (due == after.next_due_at, *_after_in_tie(after)),
        (due > after.next_due_at,),
        (due.is_(None),),
    ]


# What a position needs: all of it is in every list index, so skipping is an index-only walk.
_POSITION_COLUMNS = (_c.next_due_at, _c.created_at, _c.id)


def statement(
    arm: Arm,
    segment: Iterable[sa.ColumnElement[bool]],
    limit: int,
    *,
    positions_only: bool = False,
) -> sa.Select[Any]:
    query = sa.select(*_POSITION_COLUMNS) if positions_only else sa.select(t.cases)
    return query.where(*arm.where, *segment).order_by(*arm.prefix, *t.LIST_ORDER).limit(limit)


def read_arm(
    conn: sa.Connection,
    arm: Arm,
    after: CasePosition | None,
    limit: int,
    *,
    positions_only: bool = False,
) -> list[Row]:
    """Up to ``limit`` rows of one arm after ``after``: segment by segment, each cut at what
    the page still needs."""
    rows: list[Row] = []
    for segment in segments(after):
        wanted = limit - len(rows)
        if wanted <= 0:
            break
        query = statement(arm, segment, wanted, positions_only=positions_only)
        rows += [r._mapping for r in conn.execute(query)]
    return rows


def read_page(conn: sa.Connection, scope: CaseFilter, *, positions_only: bool = False) -> list[Row]:
    """The page's rows in the list order: each arm read on its own, then merged (each arm's rows
    already arrive in order, so this is a merge of sorted runs, not a sort)."""
    runs = [
        read_arm(conn, arm, scope.after, scope.limit, positions_only=positions_only)
        for arm in arms(scope)
    ]
    if len(runs) == 1:
        return runs[0]
    return list(heapq.merge(*runs, key=_row_key))[: scope.limit]


def position_after(conn: sa.Connection, scope: CaseFilter, skip: int) -> CasePosition | None:
    """Where a page ``skip`` cases into the list starts (OFFSET without reading the cases
    skipped: their positions come from the index alone). None if the list is shorter."""
    skipped = read_page(conn, replace(scope, limit=skip), positions_only=True)
    if len(skipped) < skip:
        return None
    last = skipped[-1]
    return CasePosition(last["next_due_at"], last["created_at"], last["id"])


def count_up_to(conn: sa.Connection, scope: CaseFilter, cap: int) -> int:
    """How many cases the scope holds, counting no further than ``cap`` (a bounded walk of the
    scope's index ranges, for a total a person reads)."""
    total = 0
    for arm in arms(scope):
        bounded = sa.select(sa.literal(1)).select_from(t.cases).where(*arm.where).limit(cap)
        total += conn.execute(
            sa.select(sa.func.count()).select_from(bounded.subquery())
        ).scalar_one()
    return min(total, cap)


@total_ordering
@dataclass(frozen=True, slots=True)
class _Descending:
    """Reverses the order of a value inside a sort key."""

    value: Any

    def __lt__(self, other: _Descending) -> bool:
        return bool(other.value < self.value)


def _row_key(row: Row) -> tuple[bool, datetime, _Descending, _Descending]:
    due: datetime | None = row["next_due_at"]
    return (
        due is None,
        due or _EARLIEST,
        _Descending(row["created_at"]),
        _Descending(row["id"]),
    )
