"""ASGI middleware: ``Idempotency-Key`` honoured on every POST under /api/v1 that creates
something (see :mod:`weiquan.services.idempotency`).

A request with the key is fingerprinted (method, path, query, body) while its body is spooled
(to disk past a megabyte, so an upload is never held in memory), then either answered from the
stored answer, refused (same key, another request: 409), or passed on and its successful answer
stored. Multipart bodies are fingerprinted with their boundary masked: a client retrying an
upload draws a new boundary, and the retry is still the same request.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import AsyncIterator
from typing import IO, Any, Final

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.routing import get_route_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from weiquan.domain.errors import DomainError
from weiquan.services import idempotency
from weiquan.services.context import Services
from weiquan.services.idempotency import ANONYMOUS, Answer, KeyedRequest
from weiquan.web.deps import clock_of, principal_for_bearer
from weiquan.web.errors import http_error_body

PREFIX: Final = "/api/v1/"
# Complaints keep their key with the case (services.cases); a token must never be stored or
# replayed; assessments create nothing; erasure is not a creation and is not repeated.
EXCLUDED: Final = frozenset(
    {
        "/api/v1/cases",
        "/api/v1/auth/token",
        "/api/v1/assess",
        "/api/v1/assess/claims",
        "/api/v1/me/erase",
    }
)
MAX_STORED_ANSWER = 1024 * 1024
SPOOL_IN_MEMORY = 1024 * 1024
CHUNK = 64 * 1024
REPLAYED_HEADER = (b"idempotent-replayed", b"true")


def honoured(method: str, path: str) -> bool:
    """Whether a request to this operation takes an Idempotency-Key here."""
    return method == "POST" and path.startswith(PREFIX) and path not in EXCLUDED


class ClientGone(Exception):
    """The client hung up before its body was whole."""


class IdempotentPosts:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not honoured(scope["method"], get_route_path(scope)):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        key = headers.get("idempotency-key")
        if key is None:
            await self.app(scope, receive, send)
            return
        app: Starlette = scope["app"]
        who = await _caller(app, headers)
        if who is None:  # a bad token: the route answers 401 as it would without a key
            await self.app(scope, receive, send)
            return
        try:
            with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as spool:
                digest = await _spool(scope, headers, receive, spool)
                request = KeyedRequest(who, key, digest, None if who == ANONYMOUS else who)
                await self._answer(app, scope, request, spool, receive, send)
        except ClientGone:
            return
        except HTTPException as exc:  # the body limit, raised while spooling
            await _send_json(send, exc.status_code, http_error_body(exc.status_code))

    async def _answer(
        self,
        app: Starlette,
        scope: Scope,
        request: KeyedRequest,
        spool: IO[bytes],
        receive: Receive,
        send: Send,
    ) -> None:
        services: Services = app.state.context.services
        try:
            earlier = await run_in_threadpool(
                idempotency.begin, services, request, now=clock_of(app)()
            )
        except DomainError as exc:
            await _send_json(send, exc.http_status, exc.as_dict())
            return
        if earlier is not None:
            await _send_answer(send, earlier)
            return
        recorder = _Recorder(send)
        try:
            await self.app(scope, _replay(spool, receive), recorder.send)
        except BaseException:
            await run_in_threadpool(idempotency.release, services, request)
            raise
        answer = recorder.answer()
        if answer is not None and 200 <= answer.status < 300:
            await run_in_threadpool(idempotency.finish, services, request, answer)
        else:  # refused or failed: nothing was created, a retry may try again
            await run_in_threadpool(idempotency.release, services, request)


async def _caller(app: Starlette, headers: Headers) -> str | None:
    authorization = headers.get("authorization")
    if not authorization:
        return ANONYMOUS
    try:
        principal = await principal_for_bearer(app, authorization, clock_of(app)())
    except DomainError:
        return None
    return principal.user_id


async def _spool(scope: Scope, headers: Headers, receive: Receive, spool: IO[bytes]) -> str:
    """Copies the body into ``spool`` and returns the request's fingerprint."""
    hasher = hashlib.sha256()
    content_type = headers.get("content-type", "")
    for part in (scope["method"], get_route_path(scope), scope.get("query_string", b"").decode()):
        hasher.update(part.encode() + b"\x00")
    boundary = _boundary(content_type)
    hasher.update((content_type.partition(";")[0].strip().lower()).encode() + b"\x00")
    masker = _BoundaryMask(hasher, boundary)
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk = message.get("body", b"")
        spool.write(chunk)
        masker.update(chunk)
        if not message.get("more_body", False):
            break
    masker.close()
    spool.seek(0)
    return hasher.hexdigest()


def _boundary(content_type: str) -> bytes | None:
    media, _, params = content_type.partition(";")
    if media.strip().lower() != "multipart/form-data":
        return None
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.lower() == "boundary" and value:
            return b"--" + value.strip('"').encode("latin-1")
    return None


class _BoundaryMask:
    """Feeds bytes to a hash with every occurrence of the multipart boundary masked, also
    when one is split between two chunks."""

    def __init__(self, hasher: Any, boundary: bytes | None) -> None:
        self._hasher, self._boundary, self._carry = hasher, boundary, b""

    def update(self, chunk: bytes) -> None:
        if self._boundary is None:
            self._hasher.update(chunk)
            return
        data = self._carry + chunk
        safe = max(len(data) - len(self._boundary) + 1, 0)
        done = self._mask(data, until=safe)
        self._carry = data[done:]

    def close(self) -> None:
        if self._boundary is not None:
            done = self._mask(self._carry, until=len(self._carry))
            self._hasher.update(self._carry[done:])

    def _mask(self, data: bytes, *, until: int) -> int:
        assert self._boundary is not None
        position = 0
        found = data.find(self._boundary)
        while found != -1 and found < until:
            self._hasher.update(data[position:found] + b"--boundary")
            position = found + len(self._boundary)
            found = data.find(self._boundary, position)
        done = max(position, until)
        self._hasher.update(data[position:done])
        return done


def _replay(spool: IO[bytes], receive: Receive) -> Receive:
    """The spooled body, then the client's own channel (which tells of a disconnect)."""
    chunks = _chunks(spool)

    async def replay() -> Message:
        try:
            chunk, more = await anext(chunks)
        except StopAsyncIteration:
            return await receive()
        return {"type": "http.request", "body": chunk, "more_body": more}

    return replay


async def _chunks(spool: IO[bytes]) -> AsyncIterator[tuple[bytes, bool]]:
    chunk = spool.read(CHUNK)
    while True:
        following = spool.read(CHUNK)
        yield chunk, bool(following)
        if not following:
            return
        chunk = following


class _Recorder:
    """Passes the answer on and keeps a copy small enough to store."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self._status: int | None = None
        self._body = bytearray()
        self._too_large = False

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self._status = message["status"]
        elif message["type"] == "http.response.body" and not self._too_large:
            self._body += message.get("body", b"")
            if len(self._body) > MAX_STORED_ANSWER:
                self._too_large, self._body = True, bytearray()
        await self._send(message)

    def answer(self) -> Answer | None:
        if self._status is None or self._too_large:
            return None
        return Answer(self._status, bytes(self._body))


async def _send_answer(send: Send, answer: Answer, *, replayed: bool = True) -> None:
    headers = [(b"content-length", str(len(answer.body)).encode())]
    if replayed:
        headers.append(REPLAYED_HEADER)
    if answer.body:
        headers.append((b"content-type", b"application/json"))
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": answer.body})


async def _send_json(send: Send, status: int, body: dict[str, Any]) -> None:
    encoded = json.dumps(body, ensure_ascii=False).encode()
    await _send_answer(send, Answer(status, encoded), replayed=False)
