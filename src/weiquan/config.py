"""Deployment settings from the environment (prefix ``WEIQUAN_``); unsafe defaults refused in production."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from weiquan.domain.errors import ValidationFailed
from weiquan.domain.trust.grade import GradePolicy

DEV_SECRET = "dev-only-secret-key-do-not-use-in-production"  # noqa: S105 - refused outside dev
# A fixed development key so `make run` works out of the box; refused outside development.
DEV_PII_KEY = "dev:ZGV2LW9ubHktcGlpLWtleS0zMi1ieXRlcyEhISEhISE"


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WEIQUAN_", env_file=".env", extra="ignore")

    env: Environment = Environment.PRODUCTION
    database_url: str = "sqlite:///./var/weiquan.db"
    data_dir: Path = Path("var")
    secret_key: str = DEV_SECRET
    pii_keys: str = DEV_PII_KEY
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    reply_working_days: int = Field(default=3, ge=1, le=60)
    negotiation_working_days: int = Field(default=10, ge=1, le=120)
    mediation_working_days: int = Field(default=45, ge=1, le=365)
    mediation_calendar_days: int = Field(default=60, ge=1, le=365)
    fulfilment_calendar_days: int = Field(default=15, ge=1, le=365)
    holiday_files: list[Path] = Field(default_factory=list)
    max_upload_bytes: int = Field(default=200 * 1024 * 1024, ge=1024)
    db_pool_size: int = Field(default=10, ge=1, le=200)
    secure_cookies: bool = False
    # The transparency log's name in its signed checkpoints: set it to your public host.
    log_origin: str = "localhost/weiquan"
    # Signing keys live outside the database (and outside backups of it), by default in data_dir.
    log_key_dir: Path | None = None
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

    def grade_policy(self) -> GradePolicy:
        base = GradePolicy(prior_weight=self.grade_prior_weight)
        return base.with_weights(self.grade_weights) if self.grade_weights else base

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
        return self

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "tlog"

    @property
    def key_dir(self) -> Path:
        return self.log_key_dir or self.data_dir / "keys"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
