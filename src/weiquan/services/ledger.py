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
    CASE_EVENT_KIND_V1,
    EVIDENCE_KIND_V1,
    case_event_entry,
    evidence_entry,
)
from weiquan.services.context import Services
from weiquan.services.ports import EventLog, LoggedEntry, UnitOfWork


def entry_bytes(item: LoggedEntry) -> bytes:
    if item.event is not None:
        return case_event_entry(
            item.event, salt=item.salt, case_key=item.case_key, version=item.entry_version
        )
    assert item.evidence is not None
    return evidence_entry(item.evidence, salt=item.salt, version=item.entry_version)


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
    unidentified: dict[bytes, int] = {}
    for index in range(recorded, log.size):
        entry = log.read_entry(index)
        if not _identify_v1(uow, entry, index):
            unidentified[entry] = index
    if unidentified:
        _identify_by_bytes(uow, unidentified)


def _identify_v1(uow: UnitOfWork, entry: bytes, index: int) -> bool:
    """A v1 entry names its row in clear; False for any other entry."""
    fields = json.loads(entry)
    kind = fields.get("kind")
    if kind not in (CASE_EVENT_KIND_V1, EVIDENCE_KIND_V1):
        return False
    is_event = kind == CASE_EVENT_KIND_V1
    found = uow.ledger.mark_identified(
        case_id=fields["case"],
        seq=fields["seq"] if is_event else None,
        evidence_id=None if is_event else fields["evidence"],
        log_index=index,
    )
    if not found:
        raise _no_record(index)
    return True


def _identify_by_bytes(uow: UnitOfWork, unidentified: dict[bytes, int]) -> None:
    """v2 entries name nothing in clear: each is rebuilt from the waiting rows and matched byte
    for byte (salts are random, so two rows never give the same entry). The entries a crash left
    unrecorded are the oldest waiting rows, so the first look is small; a row committed late
    with an earlier id is why a second, complete look exists."""
    for limit in (len(unidentified) + 1_000, None):
        pending = uow.ledger.pending(limit=limit if limit is not None else 2**62)
        marks = []
        for item in pending:
            index = unidentified.pop(entry_bytes(item), None)
            if index is not None:
                marks.append((item.kind, item.ref, index))
        uow.ledger.mark(marks)
        if not unidentified:
            return
    raise _no_record(min(unidentified.values()))


def _no_record(index: int) -> IntegrityViolation:
    return IntegrityViolation(
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
