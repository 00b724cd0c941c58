"""`weiquan webhook …`: subscriptions for platforms, secret rotation, the delivery log."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console

from weiquan.cli.common import load_context
from weiquan.domain.accounts import Principal, Role
from weiquan.domain.errors import DomainError
from weiquan.services import webhooks

webhook_app = typer.Typer(help="Webhook 订阅 / signed webhooks for platforms.")
console = Console()
# Whoever runs the command line on the server administers the deployment.
OPERATOR = Principal("cli", Role.ADMIN, "command line")


def _fail(exc: DomainError) -> typer.Exit:
    console.print(f"[red]{exc.code}:[/red] {exc.message}")
    return typer.Exit(exc.exit_code)


@webhook_app.command("add")
def add(
    organisation: str,
    platform: str,
    url: str,
    events: Annotated[
        list[str], typer.Option("--event", help="an event type, e.g. case.offer_made (repeat)")
    ],
) -> None:
    """Subscribe an organisation's URL to events of cases on its platform; prints the secret
    once (keep it: receivers verify signatures with it)."""
    try:
        sub, secret = webhooks.subscribe(
            load_context().services,
            principal=OPERATOR,
            organisation=organisation,
            platform=platform,
            url=url,
            event_types=events,
            now=datetime.now(UTC),
        )
    except DomainError as exc:
        raise _fail(exc) from exc
    console.print(f"subscription {sub.id}\nsecret {secret}")


@webhook_app.command("rotate")
def rotate(subscription_id: str) -> None:
    """A new secret; the old one keeps signing for seven days."""
    try:
        secret = webhooks.rotate_secret(
            load_context().services, subscription_id, principal=OPERATOR, now=datetime.now(UTC)
        )
    except DomainError as exc:
        raise _fail(exc) from exc
    console.print(f"secret {secret}")


@webhook_app.command("list")
def list_subscriptions() -> None:
    for sub in webhooks.subscriptions(
        load_context().services, principal=OPERATOR, now=datetime.now(UTC)
    ):
        state = "active" if sub.active else "inactive"
        console.print(f"{sub.id}  {sub.organisation}  {sub.platform}  {sub.url}  {state}")
        console.print(f"    {' '.join(sub.event_types)}")


@webhook_app.command("log")
def log(subscription_id: str) -> None:
    """Each delivery with its attempts: status code and latency."""
    services = load_context().services
    for delivery, attempts in webhooks.delivery_log(services, subscription_id, principal=OPERATOR):
        console.print(f"{delivery.id}  {delivery.event_type}  {delivery.state.value}")
        for at, status, latency, error in attempts:
            console.print(f"    {at.isoformat()}  {status or '—'}  {latency} ms  {error or ''}")


@webhook_app.command("redeliver")
def redeliver(delivery_id: str) -> None:
    try:
        webhooks.redeliver(
            load_context().services, delivery_id, principal=OPERATOR, now=datetime.now(UTC)
        )
    except DomainError as exc:
        raise _fail(exc) from exc
    console.print("queued again; the worker sends it within seconds")
