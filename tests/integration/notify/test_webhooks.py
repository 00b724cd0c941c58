"""Signed webhooks to a receiver started here, which checks every delivery with the documented
verifier: subscribed platforms only, retries with backoff after a 500, the delivery log, manual
redelivery and secret rotation (on SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.support.world import NOW, World, complaint
from weiquan.adapters.notify.webhook_http import HttpWebhookPoster
from weiquan.domain.errors import PermissionDenied
from weiquan.domain.notifications import NoticeState
from weiquan.domain.webhooks import WebhookRefused, verify
from weiquan.services import cases, webhooks
from weiquan.services.context import Services
from weiquan.services.notify_ports import Channels


@dataclass
class Receiver:
    """A platform's endpoint: verifies each delivery, keeps each webhook-id once."""

    secret: str = ""
    clock: datetime = NOW
    answers: list[int] = field(default_factory=list)
    accepted: dict[str, dict[str, Any]] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)
    signatures: list[str] = field(default_factory=list)


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            received = dict(self.headers.items())
            receiver.signatures.append(received.get("webhook-signature", ""))
            try:
                verify(receiver.secret, received, body, now=receiver.clock)
            except WebhookRefused as exc:
                receiver.refused.append(str(exc))
                self.send_response(400)
                self.end_headers()
                return
            status = receiver.answers.pop(0) if receiver.answers else 200
            if status == 200:
                receiver.accepted.setdefault(received["webhook-id"], json.loads(body))
            self.send_response(status)
            self.end_headers()

        def log_message(self, *_: object) -> None:
            pass

    return Handler


@pytest.fixture
def endpoint() -> Iterator[tuple[Receiver, str]]:
    receiver = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield receiver, f"http://127.0.0.1:{server.server_address[1]}/hooks/weiquan"
    server.shutdown()
    server.server_close()


def _subscribed(
    services: Services, world: World, url: str, receiver: Receiver
) -> tuple[Services, str]:
    svc = replace(services, channels=Channels(webhooks=HttpWebhookPoster(timeout=5)))
    sub, secret = webhooks.subscribe(
        svc,
        principal=world.admin,
        organisation="京东消费者权益部",
        platform="京东",
        url=url,
        event_types=["case.complaint_received", "case.offer_made"],
        now=NOW,
    )
    receiver.secret = secret
    return svc, sub.id


def test_a_subscribed_platform_receives_a_signed_event_with_the_case_reference(
    services: Services, world: World, endpoint: tuple[Receiver, str]
) -> None:
    receiver, url = endpoint
    svc, sub_id = _subscribed(services, world, url, receiver)
    case, _ = cases.file_complaint(svc, complaint(world.shop_a), principal=world.alice, now=NOW)
    cases.file_complaint(svc, complaint(world.shop_b), principal=world.alice, now=NOW)  # 淘宝
    assert webhooks.deliver_due(svc, now=NOW).delivered == 1
    (event,) = receiver.accepted.values()
    assert event["type"] == "case.complaint_received"
    assert event["data"]["case_number"] == case.number
    assert event["data"]["case_id"] == case.id
    assert event["event_id"]
    assert "alice" not in json.dumps(event, ensure_ascii=False)
    ((delivery, attempts),) = webhooks.delivery_log(svc, sub_id, principal=world.admin)
    assert delivery.state is NoticeState.DELIVERED
    assert [status for _, status, _, _ in attempts] == [200]
    assert attempts[0][2] >= 0  # latency in ms


def test_a_receiver_answering_500_gets_retries_with_backoff_and_then_succeeds(
    services: Services, world: World, endpoint: tuple[Receiver, str]
) -> None:
    receiver, url = endpoint
    svc, sub_id = _subscribed(services, world, url, receiver)
    receiver.answers = [500, 500]
    cases.file_complaint(svc, complaint(world.shop_a), principal=world.alice, now=NOW)
    now = NOW
    for _ in range(2):
        receiver.clock = now
        assert webhooks.deliver_due(svc, now=now, draw=lambda: 0.0).retrying == 1
        ((delivery, _),) = webhooks.delivery_log(svc, sub_id, principal=world.admin)
        assert delivery.next_attempt_at is not None
        assert webhooks.deliver_due(svc, now=now + timedelta(seconds=1)).handled == 0
        now = delivery.next_attempt_at
    receiver.clock = now
    assert webhooks.deliver_due(svc, now=now).delivered == 1
    ((delivery, attempts),) = webhooks.delivery_log(svc, sub_id, principal=world.admin)
    assert [status for _, status, _, _ in attempts] == [500, 500, 200]
    # The waits doubled: 15 s then 30 s at the lowest jitter.
    assert [a[0] - NOW for a in attempts] == [
        timedelta(0),
        timedelta(seconds=15),
        timedelta(seconds=45),
    ]
    assert len(receiver.accepted) == 1


def test_a_manual_redelivery_sends_the_same_webhook_id_again(
    services: Services, world: World, endpoint: tuple[Receiver, str]
) -> None:
    receiver, url = endpoint
    svc, sub_id = _subscribed(services, world, url, receiver)
    cases.file_complaint(svc, complaint(world.shop_a), principal=world.alice, now=NOW)
    webhooks.deliver_due(svc, now=NOW)
    ((delivery, _),) = webhooks.delivery_log(svc, sub_id, principal=world.admin)
    webhooks.redeliver(svc, delivery.id, principal=world.admin, now=NOW)
    assert webhooks.deliver_due(svc, now=NOW).delivered == 1
    assert len(receiver.signatures) == 2
    assert list(receiver.accepted) == [delivery.id]  # the receiver kept it once


def test_after_a_rotation_both_the_old_and_the_new_secret_verify(
    services: Services, world: World, endpoint: tuple[Receiver, str]
) -> None:
    receiver, url = endpoint
    svc, sub_id = _subscribed(services, world, url, receiver)
    old = receiver.secret
    new = webhooks.rotate_secret(svc, sub_id, principal=world.admin, now=NOW)
    cases.file_complaint(svc, complaint(world.shop_a), principal=world.alice, now=NOW)
    assert webhooks.deliver_due(svc, now=NOW).delivered == 1  # verified with the old secret
    assert len(receiver.signatures[0].split()) == 2
    receiver.secret = new
    ((delivery, _),) = webhooks.delivery_log(svc, sub_id, principal=world.admin)
    webhooks.redeliver(svc, delivery.id, principal=world.admin, now=NOW)
    assert webhooks.deliver_due(svc, now=NOW).delivered == 1  # and with the new one
    assert old != new


def test_only_an_admin_manages_subscriptions(services: Services, world: World) -> None:
    with pytest.raises(PermissionDenied):
        webhooks.subscribe(
            services,
            principal=world.merchant_a,
            organisation="x",
            platform="京东",
            url="https://example.com/hook",
            event_types=["case.offer_made"],
            now=NOW,
        )
