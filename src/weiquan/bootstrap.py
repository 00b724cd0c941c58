"""Wires adapters into the services once per process; entrypoints call :func:`build`."""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

import sqlalchemy as sa

from weiquan.adapters.blobstore import FilesystemBlobStore
from weiquan.adapters.crypto import Argon2Passwords, FieldCipher, RandomIds
from weiquan.adapters.db.engine import create_engine
from weiquan.adapters.db.unit_of_work import SqlUnitOfWorkFactory
from weiquan.adapters.holiday_calendar import YearFilesCalendar, install_year_file
from weiquan.adapters.tlog.keys import KeyStore, PublishedKey, published_keys
from weiquan.adapters.tlog.log import TransparencyLog
from weiquan.adapters.tlog.timestamping import HttpTimestampAuthority
from weiquan.config import Settings
from weiquan.domain.rules import MemoisedCalendar
from weiquan.domain.workflow import DeadlinePolicy
from weiquan.services.context import Services


@dataclass(frozen=True)
class App:
    settings: Settings
    engine: sa.Engine
    services: Services
    # The year files behind services.calendar, re-read by reload_calendar (None: fixed calendar).
    year_files: YearFilesCalendar | None = None


def reload_calendar(app: App) -> bool:
    """Takes up year files added since start (``weiquan calendar load``); whether any were."""
    if app.year_files is None or not app.year_files.reload():
        return False
    calendar = app.services.calendar
    if isinstance(calendar, MemoisedCalendar):
        calendar.forget()
    first, last = app.year_files.covered_years()
    logging.getLogger("weiquan.calendar").info("working-day calendar now covers %d–%d", first, last)
    return True


def load_holiday_year(app: App, content: bytes) -> int:
    """Adds a published year's holiday arrangement (holiday-cn JSON) to the year folder and takes
    it up in this process at once; other processes and the worker follow on their own clocks."""
    year = install_year_file(content, app.settings.data_dir / "holidays")
    reload_calendar(app)
    return year


def policy_from(settings: Settings) -> DeadlinePolicy:
    return DeadlinePolicy(
        reply_working_days=settings.reply_working_days,
        negotiation_working_days=settings.negotiation_working_days,
        mediation_working_days=settings.mediation_working_days,
        mediation_calendar_days=settings.mediation_calendar_days,
        fulfilment_calendar_days=settings.fulfilment_calendar_days,
    )


def build(settings: Settings) -> App:
    engine = create_engine(settings.database_url, pool_size=settings.db_pool_size)
    cipher = FieldCipher.from_secret_list(settings.pii_keys)
    year_files = YearFilesCalendar(settings.holiday_files, settings.data_dir / "holidays")
    services = Services(
        uow=SqlUnitOfWorkFactory(engine, cipher),
        # Lookups repeat constantly (every deadline walks day by day): memoise them once here.
        calendar=MemoisedCalendar(year_files),
        policy=policy_from(settings),
        ids=RandomIds(),
        passwords=Argon2Passwords(),
        blobs=FilesystemBlobStore(settings.data_dir / "evidence"),
        max_upload_bytes=settings.max_upload_bytes,
        grade_policy=settings.grade_policy(),
    )
    return App(settings, engine, services, year_files)


@lru_cache(maxsize=1)
def region_names() -> dict[str, str]:
    """GB/T 2260 code → name, from the table shipped with the package."""
    text = files("weiquan.data").joinpath("regions_gbt2260.csv").read_text(encoding="utf-8")
    return {row["code"]: row["name"] for row in csv.DictReader(text.splitlines())}


@lru_cache(maxsize=4096)
def region_label(code: str) -> str:
    """ "四川省 成都市 锦江区 (510104)": the three GB/T 2260 levels by name, then the code."""
    names = region_names()
    levels = [code[:2] + "0000", code[:4] + "00", code]
    parts = [names[c] for c in dict.fromkeys(levels) if c in names and names[c] != "市辖区"]
    return f"{' '.join(parts)} ({code})" if parts else code


@lru_cache(maxsize=1)
def known_regions() -> frozenset[str]:
    return frozenset(region_names())


def log_public_keys(settings: Settings) -> list[PublishedKey]:
    """The log's public keys as published at /log/key and /log/keys (no signing key read)."""
    return published_keys(settings.key_dir)


def open_log(settings: Settings, *, writer: bool) -> TransparencyLog:
    """The writer (one process: the worker) signs checkpoints; other processes only read."""
    if writer:
        signer = KeyStore(settings.key_dir, name=settings.log_origin).active_signer()
        return TransparencyLog(settings.log_dir, origin=settings.log_origin, signer=signer)
    return TransparencyLog.reader(settings.log_dir, origin=settings.log_origin)


def timestamp_if_configured(context: App, tlog: TransparencyLog) -> None:
    """Has the TSA date the new checkpoint; a TSA outage is logged and retried next time."""
    url = context.settings.tsa_url
    if not url:
        return
    try:
        tlog.timestamp_checkpoint(HttpTimestampAuthority(url))
    except Exception:  # noqa: BLE001 - an unreachable TSA must not stop the log
        logging.getLogger("weiquan.log").warning(
            "RFC 3161 timestamp of the checkpoint failed; will retry with the next one"
        )
