"""Throttles on the `limits` library: its fixed-window strategy over Redis or over our database.

Why a fixed window: one counter per key and window, incremented with one atomic statement, which a
database does as cheaply as Redis does (an upsert); a moving window would need one row per hit.
Its known cost, up to twice the rate across a window boundary, is acceptable for abuse throttles,
whose limits are far above what a person does and far below what a script needs.

Which storage: Redis when ``WEIQUAN_REDIS_URL`` is set, so that every process and machine shares
the counts; otherwise the ``throttle_counters`` table, which every process of a deployment shares
already (no new service to run). Keys are keyed digests of the rule and the address or account,
so neither store holds an address or a user name.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime

import sqlalchemy as sa
from limits import RateLimitItemPerSecond
from limits.storage import RedisStorage, Storage
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy.dialects import postgresql, sqlite

from weiquan.adapters.db.tables import UtcDateTime
from weiquan.adapters.db.tables_sessions import throttle_counters as c
from weiquan.adapters.db.unit_of_work import _sqlite_writer_lock
from weiquan.domain.throttle import DEFAULT_RATES, Rate
from weiquan.services.ports import ThrottleVerdict

log = logging.getLogger("weiquan.throttle")
EpochClock = Callable[[], float]
# Expired counters are deleted every this many increments of one process.
_SWEEP_EVERY = 500


class SqlWindowStorage(Storage):
    """A `limits` storage in the ``throttle_counters`` table (fixed windows only).

    ``incr`` is one ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` on SQLite and PostgreSQL alike,
    so concurrent processes never lose a hit; on SQLite it queues on the writers' lock file as
    every other write does.
    """

    STORAGE_SCHEME = None

    def __init__(self, engine: sa.Engine, *, clock: EpochClock = time.time) -> None:
        super().__init__()
        self._engine = engine
        self._clock = clock
        self._insert = sqlite.insert if engine.dialect.name == "sqlite" else postgresql.insert
        self._increments = 0

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return sa.exc.SQLAlchemyError

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    @contextmanager
    def _writing(self) -> Iterator[sa.Connection]:
        lock = _sqlite_writer_lock(self._engine)
        if lock is not None:
            lock.acquire()
        try:
            with self._engine.begin() as conn:
                yield conn
        finally:
            if lock is not None:
                lock.release()

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = self._now()
        ends = datetime.fromtimestamp(self._clock() + expiry, UTC)
        insert = self._insert(c).values(key=key, hits=amount, window_ends_at=ends)
        window_over = c.c.window_ends_at <= now
        new_end = sa.literal(ends, UtcDateTime())
        upsert = insert.on_conflict_do_update(
            index_elements=[c.c.key],
            set_={
                "hits": sa.case((window_over, amount), else_=c.c.hits + amount),
                "window_ends_at": sa.case((window_over, new_end), else_=c.c.window_ends_at),
            },
        ).returning(c.c.hits)
        with self._writing() as conn:
            hits = int(conn.execute(upsert).scalar_one())
        self._increments += 1
        if self._increments % _SWEEP_EVERY == 0:
            with self._writing() as conn:
                conn.execute(c.delete().where(c.c.window_ends_at <= now))
        return hits

    def _live_row(self, key: str) -> sa.Row[tuple[int, datetime]] | None:
        with self._engine.connect() as conn:
            return conn.execute(
                sa.select(c.c.hits, c.c.window_ends_at).where(
                    c.c.key == key, c.c.window_ends_at > self._now()
                )
            ).first()

    def get(self, key: str) -> int:
        row = self._live_row(key)
        return int(row.hits) if row else 0

    def get_expiry(self, key: str) -> float:
        row = self._live_row(key)
        return row.window_ends_at.timestamp() if row else self._clock()

    def check(self) -> bool:
        try:
            with self._engine.connect() as conn:
                conn.execute(sa.select(1))
        except sa.exc.SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with self._writing() as conn:
            return conn.execute(c.delete()).rowcount

    def clear(self, key: str) -> None:
        with self._writing() as conn:
            conn.execute(c.delete().where(c.c.key == key))


class LimitsThrottle:
    """The :class:`~weiquan.services.ports.Throttle` port over a `limits` storage."""

    def __init__(
        self,
        storage: Storage,
        *,
        secret: str,
        rates: Mapping[str, Rate] | None = None,
        clock: EpochClock = time.time,
    ) -> None:
        self._limiter = FixedWindowRateLimiter(storage)
        self._storage_errors = storage.base_exceptions
        self._secret = secret.encode()
        self._items = {
            rule: RateLimitItemPerSecond(rate.amount, rate.seconds, namespace="wq")
            for rule, rate in {**DEFAULT_RATES, **(rates or {})}.items()
        }
        self._clock = clock

    def _identity(self, rule: str, key: str) -> str:
        return hmac.new(self._secret, f"{rule}\0{key}".encode(), hashlib.sha256).hexdigest()[:40]

    def _verdict(self, allowed: bool, rule: str, key: str) -> ThrottleVerdict:
        if allowed:
            return ThrottleVerdict(allowed=True, retry_after=0.0)
        stats = self._limiter.get_window_stats(self._items[rule], rule, self._identity(rule, key))
        return ThrottleVerdict(
            allowed=False, retry_after=max(1.0, stats.reset_time - self._clock())
        )

    def hit(self, rule: str, key: str) -> ThrottleVerdict:
        try:
            allowed = self._limiter.hit(self._items[rule], rule, self._identity(rule, key))
            return self._verdict(allowed, rule, key)
        except self._storage_errors as exc:
            return self._unreachable(rule, exc)

    def peek(self, rule: str, key: str) -> ThrottleVerdict:
        try:
            allowed = self._limiter.test(self._items[rule], rule, self._identity(rule, key))
            return self._verdict(allowed, rule, key)
        except self._storage_errors as exc:
            return self._unreachable(rule, exc)

    def clear(self, rule: str, key: str) -> None:
        try:
            self._limiter.clear(self._items[rule], rule, self._identity(rule, key))
        except self._storage_errors as exc:
            self._unreachable(rule, exc)

    def _unreachable(self, rule: str, exc: Exception) -> ThrottleVerdict:
        """The counts cannot be reached (Redis down): let the try through rather than refuse
        every sign-in of the site, and say so in the log (the rule, never the address)."""
        log.warning(
            "throttle store unreachable (%s) for rule %s: allowed", type(exc).__name__, rule
        )
        return ThrottleVerdict(allowed=True, retry_after=0.0)


def throttle_for(
    engine: sa.Engine,
    *,
    secret: str,
    redis_url: str | None,
    rates: Mapping[str, Rate] | None = None,
) -> LimitsThrottle:
    """Redis when configured (shared by every process and machine), else the database."""
    storage: Storage = (
        RedisStorage(redis_url, key_prefix="weiquan") if redis_url else SqlWindowStorage(engine)
    )
    return LimitsThrottle(storage, secret=secret, rates=rates)
