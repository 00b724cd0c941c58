"""Publishing the record to the transparency log.

Case events and evidence are committed to the database first (the outbox); this pump appends
them to the log in batches and stores each entry's index. If the process dies after the log
acknowledged a batch but before the database recorded it, the next run finds log entries past
the highest recorded index, identifies their rows from the entries themselves and records them,
so nothing is logged twice and nothing acknowledged is lost.
"""

from __future__ import annotations

import json

from weiquan.domain.errors import IntegrityViolation
from weiquan.domain.ledger_entries import (
    CASE_EVENT_KIND,
    EVIDENCE_KIND,
    case_event_entry,
    evidence_entry,
)
from weiquan.services.context import Services
from weiquan.services.ports import EventLog, LoggedEntry, UnitOfWork


def entry_bytes(item: LoggedEntry) -> bytes:
    if item.event is not None:
        return case_event_entry(item.event, salt=item.salt)
    assert item.evidence is not None
    return evidence_entry(item.evidence, salt=item.salt)


def publish(svc: Services, log: EventLog, *, batch_size: int = 1_000) -> int:
    """Appends everything that was waiting when it was called (what arrives meanwhile waits for
    the next call); returns how many entries were appended.

    The slow part (building entries, the log's fsync and signed checkpoint) runs outside any
    write transaction: on SQLite a writer shuts out every other writer, and holding the lock
    through it stalled complaint intake for a tenth of a second per batch. A crash between the
    append and the short transaction that records the indices is what reconciliation repairs.
    """
    appended = 0
    with svc.uow() as uow:
        _reconcile(uow, log)
        uow.commit()
    while True:
        with svc.uow(readonly=True) as uow:
            pending = uow.ledger.pending(limit=batch_size)
        if not pending:
            return appended
        indices = log.append_many([entry_bytes(item) for item in pending])
        with svc.uow() as uow:
            uow.ledger.mark(
                [(item.kind, item.ref, index) for item, index in zip(pending, indices, strict=True)]
            )
            uow.commit()
        appended += len(pending)
        if len(pending) < batch_size:
            # Everything that was waiting is in. Under steady intake more has arrived meanwhile;
            # chasing it in small batches (each with its fsyncs and a signed checkpoint) cost
            # the worker half a core at 1,000 complaints/s. It waits for the next round instead.
            return appended


def _reconcile(uow: UnitOfWork, log: EventLog) -> None:
    recorded = uow.ledger.recorded_size()
    if recorded > log.size:
        raise IntegrityViolation(
            f"数据库记录的日志序号 ({recorded}) 超过日志长度 ({log.size})：日志文件可能被替换或回滚"
        )
    for index in range(recorded, log.size):
        entry = json.loads(log.read_entry(index))
        kind = entry.get("kind")
        if kind == CASE_EVENT_KIND:
            found = uow.ledger.mark_identified(
                case_id=entry["case"], seq=entry["seq"], evidence_id=None, log_index=index
            )
        elif kind == EVIDENCE_KIND:
            found = uow.ledger.mark_identified(
                case_id=entry["case"], seq=None, evidence_id=entry["evidence"], log_index=index
            )
        else:
            found = False
        if not found:
            raise IntegrityViolation(
                f"日志第 {index} 条在数据库中找不到对应记录：数据库可能是从比日志更旧的备份恢复的"
                f" (log entry {index} has no record in the database, which is older than the "
                "log: restore the database and the log from the same `weiquan backup`; "
                "docs/operations.md)"
            )


def recorded_entries(svc: Services, start: int, *, batch_size: int = 1_000) -> list[bytes]:
    """The entries the database records at log indices ``start`` onwards, rebuilt from their
    rows (entries are deterministic: the row plus its salt), for re-appending them to a log that
    was restored from an older copy. Stops at the first index the database does not hold."""
    entries: list[bytes] = []
    while True:
        with svc.uow(readonly=True) as uow:
            batch = uow.ledger.recorded_from(start + len(entries), limit=batch_size)
        for item in batch:
            if item.log_index != start + len(entries):
                return entries
            entries.append(entry_bytes(item))
        if len(batch) < batch_size:
            return entries
