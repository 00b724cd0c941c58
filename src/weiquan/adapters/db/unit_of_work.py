"""One transaction per use case: repositories share a connection; commit is explicit."""

from __future__ import annotations

import fcntl
import os
import threading
import weakref
from pathlib import Path
from types import TracebackType

import sqlalchemy as sa

from weiquan.adapters.crypto import FieldCipher
from weiquan.adapters.db.evidence_repositories import SqlEvidenceRepository, SqlLedgerRepository
from weiquan.adapters.db.notify_repositories import SqlNoticeRepository, SqlWebhookRepository
from weiquan.adapters.db.operations_repositories import SqlWorkerStatusRepository
from weiquan.adapters.db.repositories import (
    SqlCaseRepository,
    SqlIdempotencyRepository,
    SqlMerchantRepository,
    SqlUserRepository,
)
from weiquan.adapters.db.request_repository import SqlIdempotentRequestRepository
from weiquan.adapters.db.session_repository import SqlSessionRepository
from weiquan.adapters.db.trust_repositories import (
    SqlGradeRepository,
    SqlPledgeRepository,
    dispute_repository,
    report_repository,
    review_repository,
    vetting_repository,
)
from weiquan.adapters.db.upload_repositories import SqlUploadRepository


class SqliteWriterLock:
    """SQLite allows one writer at a time. Writers queue here instead of meeting in SQLite's busy
    handler, whose sleep-and-retry backoff (1, 2, 5, 10 … 100 ms) let tail latency reach a
    second: threads of this process on a lock, then processes on an advisory ``flock`` of a
    file beside the database, which the kernel hands on the moment it is released."""

    def __init__(self, database: str | None) -> None:
        self._threads = threading.RLock()
        self._depth = 0
        self._path = Path(database + "-writer.lock") if database else None
        self._fd: int | None = None

    def acquire(self) -> None:
        self._threads.acquire()
        try:
            if self._depth == 0 and self._path is not None:
                if self._fd is None:
                    self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
                fcntl.flock(self._fd, fcntl.LOCK_EX)
            self._depth += 1
        except BaseException:
            self._threads.release()
            raise

    def release(self) -> None:
        self._depth -= 1
        if self._depth == 0 and self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._threads.release()


# Keyed by the engine itself (weakly): an id() could be reused by a later engine on another file.
_WRITER_LOCKS: weakref.WeakKeyDictionary[sa.Engine, SqliteWriterLock] = weakref.WeakKeyDictionary()
_WRITER_LOCKS_GUARD = threading.Lock()


def _sqlite_writer_lock(engine: sa.Engine) -> SqliteWriterLock | None:
    if engine.dialect.name != "sqlite":
        return None
    database = engine.url.database
    with _WRITER_LOCKS_GUARD:
        lock = _WRITER_LOCKS.get(engine)
        if lock is None:
            in_memory = not database or database == ":memory:"
            lock = _WRITER_LOCKS[engine] = SqliteWriterLock(None if in_memory else database)
        return lock


class SqlUnitOfWork:
    def __init__(self, engine: sa.Engine, cipher: FieldCipher, *, readonly: bool = False) -> None:
        self._engine = engine
        self._cipher = cipher
        self._readonly = readonly
        self._conn: sa.Connection | None = None
        self._writer_lock: SqliteWriterLock | None = None
        self._tx: sa.RootTransaction | None = None

    def __enter__(self) -> SqlUnitOfWork:
        self._writer_lock = _sqlite_writer_lock(self._engine) if not self._readonly else None
        if self._writer_lock is not None:
            self._writer_lock.acquire()
        try:
            return self._open()
        except BaseException:
            self._release_writer()
            raise

    def _open(self) -> SqlUnitOfWork:
        conn = self._engine.connect()
        if self._readonly:
            conn = conn.execution_options(readonly=True)
        self._conn = conn
        self._tx = conn.begin()
        self.users = SqlUserRepository(conn, self._cipher)
        self.sessions = SqlSessionRepository(conn, self._cipher)
        self.merchants = SqlMerchantRepository(conn)
        self.cases = SqlCaseRepository(conn)
        self.idempotency = SqlIdempotencyRepository(conn)
        self.requests = SqlIdempotentRequestRepository(conn, self._cipher)
        self.evidence = SqlEvidenceRepository(conn)
        self.ledger = SqlLedgerRepository(conn)
        self.workers = SqlWorkerStatusRepository(conn)
        self.vetting = vetting_repository(conn, self._cipher)
        self.reports = report_repository(conn, self._cipher)
        self.reviews = review_repository(conn)
        self.disputes = dispute_repository(conn)
        self.grades = SqlGradeRepository(conn)
        self.pledges = SqlPledgeRepository(conn)
        self.uploads = SqlUploadRepository(conn)
        self.notices = SqlNoticeRepository(conn, self._cipher)
        self.webhooks = SqlWebhookRepository(conn, self._cipher)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self._tx is not None and self._tx.is_active:
                self._tx.rollback()  # anything not committed explicitly is undone
        finally:
            if self._conn is not None:
                self._conn.close()
            self._release_writer()

    def _release_writer(self) -> None:
        if self._writer_lock is not None:
            self._writer_lock.release()
            self._writer_lock = None

    def commit(self) -> None:
        assert self._tx is not None
        self._tx.commit()

    def rollback(self) -> None:
        assert self._tx is not None
        self._tx.rollback()

    @property
    def connection(self) -> sa.Connection:
        assert self._conn is not None
        return self._conn


class SqlUnitOfWorkFactory:
    def __init__(self, engine: sa.Engine, cipher: FieldCipher) -> None:
        self.engine = engine
        self.cipher = cipher

    def __call__(self, *, readonly: bool = False) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, self.cipher, readonly=readonly)
