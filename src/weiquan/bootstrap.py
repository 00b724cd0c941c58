"""Wires adapters into the services once per process; entrypoints call :func:`build`."""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from importlib.resources import files

import sqlalchemy as sa

from weiquan.adapters.blobstore import FilesystemBlobStore
from weiquan.adapters.crypto import Argon2Passwords, FieldCipher, KeyedHash, RandomIds
from weiquan.adapters.db.engine import create_engine
from weiquan.adapters.db.pii_keys import count_under_key
from weiquan.adapters.db.unit_of_work import SqlUnitOfWorkFactory
from weiquan.adapters.holiday_calendar import YearFilesCalendar, install_year_file
from weiquan.adapters.notify.aliyun_sms import AliyunSmsChannel
from weiquan.adapters.notify.dev_outbox import DevOutbox
from weiquan.adapters.notify.email import SmtpChannel, SmtpSecurity
from weiquan.adapters.notify.webhook_http import HttpWebhookPoster
from weiquan.adapters.throttle import throttle_for
from weiquan.adapters.tlog.keys import PublishedKey, published_keys
from weiquan.adapters.tlog.log import TransparencyLog, open_transparency_log
from weiquan.adapters.tlog.published import PublishedCheckpoints
from weiquan.adapters.tlog.timestamping import HttpTimestampAuthority
from weiquan.config import DEV_PII_KEY, Environment, Settings
from weiquan.domain.notifications import RetryPolicy
from weiquan.domain.rules import MemoisedCalendar
from weiquan.domain.workflow import DeadlinePolicy
from weiquan.services.context import Services
from weiquan.services.notify_ports import Channels, MessageChannel, NotifyPolicy
from weiquan.services.readiness import usable_demo_accounts


@dataclass(frozen=True)
class App:
    settings: Settings
    engine: sa.Engine
    services: Services
    # The year files behind services.calendar, re-read by reload_calendar (None: fixed calendar).
    year_files: YearFilesCalendar | None = None
    # Development only: e-mail and SMS land here and show at /dev/outbox (None elsewhere).
    dev_outbox: DevOutbox | None = None


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
    engine = create_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        sqlite_synchronous=settings.sqlite_synchronous.value,
    )
    cipher = FieldCipher.from_secret_list(settings.pii_keys)
    year_files = YearFilesCalendar(settings.holiday_files, settings.data_dir / "holidays")
    dev_outbox = dev_outbox_of(settings)
    services = Services(
        uow=SqlUnitOfWorkFactory(engine, cipher),
        # Lookups repeat constantly (every deadline walks day by day): memoise them once here.
        calendar=MemoisedCalendar(year_files),
        policy=policy_from(settings),
        ids=RandomIds(),
        passwords=Argon2Passwords(),
        blobs=FilesystemBlobStore(settings.data_dir / "evidence"),
        throttle=throttle_for(
            engine,
            secret=settings.secret_key,
            redis_url=settings.redis_url,
            rates=settings.throttle_rate_overrides(),
        ),
        lookup=KeyedHash.from_secret(settings.lookup_key),
        max_upload_bytes=settings.max_upload_bytes,
        grade_policy=settings.grade_policy(),
        anonymous_uploads=settings.anonymous_upload_quota(),
        channels=channels_from(settings, dev_outbox),
        notify=NotifyPolicy(
            retry=RetryPolicy(give_up_after=timedelta(hours=settings.notify_give_up_hours)),
            base_url=settings.public_url,
        ),
    )
    return App(settings, engine, services, year_files, dev_outbox)


def dev_outbox_of(settings: Settings) -> DevOutbox | None:
    if settings.env is not Environment.DEVELOPMENT:
        return None
    return DevOutbox(settings.data_dir / "dev-outbox.jsonl")


def channels_from(settings: Settings, dev_outbox: DevOutbox | None) -> Channels:
    """The e-mail and SMS adapters this deployment configured; in development, whatever is not
    configured goes to the developer outbox."""
    email: MessageChannel | None = dev_outbox
    if settings.smtp_host:
        email = SmtpChannel(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.mail_from,
            security=SmtpSecurity(settings.smtp_security),
            username=settings.smtp_username,
            password=settings.smtp_password,
            unsubscribe_url=f"{settings.public_url.rstrip('/')}/notifications/unsubscribe",
        )
    sms: MessageChannel | None = (
        dev_outbox if settings.sms_provider != "none" or dev_outbox else None
    )
    if settings.sms_provider == "aliyun":
        sms = AliyunSmsChannel(
            access_key_id=settings.sms_aliyun_access_key_id,
            access_key_secret=settings.sms_aliyun_access_key_secret,
            sign_name=settings.sms_aliyun_sign_name,
            templates=settings.sms_aliyun_templates,
            endpoint=settings.sms_aliyun_endpoint,
        )
    return Channels(email=email, sms=sms, webhooks=HttpWebhookPoster())


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
        log, _ = open_transparency_log(
            settings.log_dir,
            settings.key_dir,
            origin=settings.log_origin,
            published=published_checkpoints(settings),
        )
        return log
    return TransparencyLog.reader(settings.log_dir, origin=settings.log_origin)


def published_checkpoints(settings: Settings) -> PublishedCheckpoints:
    return PublishedCheckpoints(settings.published_state_dir, origin=settings.log_origin)


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


DEV_KEY_ID = DEV_PII_KEY.split(":", 1)[0]


class UnsafeProduction(RuntimeError):
    """Production refuses to start on data only a development set-up may have."""


def production_blockers(app: App) -> list[str]:
    """Why this database must not be served in production, each naming the command that fixes
    it; empty outside production or when there is nothing to fix."""
    if app.settings.env is not Environment.PRODUCTION:
        return []
    try:
        return _blockers_in_data(app)
    except sa.exc.SQLAlchemyError as exc:
        reason = (
            f"the database cannot be checked ({type(exc).__name__}): is it reachable, and "
            "has `weiquan db upgrade` been run?"
        )
        return [reason]


def _blockers_in_data(app: App) -> list[str]:
    blockers = []
    demo = usable_demo_accounts(app.services)
    if demo:
        blockers.append(
            f"demo accounts still sign in with the published demo password ({', '.join(demo)}); "
            "disable them with `weiquan user disable-demo`"
        )
    cipher = FieldCipher.from_secret_list(app.settings.pii_keys)
    if DEV_KEY_ID not in cipher.keys:
        sealed = count_under_key(app.engine, DEV_KEY_ID)
        if sealed:
            blockers.append(
                f"{sealed} personal-data value(s) are encrypted with the development key; "
                "re-encrypt them under your key with `weiquan keys reencrypt-pii "
                "--from-development-key`"
            )
    return blockers


def refuse_unsafe_production(app: App) -> None:
    blockers = production_blockers(app)
    if blockers:
        raise UnsafeProduction("refusing to start in production: " + "; ".join(blockers))
