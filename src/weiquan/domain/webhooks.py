"""Webhook signatures after the Standard Webhooks conventions (standardwebhooks.com).

Each delivery carries three headers: ``webhook-id`` (the message id, the same on every retry, by
which receivers deduplicate), ``webhook-timestamp`` (Unix seconds) and ``webhook-signature``: one
or more space-separated ``v1,<base64 HMAC-SHA256>`` over ``"{id}.{timestamp}.{body}"`` under the
subscription's secret. While a secret is being rotated, the old and the new one both sign, so a
receiver holding either accepts the delivery. Secrets are written ``whsec_<base64 key>``.

:func:`verify` is the receiver's check, also printed in docs/notifications.md: a bad signature,
a timestamp more than five minutes away (a replay) or a missing header is refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from datetime import datetime

SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret
TOLERANCE_SECONDS = 5 * 60
EVENT_PREFIX = "case."


class WebhookRefused(Exception):
    """The delivery must be rejected; the text says why (for the receiver's own log)."""


def secret_key(secret: str) -> bytes:
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError("a webhook secret starts with whsec_")
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(secrets: Iterable[str], message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three headers of a delivery, signed with every secret currently valid."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signature(s, message_id, timestamp, body) for s in secrets),
    }


def verify(secret: str, received: Mapping[str, str], body: bytes, *, now: datetime) -> None:
    """Raises WebhookRefused unless the delivery is signed with ``secret`` within the last five
    minutes (header names are matched without regard to case)."""
    lower = {k.lower(): v for k, v in received.items()}
    message_id = lower.get("webhook-id", "")
    stamp = lower.get("webhook-timestamp", "")
    offered = lower.get("webhook-signature", "").split()
    if not message_id or not stamp.isdigit() or not offered:
        raise WebhookRefused("missing webhook headers")
    if abs(now.timestamp() - int(stamp)) > TOLERANCE_SECONDS:
        raise WebhookRefused("timestamp outside the five-minute window (a replay?)")
    expected = signature(secret, message_id, int(stamp), body)
    if not any(hmac.compare_digest(expected, candidate) for candidate in offered):
        raise WebhookRefused("no valid signature")
