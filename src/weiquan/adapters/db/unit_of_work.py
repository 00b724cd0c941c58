"""One transaction per use case: repositories share a connection; commit is explicit."""

from __future__ import annotations

import threading
from types import TracebackType

import sqlalchemy as sa

from weiquan.adapters.crypto import FieldCipher
from weiquan.adapters.db.evidence_repositories import SqlEvidenceRepository, SqlLedgerRepository
from weiquan.adapters.db.repositories import (
    SqlCaseRepository,
    SqlIdempotencyRepository,
    SqlMerchantRepository,
    SqlUserRepository,
)
from weiquan.adapters.db.trust_repositories import (
    SqlGradeRepository,
    SqlPledgeRepository,
    dispute_repository,
    report_repository,
    review_repository,
    vetting_repository,
)

_WRITER_LOCKS: dict[int, threading.RLock] = {}
_WRITER_LOCKS_GUARD = threading.Lock()


def _sqlite_writer_lock(engine: sa.Engine) -> threading.RLock | None:
    """SQLite allows one writer; threads of one process queue on this lock instead of meeting in
    SQLite's busy handler, whose sleep-and-retry backoff makes tail latency jump to a second."""
    if engine.dialect.name != "sqlite":
        return None
    with _WRITER_LOCKS_GUARD:
        return _WRITER_LOCKS.setdefault(id(engine), threading.RLock())


class SqlUnitOfWork:
    def __init__(self, engine: sa.Engine, cipher: FieldCipher, *, readonly: bool = False) -> None:
        self._engine = engine
        self._cipher = cipher
        self._readonly = readonly
        self._conn: sa.Connection | None = None
        self._writer_lock: threading.RLock | None = None
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
        self.merchants = SqlMerchantRepository(conn)
        self.cases = SqlCaseRepository(conn)
        self.idempotency = SqlIdempotencyRepository(conn)
        self.evidence = SqlEvidenceRepository(conn)
        self.ledger = SqlLedgerRepository(conn)
        self.vetting = vetting_repository(conn)
        self.reports = report_repository(conn)
        self.reviews = review_repository(conn)
        self.disputes = dispute_repository(conn)
        self.grades = SqlGradeRepository(conn)
        self.pledges = SqlPledgeRepository(conn)
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
