"""Security headers on every response: pages, API, log tiles and static files alike."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Only our own files: the vendored htmx, ECharts and axe are served from /static like the rest.
# No inline script or style anywhere (htmx's indicator style is in site.css; see base.html).
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "media-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
HSTS = "max-age=31536000; includeSubDomains"


def security_headers(*, behind_tls: bool) -> list[tuple[bytes, bytes]]:
    headers = [
        ("content-security-policy", CONTENT_SECURITY_POLICY),
        ("x-frame-options", "DENY"),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "same-origin"),
        ("cross-origin-opener-policy", "same-origin"),
        ("permissions-policy", "camera=(), microphone=(), geolocation=(), payment=()"),
    ]
    if behind_tls:  # over plain http the header would be ignored, and it must not pin a dev host
        headers.append(("strict-transport-security", HSTS))
    return [(name.encode(), value.encode()) for name, value in headers]


class SecurityHeaders:
    """Adds the headers to the start of every HTTP response (the outermost layer, so the intake
    fast path and error responses get them too); a header a route set itself is kept."""

    def __init__(self, app: ASGIApp, *, behind_tls: bool) -> None:
        self.app = app
        self.headers = security_headers(behind_tls=behind_tls)
        self.names = {name for name, _ in self.headers}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                raw = list(message.get("headers", ()))
                present = {name.lower() for name, _ in raw} & self.names
                raw.extend(h for h in self.headers if h[0] not in present)
                message["headers"] = raw
            await send(message)

        await self.app(scope, receive, send_with_headers)
