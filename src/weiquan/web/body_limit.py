"""A cap on every request body, applied before anything parses it, signed in or not.

Bodies that are not multipart (JSON, forms, anything else) are capped at
``WEIQUAN_MAX_JSON_BYTES``: no API document or page form comes near it, and without a cap the
assess endpoints parsed 50 MiB without a login. Multipart bodies carry files and are capped at
``WEIQUAN_MAX_UPLOAD_BYTES`` plus room for the form around the file; each upload endpoint still
applies its own, smaller limit to the file itself.

The limit is counted on the bytes as they arrive (a declared ``Content-Length`` over it is
refused before the first byte is read). Refusal is Starlette's 413 ``HTTPException`` raised from
``receive``, so the app's one error handler answers it: JSON for the API, a page for people.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The multipart framing, field names and any small text fields beside the file.
MULTIPART_OVERHEAD = 1024 * 1024


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=f"request body over {limit} bytes")
        self.limit = limit


class BodyLimit:
    """ASGI middleware: a body over its limit is a 413 before it is parsed or stored."""

    def __init__(self, app: ASGIApp, *, max_json_bytes: int, max_upload_bytes: int) -> None:
        self.app = app
        self.max_json_bytes = max_json_bytes
        self.max_multipart_bytes = max_upload_bytes + MULTIPART_OVERHEAD

    def limit_for(self, headers: Headers) -> int:
        media = headers.get("content-type", "").partition(";")[0].strip().lower()
        return self.max_multipart_bytes if media == "multipart/form-data" else self.max_json_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        limit = self.limit_for(headers)
        declared = _declared_length(headers)
        received = 0

        async def receive_within_limit() -> Message:
            nonlocal received
            if declared is not None and declared > limit:
                raise BodyTooLarge(limit)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, receive_within_limit, send)


def _declared_length(headers: Headers) -> int | None:
    value = headers.get("content-length", "")
    return int(value) if value.isdigit() else None
