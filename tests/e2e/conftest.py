"""An in-process app over the real database, with the clock pinned."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.conftest import TEST_PII_KEYS
from tests.support.world import NOW, PASSWORD, World
from weiquan.bootstrap import App
from weiquan.config import Environment, Settings
from weiquan.services.context import Services
from weiquan.web.app import create_app


def test_settings(database_url: str) -> Settings:
    return Settings(env=Environment.TEST, database_url=database_url, pii_keys=TEST_PII_KEYS)


@pytest.fixture
def client(database_url: str, engine: sa.Engine, services: Services) -> Iterator[TestClient]:
    app = create_app(App(test_settings(database_url), engine, services), clock=lambda: NOW)
    with TestClient(app) as test_client:
        yield test_client


class Api:
    """Bearer-token sessions for the personas."""

    def __init__(self, client: TestClient, world: World) -> None:
        self.client = client
        self.world = world
        self._tokens: dict[str, str] = {}

    def headers(self, who: str) -> dict[str, str]:
        if who not in self._tokens:
            username = self.world.by_name(who).display_name
            response = self.client.post(
                "/api/v1/auth/token", json={"username": username, "password": PASSWORD}
            )
            assert response.status_code == 200, response.text
            self._tokens[who] = response.json()["access_token"]
        return {"Authorization": f"Bearer {self._tokens[who]}"}


@pytest.fixture
def api(client: TestClient, world: World) -> Api:
    return Api(client, world)
