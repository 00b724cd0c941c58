"""RFC 3161 trusted timestamps for checkpoints, through rfc3161-client.

One token over a signed checkpoint dates every entry below its size, so entries themselves are
never sent to the time-stamping authority (TSA).  The request asks for SHA-256, a nonce and the
TSA's certificate; the reply is checked against the request before it is kept.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import ClassVar, Protocol

import httpx
from cryptography import x509
from rfc3161_client import (
    HashAlgorithm,
    PKIStatus,
    TimestampRequestBuilder,
    VerificationError,
    VerifierBuilder,
    decode_timestamp_response,
)

from weiquan.domain.errors import DomainError, IntegrityViolation


class TimestampAuthorityError(DomainError):
    """The TSA could not be reached or answered something other than a granted token."""

    http_status: ClassVar[int] = 502
    exit_code: ClassVar[int] = 1
    code: ClassVar[str] = "timestamp_authority_error"


class TimestampAuthority(Protocol):
    def timestamp(self, message: bytes) -> bytes:
        """A DER TimeStampResp whose token covers SHA-256(message)."""
        ...


class HttpTimestampAuthority:
    """A TSA reached over HTTP (RFC 3161 §3.4: POST application/timestamp-query)."""

    def __init__(self, url: str, *, client: httpx.Client | None = None) -> None:
        self._url = url
        self._client = client or httpx.Client(timeout=10.0)

    def timestamp(self, message: bytes) -> bytes:
        request = (
            TimestampRequestBuilder()
            .data(message)
            .hash_algorithm(HashAlgorithm.SHA256)
            .nonce(nonce=True)
            .cert_request(cert_request=True)
            .build()
        )
        try:
            reply = self._client.post(
                self._url,
                content=request.as_bytes(),
                headers={"Content-Type": "application/timestamp-query"},
            )
            reply.raise_for_status()
        except httpx.HTTPError as error:
            raise TimestampAuthorityError(f"the TSA at {self._url} failed: {error}") from error
        try:
            response = decode_timestamp_response(reply.content)
        except ValueError as error:
            raise TimestampAuthorityError(f"the TSA sent no timestamp reply: {error}") from error
        if response.status != PKIStatus.GRANTED:
            raise TimestampAuthorityError(f"the TSA refused: {response.status_string}")
        info = response.tst_info
        if info.message_imprint.message != hashlib.sha256(message).digest():
            raise TimestampAuthorityError("the TSA stamped a different message")
        if info.nonce != request.nonce:
            raise TimestampAuthorityError("the TSA's reply answers another request (nonce)")
        return reply.content


def verify_timestamp(
    token: bytes,
    message: bytes,
    *,
    roots: Sequence[x509.Certificate],
    tsa_certificate: x509.Certificate | None = None,
    intermediates: Sequence[x509.Certificate] = (),
) -> datetime:
    """Check a stored TimeStampResp over ``message``; return the time the TSA vouches for."""
    try:
        response = decode_timestamp_response(token)
    except ValueError as error:
        raise IntegrityViolation(f"not an RFC 3161 timestamp reply: {error}") from error
    builder = VerifierBuilder()
    for root in roots:
        builder = builder.add_root_certificate(root)
    for intermediate in intermediates:
        builder = builder.add_intermediate_certificate(intermediate)
    if tsa_certificate is not None:
        builder = builder.tsa_certificate(tsa_certificate)
    try:
        builder.build().verify_message(response, message)
    except VerificationError as error:
        raise IntegrityViolation(f"the timestamp does not verify: {error}") from error
    return response.tst_info.gen_time
