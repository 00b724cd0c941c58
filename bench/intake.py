"""Intake throughput: concurrent complaint submissions against a running server.

Starts `weiquan serve` on a fresh database (SQLite file, then PostgreSQL if reachable), creates a
consumer and a shop, then posts complaints from a lean asyncio client (below) and prints
submissions/s and p50/p99 latency. The client runs on the same machine, so it competes with the
server for the CPU.

    .venv/bin/python bench/intake.py [--requests 20000] [--concurrency 16] [--workers 1]
                                     [--rate 1000] [--only sqlite|postgres]

Without ``--rate`` the load is a closed loop of ``--concurrency`` clients; with it, requests are
due at that rate over ``--concurrency`` connections and latency counts from when each was due
(see ``Load``): the way to ask whether the server sustains a rate within a latency bound.

Every request carries its own Idempotency-Key, and the run ends by counting the cases stored, so
a figure cannot come from requests that were answered but not kept. It also prints the CPU time
spent per submission by the web processes, the worker, the database server and this client: on
a shared machine the rate moves with the neighbours' load, the CPU cost much less.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import sqlalchemy as sa
import uvloop  # the client's event loop should cost as little as the server's

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = os.environ.get(
    "WEIQUAN_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
PASSWORD = "bench-password-123"


def process_tree(root: int) -> list[int]:
    """``root`` and every process below it (uvicorn's workers are children of the server)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:  # the process ended while we looked
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, queue = [], [root]
    while queue:
        pid = queue.pop()
        found.append(pid)
        queue.extend(children.get(pid, []))
    return found


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds the processes have used so far (Linux /proc)."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def split_worker(pids: Iterable[int]) -> tuple[list[int], list[int]]:
    """(web processes, the worker process) among the server's processes."""
    web, worker = [], []
    for pid in pids:
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        (worker if b"worker" in command else web).append(pid)
    return web, worker


def database_pids() -> list[int]:
    """The PostgreSQL server's processes on this machine (none for SQLite, which runs inside
    the server's own process)."""
    pids = []
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip().startswith("postgres"):
                pids.append(int(comm.parent.name))
        except OSError:
            continue
    return pids


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent busy (not idle or waiting on I/O) since boot."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(database_url: str, data_dir: str) -> dict[str, str]:
    settings = {
        "WEIQUAN_DATABASE_URL": database_url,
        "WEIQUAN_ENV": "development",
        "WEIQUAN_DATA_DIR": data_dir,  # log keys and files of this run only
    }
    env = {**os.environ, **settings}
    weiquan = str(Path(sys.executable).parent / "weiquan")
    subprocess.run([weiquan, "db", "upgrade"], env=env, check=True, capture_output=True)
    from weiquan.bootstrap import build  # noqa: PLC0415
    from weiquan.config import Settings  # noqa: PLC0415
    from weiquan.domain.accounts import Role  # noqa: PLC0415
    from weiquan.services import accounts, merchants  # noqa: PLC0415

    os.environ.update(settings)
    svc = build(Settings()).services
    now = datetime.now(UTC)
    merchant, _ = merchants.register_merchant(svc, name="压测商家", region_code="110108", now=now)
    shop = merchants.add_shop(
        svc, merchant_id=merchant.id, name="压测店铺", platform="京东", now=now
    )
    accounts.create_user(
        svc,
        username="bench",
        password=PASSWORD,
        display_name="压测用户",
        role=Role.CONSUMER,
        now=now,
    )
    return {**env, "SHOP": shop.id}


class Connection:
    """One keep-alive HTTP/1.1 connection that sends prepared requests and reads the answers.

    The load generator shares the two cores with the server, so it has to be much cheaper per
    request than the server it measures: httpx spends about 2 ms of CPU per request and capped
    this benchmark at ~450/s, whatever the server could do. This client writes pre-encoded bytes
    and reads a status line, headers and a Content-Length body, which is all the intake
    endpoint sends.
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, host: str, port: int) -> Connection:
        return cls(*await asyncio.open_connection(host, port))

    async def send(self, request: bytes) -> tuple[int, bytes]:
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        return status, await self.reader.readexactly(length)

    def close(self) -> None:
        self.writer.close()


def post(path: str, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


@dataclass(frozen=True)
class Load:
    """How the client offers its requests.

    Closed loop (``rate`` None): ``connections`` clients, each sending its next request as soon
    as the last is answered; the figure is how many the server answers per second at that
    concurrency. Open loop (``rate`` set): requests are due at a fixed rate, as when thousands of
    people file independently, and each is sent when due over the first free connection; its
    latency counts from when it was due, so a server that falls behind shows it in the tail
    instead of silently slowing the client down (coordinated omission).
    """

    requests: int
    connections: int
    rate: float | None = None


async def fire(port: int, shop: str, load: Load) -> tuple[list[float], int]:
    first = await Connection.open("127.0.0.1", port)
    login = json.dumps({"username": "bench", "password": PASSWORD}).encode()
    status, answer = await first.send(
        post("/api/v1/auth/token", login, {"Content-Type": "application/json"})
    )
    assert status == 200, answer
    first.close()
    token = json.loads(answer)["access_token"]
    body = json.dumps(
        {
            "shop_id": shop,
            "category": "quality",
            "title": "耳机右耳无声",
            "description": "收到的耳机右耳没有声音，要求退款。",
            "claims": [{"kind": "refund", "amount_fen": 29900}],
        },
        ensure_ascii=False,
    ).encode()
    run_id = uuid.uuid4().hex
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    latencies: list[float] = []
    failures = 0
    numbers = iter(range(load.requests))
    loop = asyncio.get_running_loop()
    begin = loop.time() + 0.1  # every connection is open by then

    async def worker() -> None:
        nonlocal failures
        connection = await Connection.open("127.0.0.1", port)
        for i in numbers:  # shared by all workers: each number is taken once
            request = post("/api/v1/cases", body, {**headers, "Idempotency-Key": f"{run_id}-{i}"})
            if load.rate is None:
                due = loop.time()
            else:
                due = begin + i / load.rate
                if (wait := due - loop.time()) > 0:
                    await asyncio.sleep(wait)
            try:
                status, _ = await connection.send(request)
            except (ConnectionError, asyncio.IncompleteReadError):
                status = 0  # counted as a failure; carry on over a new connection
                connection.close()
                connection = await Connection.open("127.0.0.1", port)
            latencies.append(loop.time() - due)
            failures += status != 201
        connection.close()

    await asyncio.gather(*(worker() for _ in range(load.connections)))
    return latencies, failures


def count_cases(database_url: str) -> tuple[int, int]:
    """(cases stored, case events not yet sealed into the transparency log)."""
    engine = sa.create_engine(database_url)
    with engine.connect() as conn:
        cases = int(conn.execute(sa.text("SELECT count(*) FROM cases")).scalar_one())
        unlogged = conn.execute(sa.text("SELECT count(*) FROM case_events WHERE log_index IS NULL"))
        pending = int(unlogged.scalar_one())
    engine.dispose()
    return cases, pending


def run(label: str, database_url: str, args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as data_dir:
        measure(label, database_url, data_dir, args)


def start(command: list[str], env: dict[str, str], data_dir: str) -> subprocess.Popen[bytes]:
    weiquan = str(Path(sys.executable).parent / "weiquan")
    with (Path(data_dir) / f"{command[0]}.log").open("ab") as log:  # shown if a request fails
        return subprocess.Popen([weiquan, *command], env=env, stdout=log, stderr=log)


def measure(label: str, database_url: str, data_dir: str, args: argparse.Namespace) -> None:
    env = prepare(database_url, data_dir)
    port = free_port()
    # As deployed: `weiquan serve` starts its worker process beside the web processes, so the
    # log pump runs during the measurement and its CPU is counted with the server's.
    serve = ["serve", "--port", str(port), "--workers", str(args.workers)]
    processes = [start(serve, env, data_dir)]
    failures = 0
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        uvloop.run(fire(port, env["SHOP"], Load(500, 16)))  # warm-up
        before, _ = count_cases(database_url)
        web, worker = split_worker(pid for p in processes for pid in process_tree(p.pid))
        database = database_pids() if database_url.startswith("postgresql") else []

        def cpu_now() -> tuple[float, ...]:
            return (
                cpu_seconds(web),
                cpu_seconds(worker),
                cpu_seconds(database),
                time.process_time(),
                machine_busy_seconds(),
            )

        cpu_before = cpu_now()
        started = time.perf_counter()
        load = Load(args.requests, args.concurrency, args.rate)
        latencies, failures = uvloop.run(fire(port, env["SHOP"], load))
        elapsed = time.perf_counter() - started
        cpu_after = cpu_now()
        after, unlogged = count_cases(database_url)
    finally:
        for process in processes:
            process.terminate()
            process.wait(10)
        if failures:
            for log in sorted(Path(data_dir).glob("*.log")):
                print(f"--- {log.name}\n" + "\n".join(log.read_text().splitlines()[-20:]))
    latencies.sort()
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
    offered = f"offered {args.rate:,.0f}/s over" if args.rate else "closed loop,"
    print(
        f"{label:<10} workers={args.workers} requests={args.requests:,} "
        f"{offered} {args.concurrency} connections → {args.requests / elapsed:,.0f} submissions/s, "
        f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, failures {failures}, "
        f"cases stored {after - before:,}, events awaiting the log at the end {unlogged:,}"
    )
    # CPU per submission moves far less than the rate with whatever else the machine is doing.
    web_us, worker_us, db, client, busy = (
        (b - a) * 1e6 / args.requests for a, b in zip(cpu_before, cpu_after, strict=True)
    )
    print(
        f"{'':<10} CPU per submission: web {web_us:.0f} µs, worker (log pump) {worker_us:.0f} µs, "
        f"database server {db:.0f} µs, this client {client:.0f} µs; the machine was busy "
        f"{busy * args.requests / 1e6 / elapsed / os.cpu_count():.0%} of the time on "
        f"{os.cpu_count()} cores"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--concurrency", type=int, default=16, help="connections")
    parser.add_argument(
        "--rate", type=float, help="open loop: requests due per second (default: closed loop)"
    )
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    parser.add_argument("--workers", type=int, default=1, help="web processes")
    args = parser.parse_args()
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as tmp:
            run("sqlite", f"sqlite:///{tmp}/bench.db", args)
    if args.only in (None, "postgres"):
        admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(sa.text('DROP DATABASE IF EXISTS "weiquan_bench" WITH (FORCE)'))
                conn.execute(sa.text('CREATE DATABASE "weiquan_bench"'))
        except sa.exc.OperationalError as exc:
            print(f"postgres   skipped: {exc.orig}")
            return
        url = sa.engine.make_url(PG_ADMIN).set(database="weiquan_bench")
        run("postgres", url.render_as_string(hide_password=False), args)


if __name__ == "__main__":
    main()
