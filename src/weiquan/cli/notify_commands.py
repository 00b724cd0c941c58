"""`weiquan notify deliver`: send the due notices and webhooks once (the worker does it every
second; this is for cron set-ups without a worker, and for checking a configuration)."""

from __future__ import annotations

from datetime import UTC, datetime

import typer
from rich.console import Console

from weiquan.cli.common import load_context
from weiquan.services import notifications, webhooks

notify_app = typer.Typer(help="通知 / notifications.")
console = Console()


@notify_app.command("deliver")
def deliver() -> None:
    """Deliver every due e-mail, SMS and webhook, batch after batch, then stop."""
    services = load_context().services
    sent = failed = 0
    while True:
        now = datetime.now(UTC)
        done = notifications.deliver_due(services, now=now)
        posted = webhooks.deliver_due(services, now=now)
        sent += done.delivered + posted.delivered
        failed += done.failed + posted.failed
        if not done.handled and not posted.handled:
            break
    console.print(f"{sent} delivered, {failed} given up")
