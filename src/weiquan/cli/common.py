"""What every command needs first: the settings and the wired services, or a clear refusal."""

from __future__ import annotations

import typer
from rich.console import Console

from weiquan.bootstrap import App, build
from weiquan.config import Settings
from weiquan.domain.errors import DomainError

errors = Console(stderr=True)


def load_settings() -> Settings:
    """The deployment's settings; a bad one ends the command with its reason and exit code 2."""
    try:
        return Settings()
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        errors.print(f"[red]configuration error:[/red] {exc}")
        raise typer.Exit(2) from exc


def load_context() -> App:
    settings = load_settings()
    try:
        return build(settings)
    except DomainError as exc:  # e.g. a holiday year file that cannot be read
        errors.print(f"[red]{exc.code}:[/red] {exc.message}")
        raise typer.Exit(exc.exit_code) from exc
