"""Running Alembic from code, so `weiquan db upgrade` and the tests share one path."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", "weiquan:migrations")
    # ConfigParser interpolation treats % specially; escape it in passwords.
    config.set_main_option(
        "sqlalchemy.url",
        make_url(database_url).render_as_string(hide_password=False).replace("%", "%%"),
    )
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)
