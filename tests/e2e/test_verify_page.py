"""The /verify page: the log's keys are published, and every command the page gives works, run
as printed, on a package downloaded untouched, before and after a key rotation."""

from __future__ import annotations

import html
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

import weiquan
from tests.conftest import TEST_PII_KEYS
from tests.e2e.conftest import Api
from tests.e2e.test_api_packages import PACKAGE_PATH, _with_package_route, alices_case
from tests.support.world import NOW, World
from weiquan.adapters.tlog.keys import KeyStore
from weiquan.adapters.tlog.log import TransparencyLog
from weiquan.bootstrap import App, open_log
from weiquan.config import Environment, Settings
from weiquan.services import ledger
from weiquan.services.context import Services
from weiquan.web.app import create_app

pytestmark = pytest.mark.slow  # the package renders a certificate PDF
WEIQUAN = str(Path(sys.executable).with_name("weiquan"))
# The command runs in a folder of its own, on the code under test.
CODE = str(Path(weiquan.__file__).resolve().parents[1])


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        env=Environment.TEST,
        database_url=database_url,
        pii_keys=TEST_PII_KEYS,
        data_dir=tmp_path / "data",
        log_origin="test.weiquan.example/log",
    )


@pytest.fixture
def writer(settings: Settings) -> Iterator[TransparencyLog]:
    with open_log(settings, writer=True) as log:
        log.checkpoint()
        yield log


@pytest.fixture
def package_api(
    settings: Settings, engine: sa.Engine, services: Services, world: World, writer: TransparencyLog
) -> Iterator[Api]:
    app = _with_package_route(create_app(App(settings, engine, services), clock=lambda: NOW))
    with TestClient(app) as client:
        yield Api(client, world)


def _commands(page: str) -> list[str]:
    return [html.unescape(c) for c in re.findall(r'<code class="command"[^>]*>(.*?)</code>', page)]


def _download(client: TestClient, url: str, folder: Path, **kw: object) -> Path:
    response = client.get(url, **kw)  # type: ignore[arg-type]
    assert response.status_code == 200, response.text
    disposition = unquote(response.headers["content-disposition"])
    name = disposition.rsplit("'", 1)[-1] if "''" in disposition else disposition.split('"')[1]
    path = folder / name
    path.write_bytes(response.content)
    return path


def _run(command: str, package: Path, folder: Path) -> subprocess.CompletedProcess[str]:
    args = shlex.split(command.replace("PACKAGE.zip", package.name))
    assert args[0] == "weiquan"
    env = {**os.environ, "PYTHONPATH": CODE}
    return subprocess.run(
        [WEIQUAN, *args[1:]],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _alices_package(
    api: Api, world: World, services: Services, writer: TransparencyLog, tmp_path: Path
) -> tuple[Path, Path]:
    """Alice's sealed case, its package downloaded into a folder of its own."""
    case_id = alices_case(api, world)
    ledger.publish(services, writer)
    folder = tmp_path / "download"
    folder.mkdir()
    package = _download(
        api.client, PACKAGE_PATH.format(case_id=case_id), folder, headers=api.headers("alice")
    )
    return folder, package


def test_the_verify_page_names_weiquan_verify_and_its_command_passes_on_an_untouched_package(
    package_api: Api,
    world: World,
    services: Services,
    writer: TransparencyLog,
    settings: Settings,
    tmp_path: Path,
) -> None:
    client = package_api.client
    folder, package = _alices_package(package_api, world, services, writer, tmp_path)

    page = client.get("/verify").text
    commands = _commands(page)
    assert commands, "the page gives no command"
    assert any(c.startswith("weiquan verify PACKAGE.zip") for c in commands)
    assert "--entry" not in page
    active = KeyStore(settings.key_dir, name=settings.log_origin).verifier_keys()[0]
    assert active in html.unescape(page)
    assert client.get("/log/key").text.strip() == active
    _download(client, "/log/keys", folder)

    for command in commands:
        done = _run(command, package, folder)
        assert done.returncode == 0, (command, done.stdout, done.stderr)
        assert "OK" in done.stdout


def test_after_a_key_rotation_the_key_history_still_verifies_an_older_package(
    package_api: Api,
    world: World,
    services: Services,
    writer: TransparencyLog,
    settings: Settings,
    tmp_path: Path,
) -> None:
    client = package_api.client
    folder, package = _alices_package(package_api, world, services, writer, tmp_path)
    store = KeyStore(settings.key_dir, name=settings.log_origin)
    old = store.active_signer().verifier_key()
    new = store.rotate().verifier_key()
    history = client.get("/log/keys").text
    assert history.index(new) < history.index(old)  # the active key first
    assert client.get("/log/key").text.strip() == new
    page = html.unescape(client.get("/verify").text)
    assert new in page
    assert old in page
    _download(client, "/log/keys", folder)
    for command in _commands(client.get("/verify").text):
        done = _run(command, package, folder)
        assert done.returncode == 0, (command, done.stdout, done.stderr)
