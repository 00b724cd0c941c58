"""Shared fixtures: migrated SQLite and PostgreSQL databases, wired services, personas."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.support.world import World, build_world
from weiquan.adapters.blobstore import FilesystemBlobStore
from weiquan.adapters.crypto import (
    Argon2Passwords,
    FieldCipher,
    KeyedHash,
    RandomIds,
    new_key_entry,
)
from weiquan.adapters.db.engine import create_engine, is_sqlite
from weiquan.adapters.db.migrate import upgrade
from weiquan.adapters.db.tables import metadata
from weiquan.adapters.db.unit_of_work import SqlUnitOfWorkFactory
from weiquan.adapters.holiday_calendar import ChinaWorkdayCalendar
from weiquan.adapters.throttle import LimitsThrottle, SqlWindowStorage
from weiquan.domain.workflow import DeadlinePolicy
from weiquan.services.context import Services

# The log's published checkpoint lives outside the data directory, by default under
# $XDG_STATE_HOME: tests (and the servers they start) keep theirs in a directory of the run's
# own, never in the home directory of whoever runs them.
os.environ["XDG_STATE_HOME"] = tempfile.mkdtemp(prefix="weiquan-test-state-")
# xdist hands its workers one id per run; a run without xdist makes its own.
_RUN_ID = os.environ.get("PYTEST_XDIST_TESTRUNUID", uuid.uuid4().hex)[:8]
PG_ADMIN_URL = os.environ.get(
    "WEIQUAN_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
TEST_PII_KEYS = new_key_entry("test")
TEST_LOOKUP_KEY = "test-lookup-key-" + new_key_entry("lookup")


@pytest.fixture(scope="session")
def calendar() -> ChinaWorkdayCalendar:
    return ChinaWorkdayCalendar()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'weiquan.db'}"
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A database of its own per xdist worker and run, made from the server's `test` database
    (two runs at once on one server, say two checkouts, must not drop each other's)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"weiquan_test_{_RUN_ID}_{worker}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc.orig}")
    url = sa.engine.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


_ENGINES: dict[str, sa.Engine] = {}


def engine_for(url: str) -> sa.Engine:
    if url not in _ENGINES:
        _ENGINES[url] = create_engine(url, pool_size=5)
    return _ENGINES[url]


def _empty_all_tables(engine: sa.Engine) -> None:
    names = [t.name for t in reversed(metadata.sorted_tables)]
    with engine.begin() as conn:
        if is_sqlite(str(engine.url)):
            for name in names:
                conn.execute(sa.text(f'DELETE FROM "{name}"'))  # noqa: S608 - our own table names
        else:
            tables = ", ".join(f'"{n}"' for n in names)  # our own metadata, not input
            conn.execute(sa.text(f"TRUNCATE {tables} CASCADE"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """Each storage and service test runs once on SQLite and once on PostgreSQL."""
    url: str = request.getfixturevalue(f"{request.param}_url")
    yield url
    _empty_all_tables(engine_for(url))


@pytest.fixture
def engine(database_url: str) -> sa.Engine:
    return engine_for(database_url)


_BLOB_ROOT = Path(tempfile.mkdtemp(prefix="weiquan-test-blobs-"))


def make_services(
    engine: sa.Engine, calendar: ChinaWorkdayCalendar, policy: DeadlinePolicy | None = None
) -> Services:
    return Services(
        uow=SqlUnitOfWorkFactory(engine, FieldCipher.from_secret_list(TEST_PII_KEYS)),
        calendar=calendar,
        policy=policy or DeadlinePolicy(),
        ids=RandomIds(),
        passwords=Argon2Passwords(time_cost=1, memory_cost=1024),
        throttle=LimitsThrottle(SqlWindowStorage(engine), secret="test-throttle-secret"),
        blobs=FilesystemBlobStore(_BLOB_ROOT),
        lookup=KeyedHash.from_secret(TEST_LOOKUP_KEY),
    )


@pytest.fixture
def services(engine: sa.Engine, calendar: ChinaWorkdayCalendar) -> Services:
    return make_services(engine, calendar)


@pytest.fixture
def world(services: Services) -> World:
    return build_world(services)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
