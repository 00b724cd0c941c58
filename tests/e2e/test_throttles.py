"""Throttles at the door: sign-in (token endpoint and page) per address and per account with a
lockout, anonymous 举报 reports and uploads per address; each refusal a 429 with Retry-After and
a sentence that says when to try again."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.e2e import conftest as e2e
from tests.e2e.test_sessions import csrf_of
from tests.support.world import NOW, PASSWORD, World
from weiquan.adapters.throttle import LimitsThrottle, SqlWindowStorage, throttle_for
from weiquan.bootstrap import App
from weiquan.domain.throttle import (
    ANONYMOUS_REPORT,
    ANONYMOUS_UPLOAD,
    DEFAULT_RATES,
    LOGIN_ACCOUNT,
    LOGIN_ADDRESS,
    Rate,
)
from weiquan.services.context import Services
from weiquan.web.app import create_app

WRONG = "not the password at all"


def app_with_rates(
    database_url: str, engine: sa.Engine, services: Services, rates: dict[str, Rate]
) -> TestClient:
    throttle = LimitsThrottle(SqlWindowStorage(engine), secret="test", rates=rates)
    wired = dataclasses.replace(services, throttle=throttle)
    return TestClient(
        create_app(App(e2e.test_settings(database_url), engine, wired), clock=lambda: NOW)
    )


@pytest.fixture
def strict(database_url: str, engine: sa.Engine, services: Services) -> Iterator[TestClient]:
    rates = {
        LOGIN_ADDRESS: Rate(5, 600),
        ANONYMOUS_REPORT: Rate(2, 3600),
        ANONYMOUS_UPLOAD: Rate(2, 3600),
    }
    with app_with_rates(database_url, engine, services, rates) as client:
        yield client


def token(client: TestClient, password: str, username: str = "alice") -> object:
    return client.post("/api/v1/auth/token", json={"username": username, "password": password})


def test_ten_wrong_passwords_lock_the_account_until_a_stated_time(
    client: TestClient, world: World
) -> None:
    limit = DEFAULT_RATES[LOGIN_ACCOUNT].amount
    answers = [token(client, WRONG).status_code for _ in range(limit)]  # type: ignore[attr-defined]
    assert answers == [401] * limit

    locked = client.post("/api/v1/auth/token", json={"username": "alice", "password": PASSWORD})

    assert locked.status_code == 429
    assert int(locked.headers["retry-after"]) > 60
    body = locked.json()
    assert body["error"] == "too_many_requests"
    assert re.search(
        r"账户已暂时锁定，请在 \d+ 分钟后（北京时间 \d\d:\d\d 之后）再试", body["message"]
    )
    # Another account is not affected by alice's lockout.
    assert token(client, PASSWORD, "bob").status_code == 200  # type: ignore[attr-defined]


def test_a_correct_password_clears_the_count_of_wrong_ones(
    client: TestClient, world: World
) -> None:
    limit = DEFAULT_RATES[LOGIN_ACCOUNT].amount
    for _ in range(limit - 1):
        token(client, WRONG)
    assert token(client, PASSWORD).status_code == 200  # type: ignore[attr-defined]
    for _ in range(limit - 1):
        token(client, WRONG)
    assert token(client, PASSWORD).status_code == 200  # type: ignore[attr-defined]


def test_one_address_is_refused_after_its_attempts_whatever_the_accounts(
    strict: TestClient, world: World
) -> None:
    for name in ("alice", "bob", "mediator", "admin", "operator"):
        token(strict, WRONG, name)

    refused = token(strict, PASSWORD, "bob")

    assert refused.status_code == 429  # type: ignore[attr-defined]
    assert "retry-after" in refused.headers  # type: ignore[attr-defined]
    assert "操作过于频繁" in refused.json()["message"]  # type: ignore[attr-defined]


def test_the_login_page_refuses_with_429_and_the_sentence_in_the_pages_language(
    strict: TestClient, world: World
) -> None:
    strict.cookies.set("wq_lang", "en")
    for _ in range(5):
        csrf = csrf_of(strict, "/login")
        strict.post("/login", data={"username": "alice", "password": WRONG, "csrf": csrf})
    csrf = csrf_of(strict, "/login")

    refused = strict.post("/login", data={"username": "alice", "password": PASSWORD, "csrf": csrf})

    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
    assert re.search(
        r"Too many attempts: please try again in \d+ minutes \(after \d\d:\d\d", refused.text
    )
    assert strict.get("/account/data", follow_redirects=False).status_code == 303


def test_anonymous_reports_are_throttled_per_address_but_signed_in_ones_are_not(
    strict: TestClient, world: World
) -> None:
    report = {
        "merchant_id": world.merchant_a_id,
        "violation": "false_advertising",
        "description": "宣传的功能与实物不符，页面写着防水，实物进水即坏。",
        "anonymous": True,
    }
    answers = [strict.post("/api/v1/reports", json=report).status_code for _ in range(3)]

    assert answers[2] == 429
    assert answers[:2] == [201, 201], answers
    bearer = strict.post("/api/v1/auth/token", json={"username": "bob", "password": PASSWORD})
    signed = strict.post(
        "/api/v1/reports",
        json=report,
        headers={"Authorization": f"Bearer {bearer.json()['access_token']}"},
    )
    assert signed.status_code != 429


def test_an_anonymous_upload_over_the_limit_is_refused_before_its_body_is_read(
    strict: TestClient, world: World
) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    for _ in range(2):
        strict.post("/api/v1/trust-evidence", files={"file": ("a.png", png, "image/png")})

    refused = strict.post("/api/v1/trust-evidence", files={"file": ("a.png", png, "image/png")})

    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
    assert "操作过于频繁" in refused.json()["message"]


def test_with_a_redis_url_the_throttle_counts_in_redis(engine: sa.Engine) -> None:
    throttle = throttle_for(engine, secret="s", redis_url="redis://127.0.0.1:6379/15")
    assert type(throttle._limiter.storage).__name__ == "RedisStorage"
    assert type(throttle_for(engine, secret="s", redis_url=None)._limiter.storage) is (
        SqlWindowStorage
    )
