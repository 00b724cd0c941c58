"""`weiquan serve` runs its worker as a process of its own: started with the server, sealing new
records within about a second, started again if it dies, stopped with the server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from weiquan.cli.demo import DEMO_PASSWORD

WEIQUAN = str(Path(sys.executable).with_name("weiquan"))
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _until(condition: Callable[[], object], what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting until {what}")


def _children(pid: int) -> list[tuple[int, str]]:
    """(pid, command line) of the processes whose parent is ``pid``."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rpartition(")")[2].split()[1])
            cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, ValueError):
            continue
        if parent == pid:
            found.append((int(stat.parent.name), cmdline))
    return found


def _worker_pid(server: subprocess.Popen[bytes]) -> int | None:
    workers = [pid for pid, cmd in _children(server.pid) if " worker --parent-pid " in cmd]
    return workers[0] if len(workers) == 1 else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().rpartition(")")[2].split()[0] != "Z"


class Server:
    def __init__(self, tmp_path: Path) -> None:
        self.env = {
            **os.environ,
            "WEIQUAN_ENV": "development",
            "WEIQUAN_DATABASE_URL": f"sqlite:///{tmp_path / 'weiquan.db'}",
            "WEIQUAN_DATA_DIR": str(tmp_path),
            "WEIQUAN_LOG_INTERVAL_SECONDS": "0.2",
        }
        for command in (["db", "upgrade"], ["demo"]):
            subprocess.run([WEIQUAN, *command], env=self.env, check=True, capture_output=True)
        self.url = f"http://127.0.0.1:{_free_port()}"
        self.log = (tmp_path / "server.log").open("wb")
        port = self.url.rpartition(":")[2]
        self.process = subprocess.Popen(
            [WEIQUAN, "serve", "--port", port], env=self.env, stdout=self.log, stderr=self.log
        )
        _until(self._healthy, "the server answers", timeout=60)
        token = httpx.post(
            f"{self.url}/api/v1/auth/token",
            json={"username": "alice", "password": DEMO_PASSWORD},
        ).json()["access_token"]
        self.headers = {"Authorization": f"Bearer {token}"}

    def _healthy(self) -> bool:
        assert self.process.poll() is None, "the server stopped while starting"
        try:
            # Answering is enough here: 503 until the worker has reported and sealed the demo.
            return httpx.get(f"{self.url}/healthz", timeout=2).status_code in {200, 503}
        except httpx.TransportError:
            return False

    def healthy(self) -> bool:
        return httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200

    def log_size(self) -> int:
        response = httpx.get(f"{self.url}/log/checkpoint")
        return int(response.text.splitlines()[1]) if response.status_code == 200 else 0

    def file_complaint(self) -> str:
        shop = httpx.get(f"{self.url}/api/v1/shops", headers=self.headers).json()[0]["shop_id"]
        body = {
            "shop_id": shop,
            "category": "quality",
            "title": "耳机右耳无声",
            "description": "收到的耳机右耳没有声音，要求退款。",
            "claims": [{"kind": "refund", "amount_fen": 29900}],
        }
        response = httpx.post(f"{self.url}/api/v1/cases", json=body, headers=self.headers)
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # as Ctrl-C in the terminal
            self.process.wait(timeout=30)
        self.log.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    running = Server(tmp_path)
    try:
        yield running
    finally:
        running.stop()


def test_the_worker_beside_the_server_seals_a_new_complaint_within_seconds(server: Server) -> None:
    _until(lambda: server.log_size() > 0, "the demo's records are in the log")
    _until(server.healthy, "the worker has reported and /healthz says ok", timeout=60)
    before = server.log_size()
    case_id = server.file_complaint()
    _until(lambda: server.log_size() >= before + 2, "the complaint's two events are logged")
    package = httpx.get(f"{server.url}/api/v1/cases/{case_id}/package", headers=server.headers)
    assert package.status_code == 200, package.text


def test_a_worker_that_dies_is_started_again_and_carries_on(server: Server) -> None:
    _until(lambda: _worker_pid(server.process), "the worker runs")
    first = _worker_pid(server.process)
    assert first is not None
    os.kill(first, signal.SIGKILL)
    _until(lambda: _worker_pid(server.process) not in (None, first), "a new worker runs")
    before = server.log_size()
    server.file_complaint()
    _until(lambda: server.log_size() >= before + 2, "the new worker seals the complaint")
    assert "starting it again" in Path(server.log.name).read_text()


def test_stopping_the_server_stops_its_worker(server: Server) -> None:
    _until(lambda: _worker_pid(server.process), "the worker runs")
    worker = _worker_pid(server.process)
    assert worker is not None
    server.stop()
    _until(lambda: not _alive(worker), "the worker has exited", timeout=10)


def test_a_worker_whose_server_is_gone_stops_by_itself(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "WEIQUAN_ENV": "development",
        "WEIQUAN_DATABASE_URL": f"sqlite:///{tmp_path / 'weiquan.db'}",
        "WEIQUAN_DATA_DIR": str(tmp_path),
    }
    subprocess.run([WEIQUAN, "db", "upgrade"], env=env, check=True, capture_output=True)
    # Its parent is this test, not the process it was told it belongs to: as if orphaned.
    done = subprocess.run(
        [WEIQUAN, "worker", "--parent-pid", str(os.getpid() + 1_000_000)],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "gone" in done.stderr
