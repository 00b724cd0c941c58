"""`weiquan` — serve, worker, database, demo data and accounts."""

from __future__ import annotations

import contextlib
import json
import logging
import signal
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from weiquan.adapters.crypto import new_key_entry
from weiquan.adapters.tlog.keys import KeyStore
from weiquan.bootstrap import App, open_log, production_blockers
from weiquan.cli.assess import assess_command, law_app
from weiquan.cli.backup_commands import backup_command, restore_command
from weiquan.cli.common import load_context, load_settings
from weiquan.cli.log_commands import log_app
from weiquan.cli.notify_commands import notify_app
from weiquan.cli.text_commands import text_app
from weiquan.cli.trust_commands import trust_app
from weiquan.cli.verify import verify_command
from weiquan.cli.webhook_commands import webhook_app
from weiquan.cli.worker_process import (
    Companion,
    Heartbeat,
    SenderLoop,
    WorkerLoop,
    describe,
    sweep_and_publish,
)
from weiquan.config import DEV_PII_KEY, Environment, Settings
from weiquan.domain.accounts import Role
from weiquan.domain.errors import Conflict, DomainError
from weiquan.services import accounts, readiness
from weiquan.services import worker as worker_service

app = typer.Typer(
    help="维权 Weiquan: online dispute resolution for e-commerce.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)
user_app = typer.Typer(help="Accounts.", no_args_is_help=True)
keys_app = typer.Typer(help="Secrets and keys.", no_args_is_help=True)
calendar_app = typer.Typer(help="The working-day calendar.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(keys_app, name="keys")
app.add_typer(calendar_app, name="calendar")
app.command("assess")(assess_command)
app.add_typer(law_app, name="law")
app.add_typer(log_app, name="log")
app.add_typer(text_app, name="text")
app.command("verify")(verify_command)
app.command("backup")(backup_command)
app.command("restore")(restore_command)
app.add_typer(trust_app, name="trust")
app.add_typer(webhook_app, name="webhook")
app.add_typer(notify_app, name="notify")

console = Console(stderr=True)


@app.callback()
def _log_to_stderr() -> None:
    """Our own log lines (worker rounds, the worker's supervision, integrity errors) go to
    standard error, as uvicorn's do; other libraries keep their own settings."""
    ours = logging.getLogger("weiquan")
    if not ours.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)-9s %(name)s: %(message)s"))
        ours.addHandler(handler)
        ours.setLevel(logging.INFO)


def _fail(exc: DomainError) -> typer.Exit:
    console.print(f"[red]{exc.code}:[/red] {exc.message}")
    return typer.Exit(exc.exit_code)


def now_utc() -> datetime:
    """The CLI's clock; the services below it never read one."""
    return datetime.now(UTC)


WORKER_HEALTHCHECK_SECONDS = 60


@app.command()
def serve(
    host: Annotated[
        str, typer.Option(help="Interface to bind; 127.0.0.1 unless told otherwise")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="web (uvicorn) processes")] = 1,
    no_worker: Annotated[
        bool,
        typer.Option(
            "--no-worker", help="Don't start the worker process (run `weiquan worker` yourself)"
        ),
    ] = False,
) -> None:
    """Serve the web app and API, with one worker process beside it that sweeps deadlines and
    seals new records into the transparency log (restarted if it stops)."""
    import uvicorn  # noqa: PLC0415 - only the server needs it

    context = load_context()  # fail fast on bad settings before uvicorn starts
    _refuse_unsafe_production(context)  # … and on unsafe production data, with the reason
    if not no_worker:
        _refuse_a_log_that_cannot_be_signed(context.settings)
    companion = None if no_worker else Companion().start()
    try:
        uvicorn.run(
            "weiquan.web.asgi:app",
            host=host,
            port=port,
            workers=workers,
            log_level="info",
            access_log=False,
            # uvicorn kills a web process that does not answer its health check within 5 s;
            # on a loaded host a freshly spawned one can take longer just to start, and was
            # killed and respawned in a loop, so `--workers 2` never came up.
            timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
        )
    finally:
        if companion is not None:
            companion.stop()


def _refuse_a_log_that_cannot_be_signed(settings: Settings) -> None:
    """The worker's start-up checks, run once before serving: a log behind what it published
    (a restore), or a missing signing key, stops ``serve`` with the reason, not a worker that
    restarts forever."""
    try:
        with open_log(settings, writer=True):
            pass
    except Conflict:
        return  # a worker is running already and holds the log: it passed these checks
    except DomainError as exc:
        raise _fail(exc) from exc


@app.command()
def worker(
    once: Annotated[bool, typer.Option("--once", help="One sweep, then exit")] = False,
    interval: Annotated[
        float | None,
        typer.Option(
            min=0.2, help="Seconds between sweeps [default: WEIQUAN_WORKER_INTERVAL_SECONDS]"
        ),
    ] = None,
    no_log: Annotated[
        bool,
        typer.Option("--no-log", help="Sweep deadlines only; another worker writes the log"),
    ] = False,
    parent_pid: Annotated[
        int | None, typer.Option(hidden=True, help="Exit when this process (the server) is gone")
    ] = None,
    no_notify: Annotated[
        bool, typer.Option("--no-notify", help="Don't deliver e-mail and SMS notices")
    ] = False,
) -> None:
    """Move overdue cases on (silent merchant → mediation, mediation past deadline → referral…)
    and append new events and evidence to the transparency log (one log writer at a time).
    Stops cleanly on SIGTERM or Ctrl-C, after the round in progress."""
    ctx = load_context()
    _refuse_unsafe_production(ctx)
    if ctx.settings.is_sqlite and not once and parent_pid is None:
        console.print("[yellow]SQLite: run a single worker process.[/yellow]")
    with contextlib.ExitStack() as stack:
        stack.callback(ctx.engine.dispose)
        try:
            tlog = None if no_log else stack.enter_context(open_log(ctx.settings, writer=True))
        except DomainError as exc:
            # Told to /healthz as well: a worker that refuses must not look like one that is ok.
            heartbeat = Heartbeat(ctx, writes_log=True, started_at=now_utc())
            heartbeat.round_done("start", at=now_utc(), problem=describe(exc))
            raise _fail(exc) from exc
        sender = SenderLoop(ctx, every=ctx.settings.notify_interval_seconds, clock=now_utc)
        if once:
            try:
                taken, published = sweep_and_publish(ctx, tlog, now=now_utc())
            except DomainError as exc:  # e.g. a database older than the log: say so, exit ≠ 0
                raise _fail(exc) from exc
            _print_steps(taken)
            sent = 0 if no_notify else sender.round()
            console.print(
                f"{len(taken)} case(s) moved on; {published} log entries appended; "
                f"{sent} notice(s) handled"
            )
            return
        loop = WorkerLoop(
            ctx,
            tlog,
            sweep_every=interval or ctx.settings.worker_interval_seconds,
            publish_every=ctx.settings.log_interval_seconds,
            report=_print_steps,
            parent_pid=parent_pid,
            clock=now_utc,
        )

        def stop(*_: object) -> None:
            loop.stop.set()
            sender.stop.set()

        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, stop)
        thread = None if no_notify else sender.start()
        try:
            loop.run()
        finally:
            sender.stop.set()
            if thread is not None:
                thread.join(timeout=30)


def _refuse_unsafe_production(ctx: App) -> None:
    """Production does not start on a database a development set-up left behind."""
    blockers = production_blockers(ctx)
    if blockers:
        console.print("[red]refusing to start in production:[/red]")
        for blocker in blockers:
            console.print(f"  - {blocker}")
        raise typer.Exit(2)


def _print_steps(taken: list[worker_service.StepTaken]) -> None:
    for step in taken:
        console.print(f"{step.number}: {step.action} → {step.to_status} ({step.rule})")


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Apply migrations (the only way the schema is made)."""
    from weiquan.adapters.db.migrate import upgrade  # noqa: PLC0415

    settings = load_settings()
    upgrade(settings.database_url, revision)
    console.print(f"database at {revision}")


@app.command()
def demo(
    reset: Annotated[bool, typer.Option(help="Load even if demo data already exists")] = False,
) -> None:
    """Load the demo: merchants in Beijing, Chengdu and Zhejiang, users, cases in every state."""
    from weiquan.cli.demo import load_demo  # noqa: PLC0415

    ctx = load_context()
    if ctx.settings.env is Environment.PRODUCTION:
        console.print(
            "[red]refused:[/red] demo accounts have published passwords; "
            "set WEIQUAN_ENV=development to load them"
        )
        raise typer.Exit(2)
    try:
        loaded = load_demo(ctx.services, now=now_utc(), reset=reset)
    except DomainError as exc:
        raise _fail(exc) from exc
    if not loaded:
        console.print("demo data already present (use --reset to add it again)")
        return
    console.print(f"demo loaded: {loaded}")


@user_app.command("create")
def user_create(
    username: str,
    role: Annotated[
        Role, typer.Option(help="consumer, merchant, mediator, regulator, operator, admin")
    ],
    display_name: Annotated[str, typer.Option("--name")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
    merchant_id: Annotated[str | None, typer.Option()] = None,
    region_code: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Create an account (the password is asked for, never echoed)."""
    ctx = load_context()
    try:
        user = accounts.create_user(
            ctx.services,
            username=username,
            password=password,
            display_name=display_name,
            role=role,
            now=now_utc(),
            merchant_id=merchant_id,
            region_code=region_code,
        )
    except DomainError as exc:
        raise _fail(exc) from exc
    typer.echo(json.dumps({"id": user.id, "username": user.username, "role": user.role.value}))


@user_app.command("disable-demo")
def user_disable_demo() -> None:
    """Disable the demo accounts (their password is published): nobody signs in to them any
    more; their tokens and sessions end, their records stay."""
    ctx = load_context()
    disabled = readiness.disable_accounts(
        ctx.services, list(readiness.DEMO_USERNAMES), now=now_utc()
    )
    typer.echo(f"disabled {len(disabled)} demo account(s): {', '.join(disabled) or 'none found'}")


@keys_app.command("reencrypt-pii")
def reencrypt_pii(
    from_development_key: Annotated[
        bool,
        typer.Option(
            "--from-development-key",
            help="Also decrypt what the built-in development key sealed (a database that began "
            "with `make run`)",
        ),
    ] = False,
) -> None:
    """Re-encrypt all personal data under the current key (the first of WEIQUAN_PII_KEYS); keep
    the older keys configured until this has run. Safe to stop and run again."""
    from weiquan.adapters.crypto import FieldCipher  # noqa: PLC0415
    from weiquan.adapters.db.pii_keys import reencrypt_all  # noqa: PLC0415

    ctx = load_context()
    keys = ctx.settings.pii_keys + (f",{DEV_PII_KEY}" if from_development_key else "")
    try:
        count = reencrypt_all(ctx.engine, FieldCipher.from_secret_list(keys))
    except DomainError as exc:  # a value sealed with a key that is not configured
        raise _fail(exc) from exc
    current = FieldCipher.from_secret_list(ctx.settings.pii_keys).current
    typer.echo(f"re-encrypted {count} value(s) under key {current}")


@keys_app.command("new-secret")
def new_secret() -> None:
    """Print a random value for WEIQUAN_SECRET_KEY or WEIQUAN_LOOKUP_KEY (one each)."""
    import secrets  # noqa: PLC0415

    typer.echo(secrets.token_urlsafe(48))


@keys_app.command("new-pii-key")
def new_pii_key(key_id: Annotated[str, typer.Argument()] = "k1") -> None:
    """Print a key entry for WEIQUAN_PII_KEYS (prepend it to rotate; keep old ones to decrypt)."""
    typer.echo(new_key_entry(key_id))


@keys_app.command("rotate-log-key")
def rotate_log_key() -> None:
    """Make a new signing key for the transparency log; the running worker signs with it from
    its next round. The old public key stays, so earlier checkpoints still verify."""
    settings = load_settings()
    keys = KeyStore(settings.key_dir, name=settings.log_origin)
    try:
        signer = keys.rotate()
    except DomainError as exc:
        raise _fail(exc) from exc
    typer.echo(
        f"new log key {signer.key_id:08x}; publish its verifier key:\n{signer.verifier_key()}"
    )


@keys_app.command("replace-lost-log-key")
def replace_lost_log_key(
    previous_key: Annotated[
        list[str],
        typer.Option(
            "--previous-key",
            help="A public (verifier) key the log had, as published in packages; repeatable",
        ),
    ],
) -> None:
    """After the log's signing key is lost for good (no backup holds it): make a new key, keep
    the earlier public keys so old checkpoints still verify, and continue the same tree."""
    settings = load_settings()
    keys = KeyStore(settings.key_dir, name=settings.log_origin)
    if keys.has_active_key():
        try:
            keys.active_signer()
        except DomainError:
            pass  # the active key is what was lost: replace it
        else:
            console.print("[red]refused:[/red] the signing key is present; use rotate-log-key")
            raise typer.Exit(5)
    try:
        signer = keys.replace_lost_key(previous_key)
    except DomainError as exc:
        raise _fail(exc) from exc
    typer.echo(
        f"new log key {signer.key_id:08x}; publish its verifier key:\n{signer.verifier_key()}"
    )


@calendar_app.command("load")
def calendar_load(
    holiday_file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
) -> None:
    """Add a year's official holiday arrangement (holiday-cn JSON) once the State Council has
    published it; the worker then computes the deadlines that were left open."""
    from weiquan.adapters.holiday_calendar import install_year_file  # noqa: PLC0415

    settings = load_settings()
    try:
        year = install_year_file(holiday_file.read_bytes(), settings.data_dir / "holidays")
    except DomainError as exc:
        raise _fail(exc) from exc
    target = settings.data_dir / "holidays" / f"{year}.json"
    typer.echo(
        f"loaded {year}: {target}\nrunning servers take it up within "
        f"{settings.calendar_reload_seconds:g} s, the worker at its next sweep"
    )


@calendar_app.command("check")
def calendar_check() -> None:
    """Show which years the working-day calendar covers, year files included."""
    first, last = load_context().services.calendar.covered_years()
    typer.echo(f"working-day calendar covers {first}–{last}")


if __name__ == "__main__":
    app()
