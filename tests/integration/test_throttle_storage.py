"""The throttle's counts: the `limits` fixed window over our database table (both databases) and
over Redis, each shared by every process that uses the same store."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
import sqlalchemy as sa
from limits.storage import RedisStorage

from weiquan.adapters.db.tables_sessions import throttle_counters
from weiquan.adapters.throttle import LimitsThrottle, SqlWindowStorage
from weiquan.domain.throttle import LOGIN_ACCOUNT, LOGIN_ADDRESS, Rate

REDIS_URL = os.environ.get("WEIQUAN_TEST_REDIS", "redis://127.0.0.1:6379/15")
THREE_PER_MINUTE = {LOGIN_ADDRESS: Rate(3, 60)}


class FakeEpoch:
    """A clock the test moves; the storage and the throttle read the same one."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def db_throttle(engine: sa.Engine, clock: FakeEpoch) -> LimitsThrottle:
    return LimitsThrottle(
        SqlWindowStorage(engine, clock=clock), secret="s", rates=THREE_PER_MINUTE, clock=clock
    )


def test_the_fourth_try_in_a_window_is_refused_until_the_window_ends(engine: sa.Engine) -> None:
    clock = FakeEpoch()
    throttle = db_throttle(engine, clock)

    verdicts = [throttle.hit(LOGIN_ADDRESS, "203.0.113.9") for _ in range(4)]

    assert [v.allowed for v in verdicts] == [True, True, True, False]
    assert verdicts[-1].retry_after == pytest.approx(60, abs=1)
    clock.now += 45
    assert throttle.hit(LOGIN_ADDRESS, "203.0.113.9").retry_after == pytest.approx(15, abs=1)
    clock.now += 16
    assert throttle.hit(LOGIN_ADDRESS, "203.0.113.9").allowed


def test_addresses_and_rules_are_counted_apart(engine: sa.Engine) -> None:
    throttle = db_throttle(engine, FakeEpoch())
    for _ in range(3):
        throttle.hit(LOGIN_ADDRESS, "203.0.113.9")

    assert throttle.hit(LOGIN_ADDRESS, "198.51.100.7").allowed
    assert throttle.hit(LOGIN_ACCOUNT, "203.0.113.9").allowed
    assert not throttle.peek(LOGIN_ADDRESS, "203.0.113.9").allowed


def test_peek_does_not_count_and_clear_forgets(engine: sa.Engine) -> None:
    throttle = db_throttle(engine, FakeEpoch())
    for _ in range(5):
        assert throttle.peek(LOGIN_ADDRESS, "a").allowed
    for _ in range(3):
        throttle.hit(LOGIN_ADDRESS, "a")
    assert not throttle.peek(LOGIN_ADDRESS, "a").allowed

    throttle.clear(LOGIN_ADDRESS, "a")

    assert throttle.peek(LOGIN_ADDRESS, "a").allowed


def test_the_table_holds_neither_the_address_nor_the_account(engine: sa.Engine) -> None:
    throttle = db_throttle(engine, FakeEpoch())
    throttle.hit(LOGIN_ADDRESS, "203.0.113.9")
    throttle.hit(LOGIN_ACCOUNT, "alice")

    with engine.connect() as conn:
        keys = [row.key for row in conn.execute(sa.select(throttle_counters.c.key))]

    assert len(keys) == 2
    assert not any("203.0.113" in key or "alice" in key for key in keys)


def test_two_processes_on_one_database_share_the_count_without_losing_a_hit(
    engine: sa.Engine,
) -> None:
    clock = FakeEpoch()
    # Two throttles over two engines on the same database stand for two processes.
    other_engine = sa.create_engine(engine.url)
    first = LimitsThrottle(
        SqlWindowStorage(engine, clock=clock), secret="s", rates={LOGIN_ADDRESS: Rate(1000, 60)}
    )
    second = LimitsThrottle(
        SqlWindowStorage(other_engine, clock=clock),
        secret="s",
        rates={LOGIN_ADDRESS: Rate(1000, 60)},
    )

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda i: (first, second)[i % 2].hit(LOGIN_ADDRESS, "x"), range(200)))
    other_engine.dispose()

    with engine.connect() as conn:
        hits = conn.execute(sa.select(throttle_counters.c.hits)).scalar_one()
    assert hits == 200


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"Redis not reachable at {REDIS_URL}")
    prefix = f"weiquan-test-{uuid.uuid4().hex[:8]}"
    yield prefix
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)
    client.close()


def test_with_redis_two_processes_share_one_count_and_the_refusal_says_when(
    redis_prefix: str,
) -> None:
    first = LimitsThrottle(
        RedisStorage(REDIS_URL, key_prefix=redis_prefix), secret="s", rates=THREE_PER_MINUTE
    )
    second = LimitsThrottle(
        RedisStorage(REDIS_URL, key_prefix=redis_prefix), secret="s", rates=THREE_PER_MINUTE
    )

    allowed = [(first, second)[i % 2].hit(LOGIN_ADDRESS, "203.0.113.9").allowed for i in range(4)]

    assert allowed == [True, True, True, False]
    refused = second.peek(LOGIN_ADDRESS, "203.0.113.9")
    assert not refused.allowed
    assert 50 <= refused.retry_after <= 61
    first.clear(LOGIN_ADDRESS, "203.0.113.9")
    assert second.hit(LOGIN_ADDRESS, "203.0.113.9").allowed


def test_an_unreachable_redis_lets_tries_through_and_says_so_in_the_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    throttle = LimitsThrottle(
        RedisStorage(f"redis://127.0.0.1:{port}/0", socket_connect_timeout=0.5),
        secret="s",
        rates=THREE_PER_MINUTE,
    )

    verdicts = [throttle.hit(LOGIN_ADDRESS, "203.0.113.9") for _ in range(5)]

    assert all(v.allowed for v in verdicts)
    assert "throttle store unreachable" in caplog.text
    assert "203.0.113.9" not in caplog.text
