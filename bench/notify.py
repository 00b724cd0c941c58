"""Notification outbox throughput: notices queued and delivered per second, durably.

    .venv/bin/python bench/notify.py [--notices 20000] [--batch 200] [--runs 3]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

On a fresh database (a temporary SQLite file, then a PostgreSQL database made for the run and
dropped after), it measures two things:

* **queued/s**: notices written through ``notifications.queue`` (audience lookup, contacts,
  one row per channel), 100 events per transaction, committed;
* **delivered/s**: the sender (``notifications.deliver_due``, the code the worker runs) claiming
  batches with their lease, handing each e-mail to an in-process receiver that deduplicates by
  notice id, and committing the outcomes, until the outbox is empty.

Each figure is the median of ``--runs`` runs, since the machine may be shared.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from weiquan.adapters.blobstore import FilesystemBlobStore
from weiquan.adapters.crypto import (
    Argon2Passwords,
    FieldCipher,
    KeyedHash,
    RandomIds,
    new_key_entry,
)
from weiquan.adapters.db.engine import create_engine
from weiquan.adapters.db.migrate import upgrade
from weiquan.adapters.db.unit_of_work import SqlUnitOfWorkFactory
from weiquan.adapters.holiday_calendar import ChinaWorkdayCalendar
from weiquan.adapters.throttle import LimitsThrottle, SqlWindowStorage
from weiquan.domain.accounts import Role
from weiquan.domain.cases import Category, Claim, ClaimKind
from weiquan.domain.notifications import Audience, NoticeIntent, NoticeKind
from weiquan.domain.workflow import DeadlinePolicy
from weiquan.services import accounts, cases, merchants, notifications
from weiquan.services.commands import FileComplaint
from weiquan.services.context import Services
from weiquan.services.notify_ports import Channels, OutgoingMessage

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # 10:00 in Beijing: outside SMS quiet hours
BENCH_PASSWORD = "bench-password-123"


@dataclass
class Receiver:
    """An in-process receiver that keeps each notice once, as receivers should."""

    seen: set[str] = field(default_factory=set)
    copies: int = 0

    def deliver(self, message: OutgoingMessage) -> None:
        self.copies += 1
        self.seen.add(message.notice_id)


def _services(url: str, receiver: Receiver, blobs: Path) -> Services:
    engine = create_engine(url, pool_size=4)
    svc = Services(
        uow=SqlUnitOfWorkFactory(engine, FieldCipher.from_secret_list(new_key_entry("bench"))),
        calendar=ChinaWorkdayCalendar(),
        policy=DeadlinePolicy(),
        ids=RandomIds(),
        passwords=Argon2Passwords(time_cost=1, memory_cost=1024),
        blobs=FilesystemBlobStore(blobs),
        throttle=LimitsThrottle(SqlWindowStorage(engine), secret="bench-throttle"),  # noqa: S106 - a throwaway benchmark key
        lookup=KeyedHash.from_secret("bench-lookup-key-" + "x" * 16),
    )
    return replace(svc, channels=Channels(email=receiver))


def _world(svc: Services) -> tuple[str, str, str]:
    """A merchant with one staff member who has an e-mail address, and one filed case."""
    merchant, _ = merchants.register_merchant(
        svc, name="基准测试商贸有限公司", region_code="110108", now=NOW
    )
    shop = merchants.add_shop(svc, merchant_id=merchant.id, name="基准店", platform="京东", now=NOW)
    staff = accounts.create_user(
        svc,
        username="staff",
        password=BENCH_PASSWORD,
        display_name="staff",
        role=Role.MERCHANT,
        now=NOW,
        merchant_id=merchant.id,
    )
    consumer = accounts.create_user(
        svc,
        username="consumer",
        password=BENCH_PASSWORD,
        display_name="consumer",
        role=Role.CONSUMER,
        now=NOW,
    )
    notifications.set_preferences(
        svc,
        principal=staff.principal,
        language="zh_CN",
        email="staff@example.com",
        email_enabled=True,
        sms_enabled=False,
        now=NOW,
    )
    cmd = FileComplaint(
        shop_id=shop.id,
        category=Category.QUALITY,
        title="基准",
        description="基准测试",
        claims=(Claim(ClaimKind.REFUND, 100),),
    )
    case, _ = cases.file_complaint(svc, cmd, principal=consumer.principal, now=NOW)
    return case.id, case.number, merchant.id


def run_once(url: str, count: int, batch: int, blobs: Path) -> dict[str, float]:
    receiver = Receiver()
    svc = _services(url, receiver, blobs)
    case_id, number, merchant_id = _world(svc)
    drain(svc)  # the complaint's own notice
    receiver.seen.clear()
    intent = NoticeIntent(
        case_id=case_id,
        case_number=number,
        event_seq=2,
        kind=NoticeKind.COMPLAINT_RECEIVED,
        audience=Audience.MERCHANT_STAFF,
        consumer_id="",
        merchant_id=merchant_id,
        region_code="110108",
        shop_id="",
        params={"title": "基准", "due_at": NOW.isoformat()},
        actor_id=None,
    )
    started = time.perf_counter()
    queued = 0
    for _ in range(0, count, 100):  # each "event" tells the staff member in-app and by e-mail
        with svc.uow() as uow:
            queued += notifications.queue(uow, [intent] * 100, now=NOW, channels=svc.channels)
            uow.commit()
    queue_seconds = time.perf_counter() - started
    started = time.perf_counter()
    delivered = drain(svc, batch)
    deliver_seconds = time.perf_counter() - started
    if delivered != count or len(receiver.seen) != count:
        raise RuntimeError(f"{count} queued but {delivered} delivered, {len(receiver.seen)} seen")
    return {"queued_per_s": queued / queue_seconds, "delivered_per_s": delivered / deliver_seconds}


def drain(svc: Services, batch: int = 200) -> int:
    total = 0
    while done := notifications.deliver_due(svc, now=NOW, batch_size=batch).delivered:
        total += done
    return total


def _postgres_database(admin_url: str) -> tuple[str, sa.Engine, str]:
    name = f"weiquan_bench_notify_{os.getpid()}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    return url, admin, name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--notices", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    args = parser.parse_args()
    print(
        f"{platform.processor() or platform.machine()}, Python {platform.python_version()}, "
        f"{args.notices} notices, sender batches of {args.batch}"
    )
    for label in ("SQLite", "PostgreSQL"):
        figures: dict[str, list[float]] = {}
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory() as tmp:
                admin = None
                if label == "SQLite":
                    url = f"sqlite:///{tmp}/bench.db"
                else:
                    url, admin, name = _postgres_database(args.postgres)
                upgrade(url)
                try:
                    result = run_once(url, args.notices, args.batch, Path(tmp) / "blobs")
                finally:
                    if admin is not None:
                        with admin.connect() as conn:
                            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                        admin.dispose()
            for key, value in result.items():
                figures.setdefault(key, []).append(value)
        medians = {k: statistics.median(v) for k, v in figures.items()}
        print(
            f"{label:10}  queued {medians['queued_per_s']:8,.0f}/s (rows, in-app + e-mail)   "
            f"delivered {medians['delivered_per_s']:8,.0f}/s (e-mails)"
        )


if __name__ == "__main__":
    main()
