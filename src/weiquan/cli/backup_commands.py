"""`weiquan backup DEST` and `weiquan restore SRC`, with progress bars."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from weiquan.adapters.backup import Deployment, create_snapshot, restore_snapshot
from weiquan.bootstrap import open_log
from weiquan.cli.common import load_settings
from weiquan.config import Settings
from weiquan.domain.errors import DomainError, LogRolledBack

console = Console(stderr=True)


def deployment_of(settings: Settings) -> Deployment:
    return Deployment(
        database_url=settings.database_url,
        data_dir=settings.data_dir,
        log_dir=settings.log_dir,
        key_dir=settings.key_dir,
        origin=settings.log_origin,
    )


@contextmanager
def progress_bars() -> Iterator[Callable[[str, int | None], Callable[[int], object]]]:
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description:<34}"),
        BarColumn(),
        DownloadColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as bars:

        def task(label: str, total: int | None) -> Callable[[int], object]:
            task_id = bars.add_task(label, total=total)

            def advance(amount: int) -> None:
                bars.advance(task_id, amount)

            return advance

        yield task


def _fail(exc: DomainError) -> typer.Exit:
    console.print(f"[red]{exc.code}:[/red] {exc.message}")
    return typer.Exit(exc.exit_code)


def backup_command(
    dest: Annotated[Path, typer.Argument(help="A new (or empty) directory for the snapshot")],
) -> None:
    """Take a consistent snapshot of the database, evidence files, transparency log, log keys
    and holiday years, online (the server may keep serving), with a manifest of sizes and
    hashes. The snapshot holds the log's private key: keep it as safe as the server."""
    settings = load_settings()
    try:
        with progress_bars() as progress:
            summary = create_snapshot(
                deployment_of(settings), dest, now=datetime.now(UTC), progress=progress
            )
    except DomainError as exc:
        raise _fail(exc) from exc
    typer.echo(
        f"backup in {summary.directory}: {summary.database} database at revision "
        f"{summary.alembic_revision}, log of {summary.log_size} entries (root "
        f"{summary.log_root}), {summary.files} files, {summary.total_bytes} bytes"
    )


def restore_command(
    source: Annotated[Path, typer.Argument(help="A directory made by `weiquan backup`")],
    replace: Annotated[
        bool,
        typer.Option(
            "--replace", help="Move the current data aside (*.pre-restore-<time>) and restore"
        ),
    ] = False,
) -> None:
    """Check a snapshot against its manifest and put it in place (stop the server and worker
    first). Afterwards the log is checked against the last checkpoint it published: a copy older
    than that is restored, but the worker will refuse to sign until the log is recovered."""
    settings = load_settings()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    try:
        with progress_bars() as progress:
            summary = restore_snapshot(
                deployment_of(settings), source, replace=replace, stamp=stamp, progress=progress
            )
    except DomainError as exc:
        raise _fail(exc) from exc
    typer.echo(
        f"restored {summary.database} database (revision {summary.alembic_revision}) and a log "
        f"of {summary.log_size} entries; run `weiquan db upgrade` if this version is newer"
    )
    try:
        with open_log(settings, writer=True):
            pass
    except LogRolledBack as exc:
        console.print(f"[red]the worker will refuse to sign:[/red] {exc.message}")
        raise typer.Exit(exc.exit_code) from exc
    except DomainError as exc:
        raise _fail(exc) from exc
    typer.echo("the log is consistent with what it published; start the server")
