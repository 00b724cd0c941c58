"""Security headers on pages, the API (the intake fast path included), log tiles, static files and
errors; the session cookie's flags by environment."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.conftest import TEST_PII_KEYS
from tests.support.world import NOW, World
from weiquan.bootstrap import App
from weiquan.config import Environment, Settings
from weiquan.services.context import Services
from weiquan.web.app import create_app
from weiquan.web.headers import HSTS

PATHS = [
    "/",
    "/login",
    "/rights",
    "/no-such-page",
    "/api/v1/me",  # 401
    "/api/v1/merchants",
    "/healthz",
    "/openapi.json",
    "/api/docs",
    "/static/site.css",
    "/static/vendor/htmx.min.js",
]


def settings(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "env": Environment.TEST,
        "database_url": database_url,
        "pii_keys": TEST_PII_KEYS,
        **overrides,
    }
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def tls_client(database_url: str, engine: sa.Engine, services: Services) -> Iterator[TestClient]:
    app = create_app(
        App(settings(database_url, behind_tls=True), engine, services), clock=lambda: NOW
    )
    with TestClient(app, base_url="https://testserver") as client:
        yield client


@pytest.mark.parametrize("path", PATHS)
def test_every_kind_of_response_carries_the_security_headers(
    client: TestClient, world: World, path: str
) -> None:
    response = client.get(path)

    csp = response.headers["content-security-policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    assert "strict-transport-security" not in response.headers  # plain http here


def test_complaint_intake_on_its_fast_path_carries_them_too(
    client: TestClient, world: World
) -> None:
    response = client.post("/api/v1/cases", json={})

    assert response.status_code in (401, 422)
    assert response.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def test_behind_tls_browsers_are_told_to_keep_to_https(
    tls_client: TestClient, world: World
) -> None:
    for path in ("/", "/api/v1/merchants", "/static/site.css"):
        assert tls_client.get(path).headers["strict-transport-security"] == HSTS


def test_behind_tls_the_session_cookie_is_secure_and_http_only(
    tls_client: TestClient, world: World
) -> None:
    page = tls_client.get("/login")
    cookie = page.headers["set-cookie"]
    assert "Secure" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_over_plain_http_in_a_test_set_up_the_cookie_is_not_marked_secure(
    client: TestClient, world: World
) -> None:
    cookie = client.get("/login").headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "Secure" not in cookie


def test_cookies_are_secure_by_default_in_production_and_can_be_allowed_over_http() -> None:
    production = {"secret_key": "x" * 40, "lookup_key": "y" * 40, "pii_keys": "k1:" + "A" * 43}
    assert Settings(env=Environment.PRODUCTION, **production).cookies_secure
    assert not Settings(
        env=Environment.PRODUCTION, secure_cookies=False, **production
    ).cookies_secure
    assert not Settings(env=Environment.DEVELOPMENT).cookies_secure
    assert Settings(env=Environment.DEVELOPMENT, behind_tls=True).cookies_secure


def test_a_page_may_not_be_framed_by_another_site(client: TestClient, world: World) -> None:
    page = client.get("/")
    assert page.headers["x-frame-options"] == "DENY"
    assert "<script>" not in page.text  # the CSP allows no inline script: none is needed
    assert "style=" not in page.text
