"""Complaint intake served beneath FastAPI's routing: ``POST /api/v1/cases``, the busiest write.

On a sale day or in a campaign complaints arrive by the thousand, and measured on the live server
the framework around this one endpoint (the middleware chain, matching among some hundred routes,
dependency solving, request objects and a second JSON pass) took about a third of each request's
CPU (docs/performance.md). This ASGI middleware answers exactly that method and path with the
steps the FastAPI route in :mod:`weiquan.web.api_cases` takes, sharing its parts: the bearer
token through the same cache, the body through the same Pydantic model, the same intake queue,
the same answer and the same error bodies. Every other request goes on to FastAPI.

The FastAPI route stays: it is what OpenAPI describes, and the tests hold this path to it request
for request (tests/e2e/test_fast_intake.py). Where they differ, on purpose: an unauthenticated
request is 401 whatever its body holds (the route parses the JSON before it checks the token), and
a body over :data:`MAX_COMPLAINT_BYTES` is refused with a JSON 413 even when it comes in chunks
without a declared length (the route answers a declared length in plain text, and takes a chunked
body over the limit for a missing one: 422).
"""

from __future__ import annotations

import json
import logging
from typing import Any, Literal

from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.routing import get_route_path
from starlette.types import ASGIApp, Receive, Scope, Send

from weiquan.domain.errors import DomainError
from weiquan.services.cases import Submission
from weiquan.web.api_cases import MAX_COMPLAINT_BYTES, complaint_command, filed_json
from weiquan.web.deps import clock_of, principal_for_bearer
from weiquan.web.errors import field_errors, http_error_body, validation_body
from weiquan.web.intake import IntakeQueue
from weiquan.web.schemas import ComplaintIn

log = logging.getLogger("weiquan.web")

PATH = "/api/v1/cases"
_JSON_HEADERS = [(b"content-type", b"application/json")]


class Unreadable(Exception):
    """A body refused before it is parsed: too large (413) or not text (400)."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class ClientGone(Exception):
    """The client hung up while sending its complaint; there is nobody to answer."""


class FastIntake:
    """ASGI middleware: serves ``POST /api/v1/cases``, passes everything else on."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or get_route_path(scope) != PATH:
            await self.app(scope, receive, send)
            return
        try:
            status, body = await answer(scope["app"], scope, receive)
        except ClientGone:
            return
        headers = [*_JSON_HEADERS, (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


async def answer(app: Starlette, scope: Scope, receive: Receive) -> tuple[int, bytes]:
    """(status, JSON body) for one complaint, whatever happens to it short of a crash."""
    try:
        return await _file(app, scope, receive)
    except DomainError as exc:
        if exc.http_status >= 500:
            log.error("integrity error on %s: %s", PATH, exc.code)
        return exc.http_status, _dumps(exc.as_dict())
    except ValidationError as exc:
        return 422, _dumps(validation_body(field_errors(exc.errors())))
    except Unreadable as exc:
        return exc.status, _dumps(http_error_body(exc.status))


async def _file(app: Starlette, scope: Scope, receive: Receive) -> tuple[int, bytes]:
    headers = _headers(scope)
    now = clock_of(app)()
    principal = await principal_for_bearer(app, headers.get("authorization", ""), now)
    body = await _read_body(receive, declared=headers.get("content-length"))
    complaint = _parse(body, headers.get("content-type"))
    submission = Submission(
        complaint_command(complaint), principal, now, headers.get("idempotency-key")
    )
    intake: IntakeQueue = app.state.intake
    case, created = await intake.file(submission)
    return (201 if created else 200), filed_json(case, principal)


def _headers(scope: Scope) -> dict[str, str]:
    """The request's headers by lower-case name; of a repeated header, the first (as Starlette)."""
    found: dict[str, str] = {}
    for name, value in scope["headers"]:
        found.setdefault(name.decode("latin-1"), value.decode("latin-1"))
    return found


async def _read_body(receive: Receive, *, declared: str | None) -> bytes:
    if declared is not None and declared.isdigit() and int(declared) > MAX_COMPLAINT_BYTES:
        raise Unreadable(413)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":  # gone before the body was whole: file nothing
            raise ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_COMPLAINT_BYTES:
            raise Unreadable(413)
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _parse(body: bytes, content_type: str | None) -> ComplaintIn:
    if not body:
        raise _problem("missing", body)
    if content_type is not None and not _is_json(content_type):
        raise _problem("model_attributes_type", body)
    try:
        return ComplaintIn.model_validate_json(body)
    except ValidationError:
        if not _is_utf8(body):  # checked only on failure: the route's 400 for undecodable bytes
            raise Unreadable(400) from None
        raise


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode()
    except UnicodeDecodeError:
        return False
    return True


def _is_json(content_type: str) -> bool:
    media = content_type.partition(";")[0].strip().lower()
    main, _, sub = media.partition("/")
    return main == "application" and (sub == "json" or sub.endswith("+json"))


def _problem(kind: Literal["missing", "model_attributes_type"], body: bytes) -> ValidationError:
    """The error FastAPI's route reports for the same body, so both answer alike."""
    return ValidationError.from_exception_data(
        ComplaintIn.__name__, [{"type": kind, "loc": (), "input": body or None}]
    )


def _dumps(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
