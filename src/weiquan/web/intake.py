"""Group commit for API intake: complaints that arrive together are filed in one transaction.

Request handlers hand their submission to one filing thread per process and wait for its
outcome without blocking the event loop. The thread takes everything that queued while it was
writing the previous group and files it with :func:`cases.file_complaints`, so under load one
transaction (one BEGIN, one statement per table, one COMMIT) carries many complaints, and when
the server is quiet a group is a single complaint filed at once. On SQLite, where writers take
turns anyway, this also replaces a crowd of threads waiting on the write lock with one queue.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading

from weiquan.domain.errors import Unavailable
from weiquan.services import cases
from weiquan.services.context import Services

log = logging.getLogger("weiquan.intake")

_Waiting = tuple[cases.Submission, asyncio.AbstractEventLoop, "asyncio.Future[cases.Filed]"]


class IntakeQueue:
    def __init__(self, services: Services, *, max_group: int = cases.MAX_GROUP) -> None:
        self._services = services
        self._max_group = max_group
        self._queue: queue.SimpleQueue[_Waiting | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
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
        """Files what is still queued, then stops the thread."""
        with self._lock:
            self._closed = True
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout=30)

    def _start(self) -> None:
        with self._lock:
            if self._closed:
                raise Unavailable(
                    "服务器正在重启，暂不受理新投诉，请稍后重试 (shutting down; retry)"
                )
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="weiquan-intake", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is None:
                break
            group = [first]
            while len(group) < self._max_group:
                try:
                    waiting = self._queue.get_nowait()
                except queue.Empty:
                    break
                if waiting is None:
                    stopping = True
                    break
                group.append(waiting)
            self._file(group)

    def _file(self, group: list[_Waiting]) -> None:
        try:
            outcomes = cases.file_complaints(self._services, [s for s, _, _ in group])
        except Exception as exc:  # noqa: BLE001 - every waiting request must get an answer
            # The type only: a database error's text can carry the complaint's own words.
            log.error("filing a group of %d complaints failed: %s", len(group), type(exc).__name__)
            outcomes = [exc] * len(group)
        self.groups_filed += 1
        self.largest_group = max(self.largest_group, len(group))
        for (_, loop, future), outcome in zip(group, outcomes, strict=True):
            try:
                loop.call_soon_threadsafe(_settle, future, outcome)
            except RuntimeError:  # that request's event loop is gone; nobody is waiting
                continue


def _settle(future: asyncio.Future[cases.Filed], outcome: cases.Filed | Exception) -> None:
    if future.cancelled():  # the client went away; the complaint stands all the same
        return
    if isinstance(outcome, Exception):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)
