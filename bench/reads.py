"""Case-list reads as the record grows: every list of the API and the pages, for every role.

    .venv/bin/python bench/reads.py [--sizes 10000 100000 1000000] [--databases sqlite postgres]
                                    [--samples 200]

For each database a fresh one is migrated and given the test personas (tests/support/world.py),
then grown to each size in turn by bulk insertion (tests/support/case_rows.py: the case rows
alone, with no events, written by multi-row INSERTs of 5,000 rows in one transaction, then
ANALYZE; filing through the service would take about a millisecond a case). Seventy per cent of
the cases are Alice's and seventy per cent are against merchant A, so the busiest lists are the
ones that grow. At each size every read below is sent ``--samples`` times through the whole app
in process (Starlette's TestClient: routing, authentication, the queries, JSON or the HTML page;
no network), and its p50/p95 printed. Deep pages start at a cursor made from a case picked at
random in the scope, so "any page" is measured, not only the first.

PostgreSQL: ``WEIQUAN_BENCH_POSTGRES`` (default postgresql+psycopg://postgres@127.0.0.1:5432/
postgres) is used to create and drop a database ``weiquan_bench_reads``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository, for tests.support

from tests.conftest import TEST_PII_KEYS
from tests.support.case_rows import Parties, case_rows, insert_cases
from tests.support.world import NOW, PASSWORD, World, build_world

from weiquan.adapters.db import tables as t
from weiquan.adapters.db.migrate import upgrade
from weiquan.bootstrap import build
from weiquan.config import Environment, Settings
from weiquan.services.cases import encode_cursor
from weiquan.services.ports import CasePosition
from weiquan.web.app import create_app

PG_ADMIN = os.environ.get(
    "WEIQUAN_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
PG_NAME = "weiquan_bench_reads"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def fresh_database(kind: str, workdir: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{workdir}/reads.db"
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{PG_NAME}"'))
    admin.dispose()
    return sa.engine.make_url(PG_ADMIN).set(database=PG_NAME).render_as_string(hide_password=False)


def grow(engine: sa.Engine, world: World, have: int, size: int) -> float:
    """Adds cases until there are ``size``; returns the rows written per second."""
    parties = Parties(
        consumers=(world.alice.user_id, world.bob.user_id),
        shops=(
            (world.shop_a, world.merchant_a_id, "110108"),
            (world.shop_b, world.merchant_b_id, "510104"),
        ),
        mediators=(world.mediator.user_id, world.mediator2.user_id),
    )
    started = time.perf_counter()
    start = NOW - timedelta(days=400)
    insert_cases(engine, case_rows(parties, size - have, start=start, first=have))
    elapsed = time.perf_counter() - started
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    return (size - have) / elapsed


class Session:
    """One persona signed in twice: a bearer token for the API and a cookie for the pages."""

    def __init__(self, app: object, username: str) -> None:
        self.api = TestClient(app)  # type: ignore[arg-type]
        token = self.api.post(
            "/api/v1/auth/token", json={"username": username, "password": PASSWORD}
        ).json()["access_token"]
        self.api.headers["Authorization"] = f"Bearer {token}"
        self.page = TestClient(app)  # type: ignore[arg-type]
        form = self.page.get("/login").text
        match = CSRF.search(form)
        assert match, "no CSRF field on the login page"
        answer = self.page.post(
            "/login",
            data={"username": username, "password": PASSWORD, "csrf": match.group(1)},
            follow_redirects=False,
        )
        assert answer.status_code in (302, 303), answer.text[:300]


def random_cursors(
    engine: sa.Engine, rng: random.Random, where: sa.ColumnElement[bool], count: int = 50
) -> list[str]:
    """Cursors of cases picked at random in a scope (ids are random UUIDs: the first id of the
    scope after a random one), so the page after each is as deep as that case stands."""
    c = t.cases.c
    found = []
    with engine.connect() as conn:
        for _ in range(count):
            start = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            row = conn.execute(
                sa.select(c.next_due_at, c.created_at, c.id)
                .where(where, c.id >= start)
                .order_by(c.id)
                .limit(1)
            ).first()
            if row is not None:
                found.append(encode_cursor(CasePosition(row.next_due_at, row.created_at, row.id)))
    return found


def reads(
    engine: sa.Engine, world: World, sessions: dict[str, Session], rng: random.Random
) -> dict[str, Callable[[], object]]:
    c = t.cases.c
    api = {name: s.api for name, s in sessions.items()}
    page = {name: s.page for name, s in sessions.items()}
    merchant_scope = sa.and_(c.merchant_id == world.merchant_a_id, c.status != "draft")

    def deep(name: str, where: sa.ColumnElement[bool]) -> Callable[[], object]:
        cursors = itertools.cycle(random_cursors(engine, rng, where))  # picked before timing
        return lambda: api[name].get("/api/v1/cases", params={"limit": 50, "cursor": next(cursors)})

    def get(client: TestClient, path: str, **params: object) -> Callable[[], object]:
        return lambda: client.get(path, params=params)

    return {
        "API consumer, first page": get(api["alice"], "/api/v1/cases", limit=50),
        "API consumer, any page": deep("alice", c.consumer_id == world.alice.user_id),
        "API merchant, first page": get(api["merchant_a"], "/api/v1/cases", limit=50),
        "API merchant, any page": deep("merchant_a", merchant_scope),
        "API merchant, negotiation queue": get(
            api["merchant_a"], "/api/v1/cases", limit=50, status="negotiation"
        ),
        "API merchant, offset=1000": get(api["merchant_a"], "/api/v1/cases", limit=50, offset=1000),
        "API mediator, first page": get(api["mediator"], "/api/v1/cases", limit=50),
        "API regulator (Beijing), first page": get(api["reg_beijing"], "/api/v1/cases", limit=50),
        "API regulator (Beijing), any page": deep("reg_beijing", c.referred_province == "11"),
        "API admin, first page": get(api["admin"], "/api/v1/cases", limit=50),
        "API admin, any page": deep("admin", sa.true()),
        "API admin, mediation queue": get(api["admin"], "/api/v1/cases", status="mediation"),
        "page /cases (consumer)": get(page["alice"], "/cases"),
        "page /merchant/inbox": get(page["merchant_a"], "/merchant/inbox"),
        "page /mediator/queue": get(page["mediator"], "/mediator/queue"),
        "page /regulator/referrals (Beijing)": get(page["reg_beijing"], "/regulator/referrals"),
        "page /merchants/{id}, signed in as a consumer": get(
            page["alice"], f"/merchants/{world.merchant_a_id}"
        ),
        "page /account/data (merchant: bounded count)": get(page["merchant_a"], "/account/data"),
    }


@dataclass
class Figures:
    p50: float
    p95: float
    cpu_p50: float  # CPU time of this process (app and client; not the PostgreSQL server)
    statements: float  # SQL statements per request


def measure(action: Callable[[], object], samples: int, engine: sa.Engine) -> Figures:
    """Wall-clock p50/p95, and two figures the neighbours' load cannot move: this process's CPU
    time and the statements sent, per request."""
    sent = 0

    def count(*_: object) -> None:
        nonlocal sent
        sent += 1

    timings, cpu = [], []
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        for _ in range(samples):
            started, started_cpu = time.perf_counter(), time.process_time()
            response = action()
            timings.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
            status = getattr(response, "status_code", 200)
            assert status == 200, (status, getattr(response, "text", "")[:300])
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    timings.sort()
    return Figures(
        statistics.median(timings),
        timings[max(int(len(timings) * 0.95) - 1, 0)],
        statistics.median(cpu),
        sent / samples,
    )


def run(kind: str, sizes: list[int], samples: int) -> list[dict[str, object]]:
    results: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as workdir:
        url = fresh_database(kind, Path(workdir))
        upgrade(url)
        settings = Settings(
            env=Environment.TEST,
            database_url=url,
            pii_keys=TEST_PII_KEYS,
            data_dir=Path(workdir) / "data",
        )
        context = build(settings)  # wired as a deployment is (memoised calendar, pool size)
        engine = context.engine
        world = build_world(context.services)
        app = create_app(context, clock=lambda: NOW)
        logins = {
            "alice": "alice",
            "merchant_a": "merchant-a",
            "mediator": "mediator",
            "reg_beijing": "reg-beijing",
            "admin": "admin",
        }
        sessions = {name: Session(app, username) for name, username in logins.items()}
        rng = random.Random(18)
        have = 0
        for size in sizes:
            rate = grow(engine, world, have, size)
            have = size
            load = os.getloadavg()[0]
            print(
                f"\n{kind}, {size:,} cases (bulk load {rate:,.0f} rows/s, load {load:.1f})",
                flush=True,
            )
            for name, action in reads(engine, world, sessions, rng).items():
                action()  # warm: templates compiled, statements cached
                got = measure(action, samples, engine)
                print(
                    f"  {name:<48} p50 {got.p50:6.1f} ms  p95 {got.p95:6.1f} ms  "
                    f"cpu {got.cpu_p50:5.1f} ms  {got.statements:4.1f} statements",
                    flush=True,
                )
                results.append({"database": kind, "size": size, "read": name, **asdict(got)})
        engine.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgres"])
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    print(f"{platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores")
    print(f"load average at start: {os.getloadavg()}")
    results = [r for kind in args.databases for r in run(kind, sorted(args.sizes), args.samples)]
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
