"""Intake throughput: concurrent complaint submissions against a running server.

Starts `weiquan serve` on a fresh database (SQLite file, then PostgreSQL if reachable), creates a
consumer and a shop, then posts complaints and prints complaints created per second, p50/p99
latency, the CPU each process spent per complaint, how busy the machine was and the rows stored.

    .venv/bin/python bench/intake.py [--requests 20000] [--concurrency 16] [--workers 1]
                                     [--rate 1000] [--only sqlite|postgres]
                                     [--body realistic|short] [--client python|wrk]
                                     [--seconds 30 --warmup 5]

The body is, by default, a realistic complaint (bench/complaint.py: a 25-character title, 300
characters of description, two claims, an order with its amount and dates); ``--body short`` is
the one-line complaint of the earlier figures. Every request carries its own Idempotency-Key.

The client is either the lean asyncio client below (``--client python``, ``--requests`` of them)
or Debian's ``wrk`` (``--client wrk``: a C client, ``--warmup`` seconds, then ``--seconds``
measured), both on this machine, competing with the server for the CPU. Without ``--rate`` the
load is a closed loop of ``--concurrency`` clients; with it (python client only), requests are due
at that rate over ``--concurrency`` connections and latency counts from when each was due (see
``Load``): the way to ask whether the server sustains a rate within a latency bound.

The rate is counted from the rows stored, not the answers: the run ends by counting the cases,
so a figure cannot come from requests that were answered but not kept. On a shared machine the
rate moves with the neighbours' load, the CPU per complaint much less: the run prints both, and
how much of the machine was busy with something other than this benchmark.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import httpx
import sqlalchemy as sa
import uvloop  # the client's event loop should cost as little as the server's
from complaint import BODIES, encoded

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


def server_processes(root: int) -> dict[str, list[int]]:
    """The server's processes by role: ``serve`` (uvicorn's supervisor, or the one web process
    when there is one), ``web N`` (each web process when there are several), ``worker``."""
    roles: dict[str, list[int]] = {}
    web = 0
    for pid in process_tree(root):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(b"resource_tracker" in part for part in command):
            continue  # multiprocessing's helper beside uvicorn's processes: idle
        if b"worker" in command:
            roles.setdefault("worker", []).append(pid)
        elif pid == root:
            roles["serve"] = [pid]
        else:
            web += 1
            roles[f"web {web}"] = [pid]
    return roles


def database_pids(database_url: str) -> list[int]:
    """The PostgreSQL processes working for this run: the backends connected to its database and
    the server's background processes (WAL writer, checkpointer…), not the backends of other
    databases on a shared server. None for SQLite, which runs inside the server's processes."""
    if not database_url.startswith("postgresql"):
        return []
    engine = sa.create_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT pid FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND "
                "(datname = current_database() OR backend_type <> 'client backend')"
            )
        )
        pids = [int(pid) for (pid,) in rows]
    engine.dispose()
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


def login(port: int) -> str:
    answer = httpx.post(
        f"http://127.0.0.1:{port}/api/v1/auth/token",
        json={"username": "bench", "password": PASSWORD},
        timeout=10,
    )
    answer.raise_for_status()
    return str(answer.json()["access_token"])


@dataclass(frozen=True)
class Outcome:
    """What the client saw: latencies (ms) at the 50th and 99th percentile, requests answered,
    answers other than 201 or failed connections, and the seconds the load lasted."""

    p50: float
    p99: float
    answered: int
    failures: int
    seconds: float


async def fire(port: int, token: str, body: bytes, load: Load) -> Outcome:
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

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(load.connections)))
    seconds = time.perf_counter() - started
    latencies.sort()
    return Outcome(
        p50=statistics.median(latencies) * 1000,
        p99=latencies[int(len(latencies) * 0.99) - 1] * 1000,
        answered=len(latencies),
        failures=failures,
        seconds=seconds,
    )


def python_client(port: int, token: str, body: bytes, load: Load) -> Outcome:
    return uvloop.run(fire(port, token, body, load))


# wrk's script: a fresh Idempotency-Key for every request (the run's prefix and a counter), and
# at the end one line this benchmark reads. Long brackets keep the JSON body's quotes intact.
WRK_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {token}"
wrk.body = [==[{body}]==]
local sent = 0
request = function()
  sent = sent + 1
  wrk.headers["Idempotency-Key"] = "{prefix}-" .. sent
  return wrk.format()
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("wrk-result answered=%d failed=%d seconds=%f p50=%d p99=%d\\n",
    summary.requests, e.connect + e.read + e.write + e.status + e.timeout,
    summary.duration / 1e6, latency:percentile(50), latency:percentile(99)))
end
"""


def wrk(
    port: int, token: str, body: bytes, *, connections: int, seconds: float, folder: str
) -> Outcome:
    """Runs wrk (one thread, closed loop) and reads the line its script prints at the end."""
    script = Path(folder) / f"intake-{uuid.uuid4().hex[:8]}.lua"
    prefix = uuid.uuid4().hex
    script.write_text(WRK_SCRIPT.format(token=token, body=body.decode(), prefix=prefix))
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "10s"]
    command += ["-s", str(script), f"http://127.0.0.1:{port}/api/v1/cases"]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    found = re.search(
        r"wrk-result answered=(\d+) failed=(\d+) seconds=([\d.]+) p50=(\d+) p99=(\d+)", output
    )
    if found is None:
        raise RuntimeError(f"wrk said:\n{output}")
    answered, failed, duration, p50, p99 = found.groups()
    return Outcome(
        p50=int(p50) / 1000,
        p99=int(p99) / 1000,
        answered=int(answered),
        failures=int(failed),
        seconds=float(duration),
    )


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


def client_cpu_seconds() -> float:
    """CPU of this process and of the children it has waited for (wrk, once it has ended)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


@dataclass(frozen=True)
class CpuSnapshot:
    """CPU seconds used so far by each process of the run, by the client, and by the machine."""

    processes: dict[str, float]
    client: float
    machine: float

    @classmethod
    def take(cls, processes: dict[str, list[int]]) -> CpuSnapshot:
        return cls(
            {role: cpu_seconds(pids) for role, pids in processes.items()},
            client_cpu_seconds(),
            machine_busy_seconds(),
        )


def wait_until_healthy(port: int) -> None:
    """Waits for the server to answer (a loaded machine can take a while to start two)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the server did not start within two minutes")


def measure(label: str, database_url: str, data_dir: str, args: argparse.Namespace) -> None:
    env = prepare(database_url, data_dir)
    port = free_port()
    # As deployed: `weiquan serve` starts its worker process beside the web processes, so the
    # log pump runs during the measurement and its CPU is counted with the server's.
    serve = ["serve", "--port", str(port), "--workers", str(args.workers)]
    server = start(serve, env, data_dir)
    failures = 0
    try:
        wait_until_healthy(port)
        token = login(port)
        body = encoded(args.body, env["SHOP"])
        load: Callable[[], Outcome]
        if args.client == "wrk":
            at = partial(wrk, port, token, body, connections=args.concurrency, folder=data_dir)
            at(seconds=args.warmup)
            load = partial(at, seconds=args.seconds)
        else:
            python_client(port, token, body, Load(500, 16))  # warm-up
            load = partial(
                python_client, port, token, body, Load(args.requests, args.concurrency, args.rate)
            )
        time.sleep(1)  # the warm-up's last answers and the worker's sealing settle
        before, _ = count_cases(database_url)
        processes = server_processes(server.pid)
        processes["database"] = database_pids(database_url)
        cpu_before = CpuSnapshot.take(processes)
        outcome = load()
        cpu_after = CpuSnapshot.take(processes)
        failures = outcome.failures
        after, unlogged = count_cases(database_url)
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        if failures:
            for log in sorted(Path(data_dir).glob("*.log")):
                print(f"--- {log.name}\n" + "\n".join(log.read_text().splitlines()[-20:]))
    report(
        label,
        args,
        outcome,
        created=after - before,
        unlogged=unlogged,
        before=cpu_before,
        after=cpu_after,
    )


def report(
    label: str,
    args: argparse.Namespace,
    outcome: Outcome,
    *,
    created: int,
    unlogged: int,
    before: CpuSnapshot,
    after: CpuSnapshot,
) -> None:
    cores = os.cpu_count() or 1
    seconds = outcome.seconds
    load = f"offered {args.rate:,.0f}/s over" if args.rate else "closed loop,"
    print(
        f"{label:<10} {args.client} client, {args.body} body, web processes {args.workers}, "
        f"{load} {args.concurrency} connections, {seconds:.1f} s → "
        f"{created / seconds:,.0f} created/s, p50 {outcome.p50:.1f} ms, p99 {outcome.p99:.1f} ms, "
        f"answered {outcome.answered:,}, failures {outcome.failures:,}, rows stored "
        f"{created:,} cases, events awaiting the log at the end {unlogged:,}"
    )
    # CPU per complaint moves far less than the rate with whatever else the machine is doing.
    per = {
        role: (after.processes[role] - before.processes[role]) * 1e6 / max(created, 1)
        for role in before.processes
    }
    per["client"] = (after.client - before.client) * 1e6 / max(created, 1)
    ours = sum(per.values()) * created / 1e6
    busy = after.machine - before.machine
    print(
        f"{'':<10} CPU per complaint: "
        + ", ".join(f"{role} {us:.0f} µs" for role, us in per.items())
        + f"; total {sum(per.values()):.0f} µs"
    )
    print(
        f"{'':<10} machine busy {busy / seconds / cores:.0%} of {cores} cores "
        f"(this benchmark {ours / seconds / cores:.0%}, "
        f"everything else {max(busy - ours, 0) / seconds / cores:.0%})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=20000, help="python client: how many")
    parser.add_argument("--concurrency", type=int, default=16, help="connections")
    parser.add_argument(
        "--rate", type=float, help="open loop: requests due per second (default: closed loop)"
    )
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    parser.add_argument("--workers", type=int, default=1, help="web processes")
    parser.add_argument("--body", choices=sorted(BODIES), default="realistic")
    parser.add_argument("--client", choices=["python", "wrk"], default="python")
    parser.add_argument("--seconds", type=float, default=30, help="wrk: measured seconds")
    parser.add_argument("--warmup", type=float, default=5, help="wrk: seconds before measuring")
    args = parser.parse_args()
    if args.client == "wrk" and (args.rate or not shutil.which("wrk")):
        parser.error("--client wrk needs Debian's wrk on the PATH and runs a closed loop only")
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as tmp:
            run("sqlite", f"sqlite:///{tmp}/bench.db", args)
    if args.only in (None, "postgres"):
        # A database of this run's own: others may be benchmarking on the same server.
        name = f"weiquan_bench_{os.getpid()}"
        admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        except sa.exc.OperationalError as exc:
            print(f"postgres   skipped: {exc.orig}")
            return
        url = sa.engine.make_url(PG_ADMIN).set(database=name)
        try:
            run("postgres", url.render_as_string(hide_password=False), args)
        finally:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
