"""Repositories for the trust records, grade sums and pledges.

A record's queried fields are columns; its whole state is also a JSON document, written and read
by a small codec driven by the dataclass's own type hints, so adding a field needs no mapping code.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Sequence
from datetime import datetime
from enum import Enum
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from weiquan.adapters.crypto import FieldCipher
from weiquan.adapters.db.tables import cases as cases_table
from weiquan.adapters.db.tables import merchants as merchants_table
from weiquan.adapters.db.tables_trust import (
    GRADE_SUM_COLUMNS,
    clock_open,
    trust_counted_cases,
    trust_disputes,
    trust_events,
    trust_grade_history,
    trust_grade_sums,
    trust_pledge_members,
    trust_pledges,
    trust_reports,
    trust_reviews,
    trust_vetting,
)
from weiquan.domain.accounts import Actor, Role
from weiquan.domain.errors import Conflict
from weiquan.domain.lifecycle import CaseStatus
from weiquan.domain.trust.disputes import MerchantDispute
from weiquan.domain.trust.grade import Grade, GradeHistoryEntry, GradeSums
from weiquan.domain.trust.pledges import Membership, Pledge
from weiquan.domain.trust.reports import Report
from weiquan.domain.trust.reviews import Review
from weiquan.domain.trust.tracking import Tracked, TrustEvent
from weiquan.domain.trust.vetting import Vetting

T = TypeVar("T", bound=Tracked)
_TRANSIENT = {"new_events", "version"}


def to_doc(value: Any) -> Any:
    """Dataclasses, enums, datetimes and containers as JSON-ready values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: to_doc(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.name not in _TRANSIENT
        }
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [to_doc(item) for item in value]
    if isinstance(value, dict):
        return {key: to_doc(item) for key, item in value.items()}
    return value


def from_doc(kind: Any, value: Any) -> Any:  # noqa: PLR0911 - one branch per kind of type
    """The inverse of :func:`to_doc`, guided by the type ``kind``."""
    if value is None:
        return None
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        options = [arg for arg in typing.get_args(kind) if arg is not type(None)]
        return from_doc(options[0], value)
    if origin is tuple:
        return tuple(from_doc(typing.get_args(kind)[0], item) for item in value)
    if origin is list:
        return [from_doc(typing.get_args(kind)[0], item) for item in value]
    if origin is dict or kind is Any:
        return value
    if dataclasses.is_dataclass(kind) and isinstance(kind, type):
        hints = typing.get_type_hints(kind)
        known = {f.name for f in dataclasses.fields(kind) if f.init and f.name in value}
        return kind(**{name: from_doc(hints[name], value[name]) for name in known})
    if isinstance(kind, type) and issubclass(kind, Enum):
        return kind(value)
    if kind is datetime:
        return datetime.fromisoformat(value)
    return value


class SqlTrustRecordRepository(Generic[T]):
    def __init__(
        self,
        conn: sa.Connection,
        table: sa.Table,
        kind: str,
        record_type: type[T],
        columns: tuple[str, ...],
        *,
        cipher: FieldCipher | None = None,
        personal: tuple[str, ...] = (),
    ) -> None:
        self._conn, self._table, self._kind = conn, table, kind
        self._type, self._columns = record_type, columns
        # Fields holding personal data: encrypted into ``<field>_enc``, never in the document.
        self._cipher, self._personal = cipher, personal
        assert cipher is not None or not personal

    def add(self, record: T) -> None:
        record.version = 1
        self._conn.execute(
            sa.insert(self._table).values(id=record.id, version=record.version, **self._row(record))
        )
        self._write_events(record)

    def get(self, record_id: str, *, for_update: bool = False) -> T | None:
        query = sa.select(self._table).where(self._table.c.id == record_id)
        if for_update:
            query = query.with_for_update()
        row = self._conn.execute(query).mappings().first()
        return self._record(row) if row else None

    def save(self, record: T) -> None:
        result = self._conn.execute(
            sa.update(self._table)
            .where(self._table.c.id == record.id, self._table.c.version == record.version)
            .values(**self._row(record), version=record.version + 1)
        )
        if result.rowcount != 1:
            raise Conflict("该记录已被他人修改，请刷新后重试")
        record.version += 1
        self._write_events(record)

    def find(self, *, limit: int = 50, offset: int = 0, **where: str) -> list[T]:
        query = sa.select(self._table)
        for name, value in where.items():
            query = query.where(self._table.c[name] == value)
        query = query.order_by(self._table.c.updated_at.desc(), self._table.c.id)
        rows = self._conn.execute(query.limit(limit).offset(offset)).mappings()
        return [self._record(row) for row in rows]

    def find_among(self, name: str, values: Sequence[str], **where: str) -> list[T]:
        if not values:
            return []
        query = sa.select(self._table).where(self._table.c[name].in_(list(values)))
        for column, value in where.items():
            query = query.where(self._table.c[column] == value)
        return [self._record(row) for row in self._conn.execute(query).mappings()]

    def find_in_region(self, region_prefix: str, *, limit: int, offset: int) -> list[T]:
        merchants = merchants_table
        query = (
            sa.select(self._table)
            .join(merchants, merchants.c.id == self._table.c.merchant_id)
            .where(merchants.c.region_code.startswith(region_prefix, autoescape=True))
            .order_by(self._table.c.updated_at.desc(), self._table.c.id)
            .limit(limit)
            .offset(offset)
        )
        return [self._record(row) for row in self._conn.execute(query).mappings()]

    def claim_due(self, now: datetime, *, limit: int) -> list[T]:
        query = (
            sa.select(self._table)
            .where(self._table.c.next_check_at <= now)
            .order_by(self._table.c.next_check_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [self._record(row) for row in self._conn.execute(query).mappings()]

    def with_open_clocks(self, *, limit: int) -> list[T]:
        query = (
            sa.select(self._table)
            .where(clock_open(self._table))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [self._record(row) for row in self._conn.execute(query).mappings()]

    def events(self, record_id: str) -> list[TrustEvent]:
        query = (
            sa.select(trust_events)
            .where(trust_events.c.subject_kind == self._kind)
            .where(trust_events.c.subject_id == record_id)
            .order_by(trust_events.c.seq)
        )
        return [_event(row) for row in self._conn.execute(query).mappings()]

    def erase_personal_data(self, column: str, value: str) -> None:
        """Blanks the personal fields of every record whose ``column`` is ``value``."""
        if self._personal:
            blank: dict[str, Any] = {f"{name}_enc": None for name in self._personal}
            self._conn.execute(
                sa.update(self._table).where(self._table.c[column] == value).values(**blank)
            )

    def _row(self, record: T) -> dict[str, Any]:
        doc = to_doc(record)
        sealed = {}
        for name in self._personal:
            value = doc.pop(name)
            assert self._cipher is not None
            sealed[f"{name}_enc"] = self._cipher.encrypt(value) if value else None
        return {
            **sealed,
            **{name: getattr(record, name) for name in self._columns},
            "status": str(record.status),
            "next_check_at": getattr(record, "next_check_at", None),
            "clock_open": bool(getattr(record, "clock_note", "")),
            "doc": doc,
            "updated_at": record.updated_at,
        }

    def _record(self, row: sa.RowMapping) -> T:
        doc = dict(row["doc"])
        for name in self._personal:
            sealed = row[f"{name}_enc"]
            assert self._cipher is not None
            doc[name] = self._cipher.decrypt(sealed) if sealed else ""
        record: T = from_doc(self._type, doc)
        record.version = row["version"]
        return record

    def _write_events(self, record: T) -> None:
        if record.new_events:
            self._conn.execute(
                sa.insert(trust_events), [_event_row(self._kind, e) for e in record.new_events]
            )
        record.new_events.clear()


def _event_row(kind: str, event: TrustEvent) -> dict[str, Any]:
    return {
        "subject_kind": kind,
        "subject_id": event.subject_id,
        "seq": event.seq,
        "action": str(event.action),
        "from_status": str(event.from_status),
        "to_status": str(event.to_status),
        "actor_role": event.actor.role.value,
        "actor_id": event.actor.user_id,
        "actor_rule": event.actor.rule,
        "at": event.at,
        "reason": event.reason,
        "payload": to_doc(event.payload),
    }


def _event(row: sa.RowMapping) -> TrustEvent:
    return TrustEvent(
        subject_id=row["subject_id"],
        seq=row["seq"],
        action=row["action"],
        from_status=row["from_status"],
        to_status=row["to_status"],
        actor=Actor(Role(row["actor_role"]), row["actor_id"], row["actor_rule"]),
        at=row["at"],
        reason=row["reason"],
        payload=dict(row["payload"]),
    )


def vetting_repository(
    conn: sa.Connection, cipher: FieldCipher
) -> SqlTrustRecordRepository[Vetting]:
    return SqlTrustRecordRepository(
        conn,
        trust_vetting,
        "vetting",
        Vetting,
        ("merchant_id",),
        cipher=cipher,
        personal=("contact_phone",),
    )


def report_repository(conn: sa.Connection, cipher: FieldCipher) -> SqlTrustRecordRepository[Report]:
    return SqlTrustRecordRepository(
        conn,
        trust_reports,
        "report",
        Report,
        ("merchant_id", "reporter_id"),
        cipher=cipher,
        personal=("reporter_contact",),
    )


def review_repository(conn: sa.Connection) -> SqlTrustRecordRepository[Review]:
    return SqlTrustRecordRepository(
        conn, trust_reviews, "review", Review, ("merchant_id", "author_id", "case_id")
    )


def dispute_repository(conn: sa.Connection) -> SqlTrustRecordRepository[MerchantDispute]:
    return SqlTrustRecordRepository(
        conn,
        trust_disputes,
        "dispute",
        MerchantDispute,
        ("merchant_id", "consumer_id", "case_id"),
    )


def _insert(conn: sa.Connection) -> Any:
    return (postgresql if conn.dialect.name == "postgresql" else sqlite).insert


class SqlGradeRepository:
    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def sums_for_update(self, merchant_id: str) -> GradeSums:
        self._conn.execute(
            _insert(self._conn)(trust_grade_sums)
            .values(merchant_id=merchant_id)
            .on_conflict_do_nothing()
        )
        return self._sums(merchant_id, for_update=True)

    def sums(self, merchant_id: str) -> GradeSums:
        return self._sums(merchant_id, for_update=False)

    def _sums(self, merchant_id: str, *, for_update: bool) -> GradeSums:
        query = sa.select(trust_grade_sums).where(trust_grade_sums.c.merchant_id == merchant_id)
        if for_update:
            query = query.with_for_update()
        row = self._conn.execute(query).mappings().first()
        if row is None:
            return GradeSums(merchant_id)
        return GradeSums(
            **{name: row[name] for name in ("merchant_id", *GRADE_SUM_COLUMNS, "version")}
        )

    def save_sums(self, sums: GradeSums) -> None:
        result = self._conn.execute(
            sa.update(trust_grade_sums)
            .where(trust_grade_sums.c.merchant_id == sums.merchant_id)
            .where(trust_grade_sums.c.version == sums.version)
            .values(
                **{name: getattr(sums, name) for name in GRADE_SUM_COLUMNS},
                version=sums.version + 1,
            )
        )
        if result.rowcount != 1:
            raise Conflict("信用评分正在更新，请重试")
        sums.version += 1

    def add_history(self, entry: GradeHistoryEntry) -> None:
        self._conn.execute(
            sa.insert(trust_grade_history).values(
                merchant_id=entry.merchant_id,
                at=entry.at,
                score=entry.score,
                grade=entry.grade.value,
                cases=entry.cases,
                trigger=entry.trigger,
            )
        )

    def history(self, merchant_id: str, *, limit: int) -> list[GradeHistoryEntry]:
        query = (
            sa.select(trust_grade_history)
            .where(trust_grade_history.c.merchant_id == merchant_id)
            .order_by(trust_grade_history.c.id.desc())
            .limit(limit)
        )
        return [
            GradeHistoryEntry(
                row["merchant_id"],
                row["at"],
                row["score"],
                Grade(row["grade"]),
                row["cases"],
                row["trigger"],
            )
            for row in self._conn.execute(query).mappings()
        ]

    def mark_counted(self, case_id: str, merchant_id: str, *, at: datetime) -> bool:
        inserted = self._conn.execute(
            _insert(self._conn)(trust_counted_cases)
            .values(case_id=case_id, merchant_id=merchant_id, counted_at=at)
            .on_conflict_do_nothing()
            .returning(trust_counted_cases.c.case_id)
        ).first()
        return inserted is not None

    def mark_rating_counted(self, case_id: str) -> bool:
        result = self._conn.execute(
            sa.update(trust_counted_cases)
            .where(trust_counted_cases.c.case_id == case_id)
            .where(trust_counted_cases.c.rating_counted.is_(False))
            .where(trust_counted_cases.c.excluded.is_(False))
            .values(rating_counted=True)
        )
        return result.rowcount == 1

    def exclude(self, case_id: str, merchant_id: str, *, at: datetime) -> tuple[bool, bool]:
        fresh = self._conn.execute(
            _insert(self._conn)(trust_counted_cases)
            .values(case_id=case_id, merchant_id=merchant_id, counted_at=at, excluded=True)
            .on_conflict_do_nothing()
            .returning(trust_counted_cases.c.case_id)
        ).first()
        if fresh is not None:
            return False, False  # never counted; now it never will be
        taken = self._conn.execute(
            sa.update(trust_counted_cases)
            .where(trust_counted_cases.c.case_id == case_id)
            .where(trust_counted_cases.c.excluded.is_(False))
            .values(excluded=True)
            .returning(trust_counted_cases.c.rating_counted)
        ).first()
        return (True, bool(taken[0])) if taken is not None else (False, False)

    def uncounted_closed_cases(self, *, limit: int) -> list[str]:
        counted = sa.select(trust_counted_cases.c.case_id).where(
            trust_counted_cases.c.case_id == cases_table.c.id
        )
        query = (
            sa.select(cases_table.c.id)
            .where(cases_table.c.status == CaseStatus.CLOSED.value)
            .where(~counted.exists())
            .limit(limit)
        )
        return list(self._conn.execute(query).scalars())


class SqlPledgeRepository:
    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def add(self, pledge: Pledge) -> None:
        self._conn.execute(
            sa.insert(trust_pledges).values(
                id=pledge.id, doc=to_doc(pledge), published_at=pledge.published_at
            )
        )

    def get(self, pledge_id: str) -> Pledge | None:
        row = self._conn.execute(
            sa.select(trust_pledges.c.doc).where(trust_pledges.c.id == pledge_id)
        ).first()
        return from_doc(Pledge, row[0]) if row else None

    def all(self) -> list[Pledge]:
        query = sa.select(trust_pledges.c.doc).order_by(trust_pledges.c.published_at)
        return [from_doc(Pledge, doc) for doc in self._conn.execute(query).scalars()]

    def membership(self, pledge_id: str, merchant_id: str) -> Membership | None:
        rows = self._members(
            (trust_pledge_members.c.pledge_id == pledge_id)
            & (trust_pledge_members.c.merchant_id == merchant_id)
        )
        return rows[0] if rows else None

    def memberships_of(self, merchant_id: str, *, for_update: bool = False) -> list[Membership]:
        return self._members(
            trust_pledge_members.c.merchant_id == merchant_id, for_update=for_update
        )

    def members_of(self, pledge_id: str) -> list[Membership]:
        return self._members(trust_pledge_members.c.pledge_id == pledge_id)

    def _members(
        self, where: sa.ColumnElement[bool], *, for_update: bool = False
    ) -> list[Membership]:
        query = (
            sa.select(trust_pledge_members).where(where).order_by(trust_pledge_members.c.joined_at)
        )
        if for_update:
            query = query.with_for_update()
        return [Membership(**row) for row in self._conn.execute(query).mappings()]

    def put_membership(self, membership: Membership) -> None:
        values = dataclasses.asdict(membership)
        key = (trust_pledge_members.c.pledge_id == membership.pledge_id) & (
            trust_pledge_members.c.merchant_id == membership.merchant_id
        )
        updated = self._conn.execute(sa.update(trust_pledge_members).where(key).values(**values))
        if updated.rowcount == 0:
            self._conn.execute(sa.insert(trust_pledge_members).values(**values))
