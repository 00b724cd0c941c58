"""``GET /healthz``: database, worker and log, each with its facts and, when unhealthy, why."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from weiquan import __version__
from weiquan.bootstrap import App
from weiquan.domain.errors import DomainError
from weiquan.domain.health import HealthLimits, LogFacts, Part, judge_log, judge_worker
from weiquan.services import health

log = logging.getLogger("weiquan.web")


def health_response(app: FastAPI) -> JSONResponse:
    context: App = app.state.context
    now: datetime = app.state.clock()
    body: dict[str, Any] = {"version": __version__}
    try:
        side = health.database_side(context.services)
    except sa.exc.SQLAlchemyError as exc:
        log.warning("health check: database unreachable (%s)", type(exc).__name__)
        body.update(status="degraded", database="unreachable")
        body["reasons"] = ["the database is unreachable"]
        return JSONResponse(body, status_code=503)
    settings = context.settings
    limits = HealthLimits(
        worker_stale=timedelta(seconds=settings.health_worker_stale_seconds),
        seal_lag=timedelta(seconds=settings.health_seal_lag_seconds),
    )
    worker = judge_worker(side.beats, now=now, limits=limits)
    facts = _log_facts(app, side.recorded_size, side.unsealed)
    log_part = judge_log(facts, side.beats, now=now, limits=limits)
    healthy = worker.ok and log_part.ok
    body.update(
        status="ok" if healthy else "degraded",
        database="ok",
        worker=worker.as_dict(),
        log=log_part.as_dict(),
        reasons=_reasons(worker=worker, log=log_part),
    )
    return JSONResponse(body, status_code=200 if healthy else 503)


def _log_facts(app: FastAPI, recorded_size: int, unsealed: int) -> LogFacts:
    try:
        tlog = app.state.log_holder.get()
        size, written_at = tlog.published_size_and_time()
    except DomainError as exc:
        # No log yet (the worker has not started) or one that cannot be read.
        return LogFacts(
            None, None, recorded_size, unsealed, f"the log cannot be read: {exc.message}"
        )
    checkpoint_at = None if written_at is None else datetime.fromtimestamp(written_at, UTC)
    return LogFacts(size, checkpoint_at, recorded_size, unsealed)


def _reasons(**parts: Part) -> list[str]:
    return [f"{name}: {reason}" for name, part in parts.items() for reason in part.reasons]
