"""The worker process, and the supervisor that keeps one running beside ``weiquan serve``.

The worker does two things on two clocks: it sweeps deadlines (silent merchants, mediation past
its term, unfulfilled settlements) every ``WEIQUAN_WORKER_INTERVAL_SECONDS``, and it seals new
case events and evidence into the transparency log every ``WEIQUAN_LOG_INTERVAL_SECONDS``. It is
a process of its own, not a thread of the web server: hashing, signing and entry building are CPU
work, and inside the web process they held the interpreter lock against request handling (one
process served 1,400 complaints/s with them and 2,100/s without, docs/performance.md).
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from weiquan.adapters.tlog.keys import KeyStore
from weiquan.adapters.tlog.log import TransparencyLog
from weiquan.bootstrap import App, reload_calendar, timestamp_if_configured
from weiquan.domain.errors import DomainError, IntegrityViolation
from weiquan.domain.health import WorkerBeat
from weiquan.services import health, ledger, notifications, webhooks
from weiquan.services import worker as worker_service

log = logging.getLogger("weiquan.worker")
supervision = logging.getLogger("weiquan.serve")

Report = Callable[[list[worker_service.StepTaken]], None]
REVISIT_OPEN_DEADLINES_SECONDS = 600.0
HEARTBEAT_SECONDS = 5.0


def sweep_and_publish(
    context: App, tlog: TransparencyLog | None, *, now: datetime
) -> tuple[list[worker_service.StepTaken], int]:
    """One full round: (the steps taken on cases, log entries appended)."""
    taken = worker_service.sweep(context.services, now=now)
    return taken, publish(context, tlog)


def publish(context: App, tlog: TransparencyLog | None) -> int:
    if tlog is None:
        return 0
    follow_key_rotation(context, tlog)
    appended = ledger.publish(context.services, tlog)
    if appended:
        timestamp_if_configured(context, tlog)
    return appended


def follow_key_rotation(context: App, tlog: TransparencyLog) -> None:
    """Sign with the key ``weiquan keys rotate-log-key`` made active, without a restart."""
    keys = KeyStore(context.settings.key_dir, name=context.settings.log_origin)
    if keys.active_key_id() != tlog.signer_key_id:
        tlog.replace_signer(keys.active_signer())
        log.info("signing the log with the new key %08x", keys.active_key_id())


def worker_name(*, writes_log: bool) -> str:
    return f"{socket.gethostname()}/{'log' if writes_log else 'sweep'}"


def describe(exc: BaseException) -> str:
    """A failed round in words safe for logs and /healthz: our own integrity messages (about the
    log and the database, never about a person) in full, anything else by its type only, since a
    database error's text can carry a complainant's own words."""
    if isinstance(exc, IntegrityViolation):
        return f"{exc.code}: {exc.message}"
    if isinstance(exc, DomainError):
        return exc.code
    return type(exc).__name__


@dataclass
class Heartbeat:
    """What this worker tells /healthz (through the database): sent every few seconds, and at
    once when a problem starts or ends."""

    context: App
    writes_log: bool
    started_at: datetime
    every: float = HEARTBEAT_SECONDS
    last_sweep_at: datetime | None = None
    last_seal_at: datetime | None = None
    log_size: int | None = None
    problems: dict[str, str] = field(default_factory=dict)
    problem_since: datetime | None = None
    _next: float = field(default=0.0, init=False)

    def round_done(self, job: str, *, at: datetime, problem: str | None) -> None:
        before = self._problem()
        first = (self.last_sweep_at if job == "sweep" else self.last_seal_at) is None
        if problem is None:
            self.problems.pop(job, None)
            if job == "sweep":
                self.last_sweep_at = at
            else:
                self.last_seal_at = at
        else:
            self.problems[job] = problem
        changed = self._problem() != before
        if changed:
            self.problem_since = at if self.problems else None
        if changed or (first and problem is None) or time.monotonic() >= self._next:
            self.send(at)

    def send(self, at: datetime) -> None:
        beat = WorkerBeat(
            worker=worker_name(writes_log=self.writes_log),
            pid=os.getpid(),
            writes_log=self.writes_log,
            started_at=self.started_at,
            heartbeat_at=at,
            last_sweep_at=self.last_sweep_at,
            last_seal_at=self.last_seal_at,
            log_size=self.log_size,
            problem=self._problem(),
            problem_since=self.problem_since,
        )
        try:
            health.record_beat(self.context.services, beat)
        except Exception as exc:  # noqa: BLE001 - a missed heartbeat shows as a stale one
            log.warning("could not record the worker's heartbeat (%s)", type(exc).__name__)
        self._next = time.monotonic() + self.every

    def _problem(self) -> str | None:
        return "; ".join(f"{job}: {text}" for job, text in sorted(self.problems.items())) or None


@dataclass
class WorkerLoop:
    """Runs until ``stop`` is set, or until the process that started it is gone."""

    context: App
    tlog: TransparencyLog | None
    sweep_every: float
    publish_every: float
    report: Report
    clock: Callable[[], datetime]
    parent_pid: int | None = None
    stop: threading.Event = field(default_factory=threading.Event)
    heartbeat: Heartbeat | None = None
    _next_revisit: float = field(default=0.0, init=False)

    def run(self) -> None:
        if self.heartbeat is None:
            self.heartbeat = Heartbeat(
                self.context, writes_log=self.tlog is not None, started_at=self.clock()
            )
        next_sweep = time.monotonic()
        while not self.stop.is_set() and self._parent_alive():
            if time.monotonic() >= next_sweep:
                self._round("sweep", self._sweep)
                next_sweep = time.monotonic() + self.sweep_every
            if self.tlog is not None:
                self._round("sealing", self._publish)
            pause = self.publish_every if self.tlog is not None else self.sweep_every
            self.stop.wait(max(0.0, min(pause, next_sweep - time.monotonic())))

    def _round(self, job: str, step: Callable[[], object]) -> None:
        problem = self._guarded(step)
        assert self.heartbeat is not None
        self.heartbeat.round_done(job, at=self.clock(), problem=problem)

    def _publish(self) -> None:
        publish(self.context, self.tlog)
        if self.heartbeat is not None and self.tlog is not None:
            self.heartbeat.log_size = self.tlog.size

    def _sweep(self) -> None:
        # Deadlines left open for lack of calendar data can only be completed once the calendar
        # has grown: revisit them when it has, at start, and every few minutes in case a web
        # process filed one with an older calendar meanwhile, not on every sweep.
        grown = reload_calendar(self.context)
        due = time.monotonic() >= self._next_revisit
        if grown or due:
            self._next_revisit = time.monotonic() + REVISIT_OPEN_DEADLINES_SECONDS
        taken = worker_service.sweep(
            self.context.services, now=self.clock(), revisit_open_deadlines=grown or due
        )
        self.report(taken)

    def _parent_alive(self) -> bool:
        # Started by `weiquan serve`: a server that died without stopping us leaves us orphaned.
        if self.parent_pid is not None and os.getppid() != self.parent_pid:
            log.warning("the server that started this worker is gone; stopping")
            return False
        return True

    @staticmethod
    def _guarded(step: Callable[[], object]) -> str | None:
        """A failed round is logged and the next one tried: a worker that stops on the first
        database hiccup leaves every deadline unattended. Returns what went wrong, if anything."""
        try:
            step()
        except DomainError as exc:
            log.error("worker round failed: %s", describe(exc))
            return describe(exc)
        except Exception as exc:  # noqa: BLE001 - see the docstring
            log.error("worker round crashed (%s); trying again next round", describe(exc))
            return f"crashed ({describe(exc)})"
        return None


@dataclass
class SenderLoop:
    """Delivers due notices (e-mail, SMS) until ``stop`` is set: batch after batch while there
    is work, then a pause of ``every`` seconds.

    It runs as a thread of the worker process rather than as a step of the worker's loop: sending
    is waiting on SMTP servers and SMS gateways, which releases the interpreter lock, and a slow
    mail server must not hold up deadline sweeps or log sealing. Being in the worker, it is
    supervised by ``weiquan serve`` with it; further ``weiquan worker --no-log`` processes on
    PostgreSQL share the outbox (rows claimed with SKIP LOCKED and leased).
    """

    context: App
    every: float
    clock: Callable[[], datetime]
    stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, name="weiquan-sender", daemon=True)
        thread.start()
        return thread

    def run(self) -> None:
        while not self.stop.is_set():
            busy = False
            try:
                busy = self.round() > 0
            except Exception as exc:  # noqa: BLE001 - the next round tries again
                log.error("notice delivery round crashed (%s)", type(exc).__name__)
            if not busy:
                self.stop.wait(self.every)

    def round(self) -> int:
        now = self.clock()
        done = notifications.deliver_due(self.context.services, now=now)
        posted = webhooks.deliver_due(self.context.services, now=now)
        if done.failed or posted.failed:
            log.warning(
                "%d notice(s) and %d webhook(s) given up; staff can retry them",
                done.failed,
                posted.failed,
            )
        return done.handled + posted.handled


class Companion:
    """Keeps one ``weiquan worker`` running beside the web server: started with it, restarted
    (with a growing pause) if it exits, stopped with it."""

    def __init__(self) -> None:
        self._command = [
            sys.executable,
            "-m",
            "weiquan",
            "worker",
            "--parent-pid",
            str(os.getpid()),
        ]
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._thread = threading.Thread(
            target=self._supervise, name="weiquan-companion", daemon=True
        )

    def start(self) -> Companion:
        self._thread.start()
        return self

    def _supervise(self) -> None:
        pause = 1.0
        while True:
            with self._lock:
                if self._stopping.is_set():
                    return
                self._process = subprocess.Popen(self._command)  # noqa: S603
                process = self._process
            started = time.monotonic()
            code = process.wait()
            if self._stopping.is_set():
                return
            if time.monotonic() - started > 60:
                pause = 1.0  # it ran for a while: this is a fresh failure, not a crash loop
            supervision.error(
                "the worker exited (status %s); starting it again in %.0f s", code, pause
            )
            if self._stopping.wait(pause):
                return
            pause = min(pause * 2, 60.0)

    def stop(self, timeout: float = 15.0) -> None:
        with self._lock:
            self._stopping.set()
            process = self._process
        if process is None or process.poll() is not None:
            return
        process.terminate()  # the worker finishes its round and exits
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
