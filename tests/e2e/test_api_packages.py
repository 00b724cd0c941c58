"""The evidence package over HTTP: a party downloads the zip and it verifies offline."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import TEST_PII_KEYS
from tests.e2e.conftest import Api
from tests.e2e.test_api import complaint_body
from tests.support.world import NOW, World
from weiquan.adapters.tlog.keys import KeyStore
from weiquan.adapters.tlog.log import TransparencyLog
from weiquan.bootstrap import App, open_log
from weiquan.cli.verify import check_package
from weiquan.config import Environment, Settings
from weiquan.services import ledger
from weiquan.services.context import Services
from weiquan.web import api_packages
from weiquan.web.app import create_app

pytestmark = pytest.mark.slow  # the package renders a certificate PDF

PACKAGE_PATH = "/api/v1/cases/{case_id}/package"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00"
    b"\x00\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92"
    b"\xef\x00\x00\x00\x00IEND\xaeB`\x82"
)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        env=Environment.TEST,
        database_url=database_url,
        pii_keys=TEST_PII_KEYS,
        data_dir=tmp_path,
        log_origin="test.weiquan.example/log",
    )


@pytest.fixture
def writer(settings: Settings) -> Iterator[TransparencyLog]:
    """The log pump's side of the log; the web app opens it read-only beside it."""
    with open_log(settings, writer=True) as log:
        log.checkpoint()  # publishes the first checkpoint, so a reader can open the log
        yield log


def _with_package_route(app: FastAPI) -> FastAPI:
    """Mount the router ahead of the generic case routes unless the app already has it."""
    if not any(getattr(r, "path", "") == PACKAGE_PATH for r in app.router.routes):
        app.include_router(api_packages.router)
        app.router.routes.insert(0, app.router.routes.pop())
    return app


def alices_case(api: Api, world: World) -> str:
    response = api.client.post(
        "/api/v1/cases", json=complaint_body(world), headers=api.headers("alice")
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


@pytest.fixture
def package_api(
    settings: Settings,
    engine: sa.Engine,
    services: Services,
    world: World,
    writer: TransparencyLog,
) -> Iterator[Api]:
    app = _with_package_route(create_app(App(settings, engine, services), clock=lambda: NOW))
    with TestClient(app) as client:
        yield Api(client, world)


def test_a_party_downloads_a_package_that_verifies_offline(
    package_api: Api,
    world: World,
    services: Services,
    writer: TransparencyLog,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(api_packages, "SEALING_WAIT_SECONDS", 0.3)
    api = package_api
    cid = alices_case(api, world)
    for name, content, mime in (
        ("截图.png", PNG, "image/png"),
        ("发票.pdf", PDF, "application/pdf"),
    ):
        uploaded = api.client.post(
            f"/api/v1/cases/{cid}/evidence",
            headers=api.headers("alice"),
            files={"file": (name, content, mime)},
        )
        assert uploaded.status_code == 201, uploaded.text
    url = PACKAGE_PATH.format(case_id=cid)

    sealing = api.client.get(url, headers=api.headers("merchant_a"))
    assert sealing.status_code == 409, sealing.text
    assert "重试" in sealing.json()["message"]

    ledger.publish(services, writer)
    response = api.client.get(url, headers=api.headers("merchant_a"))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    path = tmp_path / "package.zip"
    path.write_bytes(response.content)
    key = KeyStore(settings.key_dir, name=settings.log_origin).verifier_keys()[0]
    summary = check_package(path, [key])
    assert summary.case_number in unquote(disposition)
    assert (summary.files, summary.events, summary.key_trusted) == (2, 2, True)

    evidence_id = api.client.get(
        f"/api/v1/cases/{cid}/evidence", headers=api.headers("alice")
    ).json()[0]["id"]
    custody = api.client.get(
        f"/api/v1/evidence/{evidence_id}/custody", headers=api.headers("alice")
    ).json()
    assert [(c["action"], c["actor_role"]) for c in custody] == [
        ("captured", "consumer"),
        ("exported", "merchant"),
    ]


def test_a_package_asked_for_while_the_worker_seals_the_records_waits_for_them(
    package_api: Api, world: World, services: Services, writer: TransparencyLog
) -> None:
    api = package_api
    cid = alices_case(api, world)
    worker_round = threading.Timer(0.5, ledger.publish, args=(services, writer))
    worker_round.start()
    started = time.monotonic()
    response = api.client.get(PACKAGE_PATH.format(case_id=cid), headers=api.headers("alice"))
    worker_round.join()
    assert response.status_code == 200, response.text
    assert 0.5 <= time.monotonic() - started < api_packages.SEALING_WAIT_SECONDS


def test_someone_outside_the_case_gets_404(
    package_api: Api, world: World, services: Services, writer: TransparencyLog
) -> None:
    api = package_api
    cid = alices_case(api, world)
    ledger.publish(services, writer)
    response = api.client.get(PACKAGE_PATH.format(case_id=cid), headers=api.headers("bob"))
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")


def test_downloads_of_a_sealed_case_one_after_another_never_wait_for_a_sealing_round(
    package_api: Api,
    world: World,
    services: Services,
    writer: TransparencyLog,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each download records an export in the chain of custody. That record is not sealed into
    the log and is not part of the package it belongs to (a package cannot hold a proof of its
    own export without waiting a sealing round), so the next download has nothing to wait for."""
    monkeypatch.setattr(api_packages, "SEALING_WAIT_SECONDS", 0.0)  # any wait would be a 409
    api = package_api
    cid = alices_case(api, world)
    ledger.publish(services, writer)
    url = PACKAGE_PATH.format(case_id=cid)
    for who in ("alice", "merchant_a", "alice"):
        response = api.client.get(url, headers=api.headers(who))
        assert response.status_code == 200, response.text
