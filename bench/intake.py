"""Intake throughput: concurrent complaint submissions against a running server.

Starts `weiquan serve` on a fresh database (SQLite file, then PostgreSQL if reachable), creates a
consumer and a shop, then posts complaints from an asyncio client and prints submissions/s and
p50/p99 latency. The client runs on the same machine, so it competes with the server for the CPU.

    .venv/bin/python bench/intake.py [--requests 3000] [--concurrency 32] [--only sqlite|postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = os.environ.get(
    "WEIQUAN_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
PASSWORD = "bench-password-123"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(database_url: str) -> dict[str, str]:
    env = {**os.environ, "WEIQUAN_DATABASE_URL": database_url, "WEIQUAN_ENV": "development"}
    weiquan = str(Path(sys.executable).parent / "weiquan")
    subprocess.run([weiquan, "db", "upgrade"], env=env, check=True, capture_output=True)
    from weiquan.bootstrap import build  # noqa: PLC0415
    from weiquan.config import Settings  # noqa: PLC0415
    from weiquan.domain.accounts import Role  # noqa: PLC0415
    from weiquan.services import accounts, merchants  # noqa: PLC0415

    os.environ.update({"WEIQUAN_DATABASE_URL": database_url, "WEIQUAN_ENV": "development"})
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


async def fire(base: str, shop: str, requests: int, concurrency: int) -> tuple[list[float], int]:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        token = (
            await client.post(
                "/api/v1/auth/token", json={"username": "bench", "password": PASSWORD}
            )
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        body = {
            "shop_id": shop,
            "category": "quality",
            "title": "耳机右耳无声",
            "description": "收到的耳机右耳没有声音，要求退款。",
            "claims": [{"kind": "refund", "amount_fen": 29900}],
        }
        latencies: list[float] = []
        failures = 0
        run_id = uuid.uuid4().hex
        queue: asyncio.Queue[int] = asyncio.Queue()
        for i in range(requests):
            queue.put_nowait(i)

        async def worker() -> None:
            nonlocal failures
            while not queue.empty():
                i = queue.get_nowait()
                started = time.perf_counter()
                response = await client.post(
                    "/api/v1/cases",
                    json=body,
                    headers={**headers, "Idempotency-Key": f"{run_id}-{i}"},
                )
                latencies.append(time.perf_counter() - started)
                failures += response.status_code != 201

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return latencies, failures


def run(label: str, database_url: str, requests: int, concurrency: int, workers: int) -> None:
    env = prepare(database_url)
    port = free_port()
    weiquan = str(Path(sys.executable).parent / "weiquan")
    server = subprocess.Popen(
        [weiquan, "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        asyncio.run(fire(base, env["SHOP"], min(200, requests), concurrency))  # warm-up
        started = time.perf_counter()
        latencies, failures = asyncio.run(fire(base, env["SHOP"], requests, concurrency))
        elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(10)
    latencies.sort()
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
    print(
        f"{label:<10} workers={workers} requests={requests} concurrency={concurrency} "
        f"→ {requests / elapsed:,.0f} submissions/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms, "
        f"failures {failures}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    args = parser.parse_args()
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as tmp:
            run("sqlite", f"sqlite:///{tmp}/bench.db", args.requests, args.concurrency,
                args.workers)
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
        run(
            "postgres",
            url.render_as_string(hide_password=False),
            args.requests,
            args.concurrency,
            2,
        )


if __name__ == "__main__":
    main()
