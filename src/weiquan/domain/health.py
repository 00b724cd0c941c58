"""Whether the deployment is healthy: the worker's heartbeats and the log's state, judged at a
time the caller passes. Every unhealthy finding comes with a reason an operator can act on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any


@dataclass(frozen=True, slots=True)
class WorkerBeat:
    """What one worker process last reported (one row per host and job)."""

    worker: str
    pid: int
    writes_log: bool
    started_at: datetime
    heartbeat_at: datetime
    last_sweep_at: datetime | None = None
    last_seal_at: datetime | None = None
    log_size: int | None = None
    problem: str | None = None
    problem_since: datetime | None = None


@dataclass(frozen=True, slots=True)
class HealthLimits:
    worker_stale: timedelta = timedelta(seconds=60)
    seal_lag: timedelta = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class LogFacts:
    """The log as a web process sees it, and the database's side of it."""

    size: int | None  # None: the log could not be read
    checkpoint_at: datetime | None
    recorded_size: int  # one past the highest log index the database records
    unsealed: int  # records waiting to be sealed
    problem: str | None = None


@dataclass(slots=True)
class Part:
    """One component's verdict: its facts and, when unhealthy, why."""

    facts: dict[str, Any] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.reasons

    def as_dict(self) -> dict[str, Any]:
        return {"status": "ok" if self.ok else "unhealthy", **self.facts, "reasons": self.reasons}


def _seconds(later: datetime, earlier: datetime | None) -> float | None:
    return None if earlier is None else round((later - earlier).total_seconds(), 1)


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()


def judge_worker(beats: Sequence[WorkerBeat], *, now: datetime, limits: HealthLimits) -> Part:
    part = Part()
    if not beats:
        part.reasons.append(
            "no worker has reported: start `weiquan serve` (which runs one) or `weiquan worker`"
        )
        return part
    newest = max(beats, key=lambda beat: beat.heartbeat_at)
    sweeps = [beat.last_sweep_at for beat in beats if beat.last_sweep_at is not None]
    part.facts = {
        "workers": len(beats),
        "last_heartbeat": _iso(newest.heartbeat_at),
        "heartbeat_age_seconds": _seconds(now, newest.heartbeat_at),
        "last_sweep": _iso(max(sweeps) if sweeps else None),
    }
    live = [beat for beat in beats if now - beat.heartbeat_at <= limits.worker_stale]
    if not live:
        last_words = f"; its last problem: {newest.problem}" if newest.problem else ""
        part.reasons.append(
            f"no worker has reported for {_seconds(now, newest.heartbeat_at):.0f} s "
            f"(limit {limits.worker_stale.total_seconds():.0f} s): the worker is down or "
            f"stuck{last_words}"
        )
    for beat in live:
        if beat.problem:
            part.reasons.append(f"worker {beat.worker}: {beat.problem}")
    return part


def judge_log(
    facts: LogFacts, beats: Sequence[WorkerBeat], *, now: datetime, limits: HealthLimits
) -> Part:
    writers = [beat for beat in beats if beat.writes_log]
    seals = [beat.last_seal_at for beat in writers if beat.last_seal_at is not None]
    last_seal = max(seals) if seals else None
    part = Part(
        facts={
            "size": facts.size,
            "recorded_in_database": facts.recorded_size,
            "unsealed": facts.unsealed,
            "last_checkpoint": _iso(facts.checkpoint_at),
            "checkpoint_age_seconds": _seconds(now, facts.checkpoint_at),
            "last_sealing_round": _iso(last_seal),
            "sealing_lag_seconds": _seconds(now, last_seal),
        }
    )
    if facts.problem:
        part.reasons.append(facts.problem)
    if facts.size is not None and facts.recorded_size > facts.size:
        part.reasons.append(
            f"the database records {facts.recorded_size} log entries but the log holds "
            f"{facts.size}: the log was restored from an older copy than the database"
        )
    if facts.unsealed and (last_seal is None or now - last_seal > limits.seal_lag):
        since = (
            "has never been sealed"
            if last_seal is None
            else f"has not been sealed for {_seconds(now, last_seal):.0f} s"
        )
        part.reasons.append(
            f"{facts.unsealed} record(s) wait to be sealed and the log {since} "
            f"(limit {limits.seal_lag.total_seconds():.0f} s)"
        )
    return part
