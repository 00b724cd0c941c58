"""Engine creation: SQLite in WAL mode by default, PostgreSQL through a URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import make_url


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


# SQLite's ``PRAGMA synchronous`` in WAL mode. "full" syncs the log at every commit, so an
# acknowledged write survives a power cut; "normal" syncs only at checkpoints, so it survives a
# crashed process but not a lost machine.
SqliteSynchronous = Literal["full", "normal"]
_SYNCHRONOUS_PRAGMA: dict[str, str] = {
    "full": "PRAGMA synchronous=FULL",
    "normal": "PRAGMA synchronous=NORMAL",
}


def create_engine(
    url: str, *, pool_size: int = 10, sqlite_synchronous: SqliteSynchronous = "full"
) -> sa.Engine:
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        if sqlite_synchronous not in _SYNCHRONOUS_PRAGMA:
            raise ValueError(f"unknown SQLite synchronous mode: {sqlite_synchronous!r}")
        synchronous = _SYNCHRONOUS_PRAGMA[sqlite_synchronous]

        def set_pragmas(dbapi_connection: Any, _record: Any) -> None:
            _sqlite_pragmas(dbapi_connection, synchronous)

        engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        sa.event.listen(engine, "connect", set_pragmas)
        sa.event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    return sa.create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection: Any, synchronous_pragma: str) -> None:
    # Python's sqlite3 opens transactions lazily; we issue BEGIN ourselves (see below).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(synchronous_pragma)
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin_immediate(connection: sa.Connection) -> None:
    # Writers take the lock at BEGIN so two of them queue (busy_timeout) instead of failing on a
    # lock upgrade half-way; readers stay deferred so WAL lets them run beside a writer.
    if connection.get_execution_options().get("readonly"):
        connection.exec_driver_sql("BEGIN")
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
