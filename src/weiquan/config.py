"""Deployment settings from the environment (prefix ``WEIQUAN_``); unsafe defaults refused in production."""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path

from limits import parse as parse_rate
from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from weiquan.domain.errors import ValidationFailed
from weiquan.domain.throttle import DEFAULT_RATES, Rate
from weiquan.domain.trust.grade import GradePolicy
from weiquan.domain.trust.uploads import AnonymousQuota

DEV_SECRET = "dev-only-secret-key-do-not-use-in-production"  # noqa: S105 - refused outside dev
# A fixed development key so `make run` works out of the box; refused outside development.
DEV_PII_KEY = "dev:ZGV2LW9ubHktcGlpLWtleS0zMi1ieXRlcyEhISEhISE"
DEV_LOOKUP_KEY = "dev-only-lookup-key-do-not-use-in-production"


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class SqliteSynchronous(StrEnum):
    """How hard SQLite pushes each commit to disk (``PRAGMA synchronous``, in WAL mode).

    FULL: a complaint acknowledged is on disk; it survives a power cut or an operating-system
    crash. NORMAL: it survives a crashed process, not a lost machine (the last commits before a
    power cut can be lost), in exchange for fewer fsyncs.
    """

    FULL = "full"
    NORMAL = "normal"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WEIQUAN_", env_file=".env", extra="ignore")

    env: Environment = Environment.PRODUCTION
    database_url: str = "sqlite:///./var/weiquan.db"
    data_dir: Path = Path("var")
    secret_key: str = DEV_SECRET
    pii_keys: str = DEV_PII_KEY
    # Keys the HMACs that find records by a personal datum (a caller's phone); changing it
    # orphans those lookups, so it is set once per deployment.
    lookup_key: str = Field(default=DEV_LOOKUP_KEY, min_length=32)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    reply_working_days: int = Field(default=3, ge=1, le=60)
    negotiation_working_days: int = Field(default=10, ge=1, le=120)
    mediation_working_days: int = Field(default=45, ge=1, le=365)
    mediation_calendar_days: int = Field(default=60, ge=1, le=365)
    fulfilment_calendar_days: int = Field(default=15, ge=1, le=365)
    holiday_files: list[Path] = Field(default_factory=list)
    max_upload_bytes: int = Field(default=200 * 1024 * 1024, ge=1024)
    # Every body that is not a multipart upload (JSON, page forms): refused with 413 above this.
    max_json_bytes: int = Field(default=1024 * 1024, ge=64 * 1024)
    db_pool_size: int = Field(default=10, ge=1, le=200)
    # Records are legal evidence: an acknowledged write is on disk unless deliberately relaxed.
    sqlite_synchronous: SqliteSynchronous = SqliteSynchronous.FULL
    # Cookies are sent over HTTPS only (the Secure flag), by default in production; set false to
    # try a production configuration over plain http on your own machine.
    secure_cookies: bool | None = None
    # The site is served over TLS (directly or by a proxy in front): browsers are told to use
    # HTTPS only from now on (Strict-Transport-Security).
    behind_tls: bool = False
    # Throttle counts go to Redis when set (redis://host:6379/0), shared by every process and
    # machine; otherwise to the database.
    redis_url: str | None = None
    # Throttle rates to override, in the `limits` notation: {"login-address": "100/15 minutes"}.
    throttle_rates: dict[str, str] = Field(default_factory=dict)
    # The transparency log's name in its signed checkpoints: set it to your public host.
    log_origin: str = "localhost/weiquan"
    # Signing keys live outside the database (and outside backups of it), by default in data_dir.
    log_key_dir: Path | None = None
    # Where the highest checkpoint the log ever published is kept, so that a restore of data_dir
    # cannot roll it back: outside data_dir and its backups. Default: $XDG_STATE_HOME/weiquan
    # in production; data_dir/log-state in development and tests (one directory per checkout).
    log_state_dir: Path | None = None
    # /healthz: the worker is unhealthy when it has not reported for this long, and the log when
    # records have waited this long to be sealed.
    health_worker_stale_seconds: float = Field(default=60.0, ge=1, le=86_400)
    health_seal_lag_seconds: float = Field(default=60.0, ge=1, le=86_400)
    # An RFC 3161 time-stamping authority; when set, each new checkpoint is dated by it.
    tsa_url: str | None = None
    # The worker sweeps deadlines this often, and seals new records into the log this often.
    worker_interval_seconds: float = Field(default=5.0, ge=0.2, le=3600)
    log_interval_seconds: float = Field(default=1.0, ge=0.1, le=3600)
    # Web processes look for newly loaded holiday year files this often.
    calendar_reload_seconds: float = Field(default=30.0, ge=0.1, le=86_400)
    # The credit grade's component weights, e.g. {"response": 0.3, "speed": 0.0, ...}; names not
    # given keep the published weight, and the weights must add up to 1 (docs/credit-grade.md).
    grade_weights: dict[str, float] = Field(default_factory=dict)
    grade_prior_weight: float = Field(default=10.0, gt=0, le=10_000)
    # Files sent without an account (an anonymous 举报's evidence): per sender address and hour,
    # per file, and in all while not yet cited by a report (uncited ones are swept after a day).
    anonymous_upload_files_per_hour: int = Field(default=20, ge=0, le=100_000)
    anonymous_upload_bytes_per_hour: int = Field(default=100 * 1024 * 1024, ge=0)
    anonymous_upload_max_file_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)
    anonymous_upload_total_bytes: int = Field(default=2 * 1024 * 1024 * 1024, ge=0)

    @field_validator("sqlite_synchronous", mode="before")
    @classmethod
    def _synchronous_in_any_case(cls, value: object) -> object:
        # SQLite itself spells them in capitals; either spelling means the same.
        return value.lower() if isinstance(value, str) else value

    # Notifications. Links in e-mails and SMS point at this address.
    public_url: str = "http://127.0.0.1:8000"
    # The sender looks for due notices this often; it gives a notice up after this long.
    notify_interval_seconds: float = Field(default=1.0, ge=0.1, le=3600)
    notify_give_up_hours: float = Field(default=24.0, gt=0, le=24 * 30)
    # E-mail over SMTP; no host means no e-mail (development shows it at /dev/outbox instead).
    smtp_host: str = ""
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_security: str = Field(default="starttls", pattern="^(starttls|tls|none)$")
    smtp_username: str = ""
    smtp_password: str = ""
    mail_from: str = "维权平台 <notify@localhost>"
    # SMS: "aliyun" (Alibaba Cloud SMS), "dev" (the developer outbox) or "none".
    sms_provider: str = Field(default="none", pattern="^(aliyun|dev|none)$")
    sms_aliyun_access_key_id: str = ""
    sms_aliyun_access_key_secret: str = ""
    sms_aliyun_sign_name: str = ""
    sms_aliyun_endpoint: str = "https://dysmsapi.aliyuncs.com"
    # Notice kind → approved template code, e.g. {"default": "SMS_1234", "offer_made": "SMS_5678"}.
    sms_aliyun_templates: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _grade_policy_is_consistent(self) -> Settings:
        try:
            self.grade_policy()
        except ValidationFailed as exc:
            raise ValueError(f"WEIQUAN_GRADE_WEIGHTS / WEIQUAN_GRADE_PRIOR_WEIGHT: {exc}") from None
        return self

    def anonymous_upload_quota(self) -> AnonymousQuota:
        return AnonymousQuota(
            files_per_hour=self.anonymous_upload_files_per_hour,
            bytes_per_hour=self.anonymous_upload_bytes_per_hour,
            max_file_bytes=self.anonymous_upload_max_file_bytes,
            total_pending_bytes=self.anonymous_upload_total_bytes,
        )

    def grade_policy(self) -> GradePolicy:
        base = GradePolicy(prior_weight=self.grade_prior_weight)
        return base.with_weights(self.grade_weights) if self.grade_weights else base

    @model_validator(mode="after")
    def _throttle_rates_are_readable(self) -> Settings:
        self.throttle_rate_overrides()
        return self

    def throttle_rate_overrides(self) -> dict[str, Rate]:
        """The configured rates by rule; an unknown rule or unreadable rate is refused."""
        rates: dict[str, Rate] = {}
        for rule, text in self.throttle_rates.items():
            if rule not in DEFAULT_RATES:
                known = ", ".join(sorted(DEFAULT_RATES))
                raise ValueError(f"WEIQUAN_THROTTLE_RATES: unknown rule {rule!r} (known: {known})")
            try:
                item = parse_rate(text)
            except ValueError:
                raise ValueError(
                    f"WEIQUAN_THROTTLE_RATES: {rule} = {text!r} is not a rate like '10/15 minutes'"
                ) from None
            rates[rule] = Rate(item.amount, item.get_expiry())
        return rates

    @model_validator(mode="after")
    def _refuse_default_secrets_outside_development(self) -> Settings:
        if self.env is Environment.PRODUCTION:
            if self.secret_key == DEV_SECRET or len(self.secret_key) < 32:
                raise ValueError(
                    "WEIQUAN_SECRET_KEY must be set to a random value of at least 32 characters "
                    "in production (generate one with `weiquan keys new-secret`)"
                )
            if DEV_PII_KEY.split(":", 1)[1] in self.pii_keys:
                raise ValueError(
                    "WEIQUAN_PII_KEYS still holds the development key; generate one with "
                    "`weiquan keys new-pii-key`"
                )
            if self.lookup_key == DEV_LOOKUP_KEY:
                raise ValueError(
                    "WEIQUAN_LOOKUP_KEY must be set to a random value of at least 32 characters "
                    "in production (generate one with `weiquan keys new-secret`)"
                )
        return self

    @property
    def cookies_secure(self) -> bool:
        if self.secure_cookies is not None:
            return self.secure_cookies
        return self.env is Environment.PRODUCTION or self.behind_tls

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "tlog"

    @property
    def published_state_dir(self) -> Path:
        if self.log_state_dir is not None:
            return self.log_state_dir
        if self.env is Environment.PRODUCTION:
            base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
            return Path(base) / "weiquan"
        return self.data_dir / "log-state"

    @property
    def key_dir(self) -> Path:
        return self.log_key_dir or self.data_dir / "keys"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
