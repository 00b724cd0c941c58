"""A live server on a free loopback port over a fresh demo database, and Debian's Chromium.

Every page a journey opens is checked the same way (``Visit.check``): no console errors, no
axe-core violations of the WCAG 2 A/AA rules, and a screenshot in ``test-artifacts/``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright

from weiquan.cli.demo import DEMO_PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WEIQUAN = str(Path(sys.executable).with_name("weiquan"))
EXTRA_REGULATOR = ("regulator-hangzhou", "杭州市市场监管局 周科长", "330100")


@dataclass(frozen=True)
class LiveServer:
    url: str
    env: dict[str, str]

    def cli(self, *args: str, stdin: str | None = None) -> str:
        done = subprocess.run(
            [WEIQUAN, *args],
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_up(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("the server stopped while starting")
        try:
            # 503 until the worker has reported: answering is what this waits for.
            if httpx.get(f"{url}/healthz", timeout=2).status_code in {200, 503}:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise RuntimeError("the server did not start within 60 s")


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data = tmp_path_factory.mktemp("live")
    env = {
        **os.environ,
        "WEIQUAN_ENV": "development",
        "WEIQUAN_DATABASE_URL": f"sqlite:///{data / 'weiquan.db'}",
        "WEIQUAN_DATA_DIR": str(data),
    }
    port = _free_port()
    server = LiveServer(f"http://127.0.0.1:{port}", env)
    server.cli("db", "upgrade")
    server.cli("demo")
    username, name, region = EXTRA_REGULATOR
    server.cli(
        "user",
        "create",
        username,
        "--role",
        "regulator",
        "--name",
        name,
        "--region-code",
        region,
        stdin=f"{DEMO_PASSWORD}\n{DEMO_PASSWORD}\n",
    )
    log = (data / "server.log").open("wb")
    process = subprocess.Popen(
        [WEIQUAN, "serve", "--port", str(port), "--no-worker"], env=env, stdout=log, stderr=log
    )
    try:
        _wait_until_up(server.url, process)
        yield server
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class Visit:
    """One person's browser tab, with the checks every page gets."""

    page: Page
    base: str
    artifacts: Path
    prefix: str
    javascript: bool = True
    console_errors: list[str] = field(default_factory=list)
    shots: int = 0

    def go(self, path: str) -> None:
        self.page.goto(self.base + path)

    def login(self, username: str) -> None:
        self.go("/login")
        self.page.get_by_label("用户名").fill(username)
        self.page.get_by_label("密码").fill(DEMO_PASSWORD)
        self.page.get_by_role("button", name="登录").click()
        self.page.wait_for_load_state()

    def logout(self) -> None:
        self.page.get_by_role("button", name="退出").click()
        self.page.wait_for_load_state()

    def check(self, name: str) -> None:
        """Screenshot, then assert no console errors and no accessibility violations."""
        self.page.wait_for_load_state("networkidle")
        self.shots += 1
        path = self.artifacts / f"{self.prefix}-{self.shots:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        assert self.console_errors == [], f"{name}: console errors {self.console_errors}"
        if self.javascript:  # axe-core is JavaScript; the same pages are checked with it on
            violations = axe_violations(self.page)
            assert violations == [], f"{name}: accessibility violations {violations}"


def axe_violations(page: Page) -> list[dict[str, Any]]:
    # From the site's own copy: its Content-Security-Policy allows no inline script, and the
    # checks run under the policy real visitors get.
    origin = urlsplit(page.url)
    page.add_script_tag(url=f"{origin.scheme}://{origin.netloc}/static/vendor/axe.min.js")
    found: list[dict[str, Any]] = page.evaluate(
        """async () => {
            const result = await axe.run(document, {
                runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21aa"]},
            });
            return result.violations.map(v => ({
                id: v.id, impact: v.impact,
                nodes: v.nodes.slice(0, 3).map(n => n.target.join(" ") + " :: " + n.failureSummary),
            }));
        }"""
    )
    return found


def _record(visit: Visit, message: ConsoleMessage) -> None:
    """Console errors, except Chromium's note of the document's own HTTP status: a 404 page or a
    form answered 422 with its errors is the server speaking plainly, not a broken page."""
    if message.type != "error":
        return
    own_status = message.text.startswith("Failed to load resource") and (
        message.location.get("url") == visit.page.url
    )
    if not own_status:
        visit.console_errors.append(message.text)


@pytest.fixture
def open_tab(
    browser: Browser, live_server: LiveServer, artifacts: Path, request: pytest.FixtureRequest
) -> Iterator[Any]:
    contexts = []

    def open_tab(
        who: str, *, width: int = 1280, height: int = 900, javascript: bool = True
    ) -> Visit:
        context = browser.new_context(
            viewport={"width": width, "height": height},
            locale="zh-CN",
            accept_downloads=True,
            java_script_enabled=javascript,
        )
        contexts.append(context)
        page = context.new_page()
        journey = request.node.originalname.split("_")[1]  # test_a_… → "a"
        variant = getattr(request.node, "callspec", None)
        prefix = "-".join([journey, *([variant.id] if variant else []), who])
        visit = Visit(page, live_server.url, artifacts, prefix, javascript)
        page.on("console", lambda message: _record(visit, message))
        page.on("pageerror", lambda e: visit.console_errors.append(str(e)))
        return visit

    yield open_tab
    for context in contexts:
        context.close()
