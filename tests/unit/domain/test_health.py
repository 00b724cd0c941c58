"""The health verdicts, judged at a given time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from weiquan.domain.health import HealthLimits, LogFacts, WorkerBeat, judge_log, judge_worker

NOW = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)
LIMITS = HealthLimits(worker_stale=timedelta(seconds=60), seal_lag=timedelta(seconds=60))


def beat(
    name: str, *, ago: float, problem: str | None = None, sealed_ago: float | None = None
) -> WorkerBeat:
    at = NOW - timedelta(seconds=ago)
    sealed = None if sealed_ago is None else NOW - timedelta(seconds=sealed_ago)
    return WorkerBeat(
        worker=name,
        pid=1,
        writes_log=True,
        started_at=at,
        heartbeat_at=at,
        last_seal_at=sealed,
        problem=problem,
    )


def test_a_silent_worker_is_reported_with_the_last_problem_it_had() -> None:
    part = judge_worker(
        [beat("a/log", ago=90, problem="sealing: disk full")], now=NOW, limits=LIMITS
    )
    assert not part.ok
    assert part.reasons == [
        (
            "no worker has reported for 90 s (limit 60 s): the worker is down or stuck; "
            "its last problem: sealing: disk full"
        )
    ]


def test_an_old_problem_of_a_worker_long_gone_does_not_spoil_a_live_one() -> None:
    beats = [beat("old/log", ago=3600, problem="crashed"), beat("new/log", ago=1)]
    assert judge_worker(beats, now=NOW, limits=LIMITS).ok


def test_a_database_ahead_of_the_log_is_unhealthy_even_when_nothing_waits() -> None:
    facts = LogFacts(size=10, checkpoint_at=NOW, recorded_size=12, unsealed=0)
    part = judge_log(facts, [beat("a/log", ago=1, sealed_ago=1)], now=NOW, limits=LIMITS)
    assert part.reasons == [
        (
            "the database records 12 log entries but the log holds 10: the log was restored "
            "from an older copy than the database"
        )
    ]


def test_an_idle_log_with_an_old_checkpoint_is_healthy() -> None:
    facts = LogFacts(size=10, checkpoint_at=NOW - timedelta(days=3), recorded_size=10, unsealed=0)
    assert judge_log(facts, [beat("a/log", ago=1, sealed_ago=1)], now=NOW, limits=LIMITS).ok


def test_waiting_records_that_were_never_sealed_are_unhealthy() -> None:
    facts = LogFacts(size=0, checkpoint_at=None, recorded_size=0, unsealed=3)
    part = judge_log(facts, [], now=NOW, limits=LIMITS)
    assert part.reasons == [
        "3 record(s) wait to be sealed and the log has never been sealed (limit 60 s)"
    ]
