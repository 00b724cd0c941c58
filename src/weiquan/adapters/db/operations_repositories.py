"""Worker heartbeats (the ``worker_status`` table)."""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa

from weiquan.adapters.db.tables_operations import worker_status
from weiquan.domain.health import WorkerBeat


class SqlWorkerStatusRepository:
    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def save(self, beat: WorkerBeat) -> None:
        values = dataclasses.asdict(beat)
        updated = self._conn.execute(
            worker_status.update().where(worker_status.c.worker == beat.worker).values(values)
        )
        if updated.rowcount == 0:
            self._conn.execute(worker_status.insert().values(values))

    def all(self) -> list[WorkerBeat]:
        rows = self._conn.execute(sa.select(worker_status).order_by(worker_status.c.worker))
        return [WorkerBeat(**row._mapping) for row in rows]
