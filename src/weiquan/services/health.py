"""Worker heartbeats and the database's side of the health report."""

from __future__ import annotations

from dataclasses import dataclass

from weiquan.domain.health import WorkerBeat
from weiquan.services.context import Services


@dataclass(frozen=True, slots=True)
class DatabaseSide:
    beats: list[WorkerBeat]
    recorded_size: int
    unsealed: int


def record_beat(svc: Services, beat: WorkerBeat) -> None:
    with svc.uow() as uow:
        uow.workers.save(beat)
        uow.commit()


def database_side(svc: Services) -> DatabaseSide:
    with svc.uow(readonly=True) as uow:
        return DatabaseSide(
            beats=uow.workers.all(),
            recorded_size=uow.ledger.recorded_size(),
            unsealed=uow.ledger.unsealed_count(),
        )
