"""SQLite writers of every process queue on one lock file instead of in SQLite's busy handler."""

from __future__ import annotations

import fcntl
import multiprocessing
import os
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import TEST_PII_KEYS
from weiquan.adapters.crypto import FieldCipher
from weiquan.adapters.db.engine import create_engine
from weiquan.adapters.db.migrate import upgrade
from weiquan.adapters.db.unit_of_work import SqliteWriterLock, SqlUnitOfWorkFactory


def _uow_factory(url: str) -> SqlUnitOfWorkFactory:
    return SqlUnitOfWorkFactory(create_engine(url), FieldCipher.from_secret_list(TEST_PII_KEYS))


def _hold_a_write(url: str, holding: object, release: object) -> None:
    """In another process: open a write transaction and keep it until told to let go."""
    with _uow_factory(url)() as uow:
        uow.connection.exec_driver_sql("CREATE TABLE IF NOT EXISTS probe (n INTEGER)")
        holding.set()  # type: ignore[attr-defined]
        assert release.wait(timeout=30)  # type: ignore[attr-defined]
        uow.commit()


def _lock_is_free(path: Path) -> bool:
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)  # closing drops a lock taken here
    return True


@pytest.fixture
def sqlite_file(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'weiquan.db'}"
    upgrade(url)
    return url


def test_a_writer_in_another_process_holds_the_lock_file_and_this_process_waits_its_turn(
    sqlite_file: str, tmp_path: Path
) -> None:
    spawn = multiprocessing.get_context("spawn")
    holding, release = spawn.Event(), spawn.Event()
    other = spawn.Process(target=_hold_a_write, args=(sqlite_file, holding, release))
    other.start()
    try:
        assert holding.wait(timeout=60)
        lock_file = tmp_path / "weiquan.db-writer.lock"
        assert not _lock_is_free(lock_file)

        wrote = threading.Event()

        def write_here() -> None:
            with _uow_factory(sqlite_file)() as uow:
                uow.connection.exec_driver_sql("INSERT INTO probe VALUES (1)")
                uow.commit()
            wrote.set()

        mine = threading.Thread(target=write_here)
        mine.start()
        assert not wrote.wait(timeout=0.5)  # queued behind the other process
        release.set()
        mine.join(timeout=30)
        assert wrote.is_set()
        assert _lock_is_free(lock_file)
    finally:
        release.set()
        other.join(timeout=30)
    assert other.exitcode == 0
    with sa.create_engine(sqlite_file).connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM probe").scalar_one() == 1


def test_the_lock_is_reentrant_in_a_thread_and_the_file_is_released_with_the_outermost_hold(
    tmp_path: Path,
) -> None:
    database = str(tmp_path / "x.db")
    lock = SqliteWriterLock(database)
    lock.acquire()
    lock.acquire()
    lock.release()
    assert not _lock_is_free(Path(database + "-writer.lock"))
    lock.release()
    assert _lock_is_free(Path(database + "-writer.lock"))


def test_threads_of_one_process_take_turns(tmp_path: Path) -> None:
    lock = SqliteWriterLock(str(tmp_path / "y.db"))
    inside, peak = 0, 0
    guard = threading.Lock()

    def work() -> None:
        nonlocal inside, peak
        for _ in range(200):
            lock.acquire()
            with guard:
                inside += 1
                peak = max(peak, inside)
            with guard:
                inside -= 1
            lock.release()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert peak == 1


def test_an_in_memory_database_needs_no_lock_file(tmp_path: Path) -> None:
    lock = SqliteWriterLock(None)
    lock.acquire()
    lock.release()
    assert list(tmp_path.iterdir()) == []
