"""Group commit for API intake: complaints that arrive together are filed in one transaction.

Request handlers hand their submission to the process's intake queue and wait for its outcome
without blocking the event loop. Two threads file them, one stage each:

- the *preparing* thread takes everything that queued while the previous group was waiting for
  its write transaction, and checks and builds it on a read snapshot
  (:func:`cases.prepare_complaints`), which is most of the work;
- the *writing* thread writes each prepared group in one transaction and commits it
  (:func:`cases.write_prepared`), then answers its requests.

As soon as a group's write transaction is open the next group is taken and prepared, so the
CPU work of one group overlaps the commit of the one before, which waits for the disk (SQLite
with ``synchronous=FULL``) or the database server. Measured before this split, one thread did
both in turn and spent more of its time waiting on commits than working (docs/performance.md).
Under load one transaction (one BEGIN, one statement per table, one COMMIT) carries many
complaints; when the server is quiet a group is a single complaint filed at once. On SQLite,
where writers take turns anyway, this also replaces a crowd of threads waiting on the write lock
with one queue.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Sequence

from weiquan.domain.errors import Unavailable
from weiquan.services import cases
from weiquan.services.context import Services

log = logging.getLogger("weiquan.intake")

_Waiting = tuple[cases.Submission, asyncio.AbstractEventLoop, "asyncio.Future[cases.Filed]"]
_Prepared = tuple[list[_Waiting], cases.PreparedGroup | Exception]


class IntakeQueue:
    def __init__(self, services: Services, *, max_group: int = cases.MAX_GROUP) -> None:
        self._services = services
        self._max_group = max_group
        self._queue: queue.SimpleQueue[_Waiting | None] = queue.SimpleQueue()
        self._prepared: queue.SimpleQueue[_Prepared | None] = queue.SimpleQueue()
        # Held by the preparing thread from taking a group until that group's write transaction
        # is open: the next group is whatever arrived meanwhile, and at most one group is
        # prepared ahead of the one being written.
        self._turn = threading.Semaphore(1)
        self._threads: list[threading.Thread] = []
        self._closed = False
        self._lock = threading.Lock()
        self.groups_filed = 0  # counters for the benchmark and the tests
        self.largest_group = 0

    @property
    def waiting(self) -> int:
        """Submissions queued and not yet taken into a group."""
        return self._queue.qsize()

    async def file(self, submission: cases.Submission) -> cases.Filed:
        """Files the complaint with whatever else is waiting; raises what refused it."""
        loop = asyncio.get_running_loop()
        outcome: asyncio.Future[cases.Filed] = loop.create_future()
        self._start()
        self._queue.put((submission, loop, outcome))
        return await outcome

    def close(self) -> None:
        """Files what is still queued, then stops the threads."""
        with self._lock:
            self._closed = True
            threads, self._threads = self._threads, []
        if threads:
            self._queue.put(None)
            for thread in threads:
                thread.join(timeout=30)

    def _start(self) -> None:
        with self._lock:
            if self._closed:
                raise Unavailable(
                    "服务器正在重启，暂不受理新投诉，请稍后重试 (shutting down; retry)"
                )
            if not self._threads:
                self._threads = [
                    threading.Thread(
                        target=self._prepare_groups, name="weiquan-intake", daemon=True
                    ),
                    threading.Thread(
                        target=self._write_groups, name="weiquan-intake-write", daemon=True
                    ),
                ]
                for thread in self._threads:
                    thread.start()

    def _prepare_groups(self) -> None:
        stopping = False
        while not stopping:
            self._turn.acquire()  # the previous group's write transaction is open
            group, stopping = self._take()
            if not group:
                break
            submissions = [s for s, _, _ in group]
            try:
                prepared = cases.prepare_complaints(self._services, submissions)
            except Exception as exc:  # noqa: BLE001 - every waiting request must get an answer
                _log_failure(group, exc)
                prepared = exc
            self._prepared.put((group, prepared))
        self._prepared.put(None)

    def _take(self) -> tuple[list[_Waiting], bool]:
        """(the next group, whether the queue is closing); blocks until there is one."""
        first = self._queue.get()
        if first is None:
            return [], True
        group = [first]
        while len(group) < self._max_group:
            try:
                waiting = self._queue.get_nowait()
            except queue.Empty:
                break
            if waiting is None:
                return group, True
            group.append(waiting)
        return group, False

    def _write_groups(self) -> None:
        while (item := self._prepared.get()) is not None:
            group, prepared = item
            if isinstance(prepared, Exception):
                self._turn.release()
                self._answer(group, [prepared] * len(group))
                continue
            try:
                outcomes = cases.write_prepared(
                    self._services, prepared, writing=self._turn.release
                )
            except Exception as exc:  # noqa: BLE001 - every waiting request must get an answer
                _log_failure(group, exc)
                outcomes = [exc] * len(group)
            self._answer(group, outcomes)

    def _answer(self, group: list[_Waiting], outcomes: Sequence[cases.Filed | Exception]) -> None:
        self.groups_filed += 1
        self.largest_group = max(self.largest_group, len(group))
        for (_, loop, future), outcome in zip(group, outcomes, strict=True):
            try:
                loop.call_soon_threadsafe(_settle, future, outcome)
            except RuntimeError:  # that request's event loop is gone; nobody is waiting
                continue


def _log_failure(group: list[_Waiting], exc: Exception) -> None:
    # The type only: a database error's text can carry the complaint's own words.
    log.error("filing a group of %d complaints failed: %s", len(group), type(exc).__name__)


def _settle(future: asyncio.Future[cases.Filed], outcome: cases.Filed | Exception) -> None:
    if future.cancelled():  # the client went away; the complaint stands all the same
        return
    if isinstance(outcome, Exception):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)
