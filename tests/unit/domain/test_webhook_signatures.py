"""The documented verifier accepts a signed delivery and refuses replays and tampering."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from weiquan.domain.webhooks import WebhookRefused, headers, signature, verify

SECRET = "whsec_" + base64.b64encode(b"k" * 32).decode()
OTHER = "whsec_" + base64.b64encode(b"o" * 32).decode()
NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
BODY = b'{"type":"case.offer_made","data":{"case_number":"WQ1"}}'


def _signed(at: datetime = NOW, secrets: tuple[str, ...] = (SECRET,)) -> dict[str, str]:
    return headers(secrets, "msg-1", int(at.timestamp()), BODY)


def test_a_delivery_signed_with_the_secret_within_five_minutes_is_accepted() -> None:
    verify(SECRET, _signed(), BODY, now=NOW + timedelta(minutes=4, seconds=59))


def test_the_signature_is_hmac_sha256_over_id_timestamp_and_body_in_base64() -> None:
    # Known answer, computed independently: hmac.new(b"k"*32, b"msg-1.1764036000." + BODY, sha256)
    expected = hmac.new(b"k" * 32, b"msg-1.1764036000." + BODY, hashlib.sha256).digest()
    assert (
        signature(SECRET, "msg-1", 1764036000, BODY) == "v1," + base64.b64encode(expected).decode()
    )


def test_a_replay_older_than_five_minutes_is_refused() -> None:
    with pytest.raises(WebhookRefused, match="five-minute"):
        verify(SECRET, _signed(), BODY, now=NOW + timedelta(minutes=5, seconds=1))


def test_a_tampered_body_is_refused() -> None:
    with pytest.raises(WebhookRefused, match="signature"):
        verify(SECRET, _signed(), BODY.replace(b"WQ1", b"WQ2"), now=NOW)


def test_another_secret_or_missing_headers_are_refused() -> None:
    with pytest.raises(WebhookRefused):
        verify(OTHER, _signed(), BODY, now=NOW)
    with pytest.raises(WebhookRefused, match="missing"):
        verify(SECRET, {}, BODY, now=NOW)


def test_during_a_rotation_either_secret_verifies() -> None:
    both = _signed(secrets=(OTHER, SECRET))
    verify(SECRET, both, BODY, now=NOW)
    verify(OTHER, both, BODY, now=NOW)
