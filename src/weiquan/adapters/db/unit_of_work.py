"""One transaction per use case: repositories share a connection; commit is explicit."""

from __future__ import annotations

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


class SqlUnitOfWork:
    def __init__(self, engine: sa.Engine, cipher: FieldCipher, *, readonly: bool = False) -> None:
        self._engine = engine
        self._cipher = cipher
        self._readonly = readonly
        self._conn: sa.Connection | None = None
        self._tx: sa.RootTransaction | None = None

    def __enter__(self) -> SqlUnitOfWork:
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
