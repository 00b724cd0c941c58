"""Evidence records, their chain of custody, and the database side of the transparency log."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from weiquan.adapters.db import tables as t
from weiquan.adapters.db.repositories import event_from_row
from weiquan.domain.accounts import Actor, Role
from weiquan.domain.evidence import CaptureMethod, CustodyAction, CustodyEvent, EvidenceRecord
from weiquan.services.ports import LoggedEntry

CASE_EVENT = "case_event"
EVIDENCE = "evidence"
_MARK_EVENT = t.case_events.update().where(t.case_events.c.id == sa.bindparam("b_id"))
_MARK_EVIDENCE = t.evidence.update().where(t.evidence.c.id == sa.bindparam("b_id"))


# The case's first event, whose salt keys the case tags of all its v2 entries.
_FIRST_EVENT = t.case_events.alias("first_event")


def _events_with_case_key() -> sa.Select[Any]:
    """Case events with ``case_key``, the salt of their case's first event (their case tags'
    key, weiquan.domain.ledger_entries)."""
    return sa.select(t.case_events, _FIRST_EVENT.c.log_salt.label("case_key")).join(
        _FIRST_EVENT,
        sa.and_(_FIRST_EVENT.c.case_id == t.case_events.c.case_id, _FIRST_EVENT.c.seq == 1),
    )


def new_salt() -> str:
    return os.urandom(16).hex()


class SqlEvidenceRepository:
    """Insert-only: there is no update or delete of a record, only a superseding one."""

    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def add(self, record: EvidenceRecord) -> None:
        self._conn.execute(
            t.evidence.insert().values(
                id=record.id,
                case_id=record.case_id,
                sha256=record.sha256,
                size=record.size,
                mime=record.mime,
                original_name=record.original_name,
                method=record.method.value,
                captured_by_role=record.captured_by.role.value,
                captured_by_id=record.captured_by.user_id,
                captured_at=record.captured_at,
                description=record.description,
                supports_seq=record.supports_seq,
                supersedes_id=record.supersedes_id,
                derived=record.derived,
                log_salt=new_salt(),
            )
        )

    def get(self, evidence_id: str) -> EvidenceRecord | None:
        row = self._conn.execute(
            sa.select(t.evidence).where(t.evidence.c.id == evidence_id)
        ).first()
        return evidence_from_row(row._mapping) if row else None

    def for_case(self, case_id: str) -> list[EvidenceRecord]:
        rows = self._conn.execute(
            sa.select(t.evidence)
            .where(t.evidence.c.case_id == case_id)
            .order_by(t.evidence.c.captured_at, t.evidence.c.id)
        )
        return [evidence_from_row(r._mapping) for r in rows]

    def add_custody(self, event: CustodyEvent) -> None:
        self._conn.execute(
            t.custody_events.insert().values(
                evidence_id=event.evidence_id,
                action=event.action.value,
                actor_role=event.actor.role.value,
                actor_id=event.actor.user_id,
                at=event.at,
            )
        )

    def custody_of(self, evidence_id: str) -> list[CustodyEvent]:
        rows = self._conn.execute(
            sa.select(t.custody_events)
            .where(t.custody_events.c.evidence_id == evidence_id)
            .order_by(t.custody_events.c.id)
        )
        return [
            CustodyEvent(
                r.evidence_id, CustodyAction(r.action), Actor(Role(r.actor_role), r.actor_id), r.at
            )
            for r in rows
        ]


def evidence_from_row(row: Mapping[str, Any]) -> EvidenceRecord:
    return EvidenceRecord(
        id=row["id"],
        case_id=row["case_id"],
        sha256=row["sha256"],
        size=row["size"],
        mime=row["mime"],
        original_name=row["original_name"],
        method=CaptureMethod(row["method"]),
        captured_by=Actor(Role(row["captured_by_role"]), row["captured_by_id"]),
        captured_at=row["captured_at"],
        description=row["description"],
        supports_seq=row["supports_seq"],
        supersedes_id=row["supersedes_id"],
        derived=row["derived"],
    )


class SqlLedgerRepository:
    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def pending(self, *, limit: int) -> list[LoggedEntry]:
        events = self._conn.execute(
            _events_with_case_key()
            .where(t.case_events.c.log_index.is_(None))
            .order_by(t.case_events.c.id)
            .limit(limit)
        )
        out = [_event_entry(r._mapping) for r in events]
        evidence = self._conn.execute(
            sa.select(t.evidence)
            .where(t.evidence.c.log_index.is_(None))
            .order_by(t.evidence.c.captured_at, t.evidence.c.id)
            .limit(limit)
        )
        out.extend(_evidence_entry(r._mapping) for r in evidence)
        return out

    def mark(self, marks: Sequence[tuple[str, str, int]]) -> None:
        # One executemany per table with constant statements: a pump batch is up to a thousand
        # rows, and a statement built per row cost more than the update itself.
        events = [
            {"b_id": int(ref), "log_index": i} for kind, ref, i in marks if kind == CASE_EVENT
        ]
        evidence = [{"b_id": ref, "log_index": i} for kind, ref, i in marks if kind != CASE_EVENT]
        if events:
            self._conn.execute(_MARK_EVENT, events)
        if evidence:
            self._conn.execute(_MARK_EVIDENCE, evidence)

    def mark_identified(
        self, *, case_id: str, seq: int | None, evidence_id: str | None, log_index: int
    ) -> bool:
        if evidence_id is not None:
            query = t.evidence.update().where(
                t.evidence.c.id == evidence_id, t.evidence.c.log_index.is_(None)
            )
        else:
            query = t.case_events.update().where(
                t.case_events.c.case_id == case_id,
                t.case_events.c.seq == seq,
                t.case_events.c.log_index.is_(None),
            )
        # Only v1 entries are identified by their fields (v2 ones name nothing in clear).
        values = {"log_index": log_index, "log_entry_version": 1}
        return self._conn.execute(query.values(**values)).rowcount == 1

    def recorded_size(self) -> int:
        events = self._conn.execute(sa.select(sa.func.max(t.case_events.c.log_index))).scalar()
        evidence = self._conn.execute(sa.select(sa.func.max(t.evidence.c.log_index))).scalar()
        values = [v for v in (events, evidence) if v is not None]
        return max(values) + 1 if values else 0

    def entries_of_case(self, case_id: str) -> list[LoggedEntry]:
        events = self._conn.execute(
            _events_with_case_key()
            .where(t.case_events.c.case_id == case_id)
            .order_by(t.case_events.c.seq)
        )
        evidence = self._conn.execute(
            sa.select(t.evidence)
            .where(t.evidence.c.case_id == case_id)
            .order_by(t.evidence.c.captured_at, t.evidence.c.id)
        )
        return [_event_entry(r._mapping) for r in events] + [
            _evidence_entry(r._mapping) for r in evidence
        ]

    def unsealed_count(self) -> int:
        # Both counts read the partial indexes on the unlogged rows, not the tables.
        total = 0
        for table in (t.case_events, t.evidence):
            query = sa.select(sa.func.count()).select_from(table).where(table.c.log_index.is_(None))
            total += int(self._conn.execute(query).scalar_one())
        return total

    def recorded_from(self, start: int, *, limit: int) -> list[LoggedEntry]:
        events = self._conn.execute(
            _events_with_case_key()
            .where(t.case_events.c.log_index >= start)
            .order_by(t.case_events.c.log_index)
            .limit(limit)
        )
        evidence = self._conn.execute(
            sa.select(t.evidence)
            .where(t.evidence.c.log_index >= start)
            .order_by(t.evidence.c.log_index)
            .limit(limit)
        )
        merged = [_event_entry(r._mapping) for r in events]
        merged += [_evidence_entry(r._mapping) for r in evidence]
        merged.sort(key=lambda entry: entry.log_index or 0)
        return merged[:limit]


def _event_entry(row: Mapping[str, Any]) -> LoggedEntry:
    return LoggedEntry(
        kind=CASE_EVENT,
        ref=str(row["id"]),
        salt=bytes.fromhex(row["log_salt"]),
        log_index=row["log_index"],
        event=event_from_row(row),
        entry_version=row["log_entry_version"],
        case_key=bytes.fromhex(row["case_key"]),
    )


def _evidence_entry(row: Mapping[str, Any]) -> LoggedEntry:
    return LoggedEntry(
        kind=EVIDENCE,
        ref=row["id"],
        salt=bytes.fromhex(row["log_salt"]),
        log_index=row["log_index"],
        evidence=evidence_from_row(row),
        entry_version=row["log_entry_version"],
    )
