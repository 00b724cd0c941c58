"""The ASGI application: ``create_app()`` wires routers, middleware and error handling."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from weiquan import __version__
from weiquan.bootstrap import App, build, log_public_keys
from weiquan.config import Settings
from weiquan.web import (
    api_calendar,
    api_cases,
    api_evidence,
    api_notifications,
    api_packages,
    api_rules,
    api_signals,
    api_trust,
    errors,
    openapi,
    pages,
)
from weiquan.web.anonymous_throttle import AnonymousThrottle
from weiquan.web.body_limit import BodyLimit
from weiquan.web.deps import Clock, TokenCache, system_clock
from weiquan.web.fast_intake import FastIntake
from weiquan.web.headers import SecurityHeaders
from weiquan.web.health import health_response
from weiquan.web.i18n import LocaleMiddleware
from weiquan.web.idempotency import IdempotentPosts
from weiquan.web.intake import IntakeQueue
from weiquan.web.runtime import lifespan_for
from weiquan.web.sessions import ServerSessionMiddleware
from weiquan.web.tlog_routes import build_tlog_router

log = logging.getLogger("weiquan.web")
STATIC = Path(__file__).parent / "static"
API_DOCS = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Weiquan 维权 API</title>
<link rel="stylesheet" href="/static/vendor/swagger-ui.css">
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/static/vendor/swagger-ui-bundle.js"></script>
<script src="/static/api-docs.js"></script>
</body>
</html>
"""


def create_app(
    context: App | None = None, *, clock: Clock = system_clock, fast_intake: bool = True
) -> FastAPI:
    """The web app and API. ``clock`` is the only time the app reads (tests pin it);
    ``fast_intake=False`` leaves complaint intake to its FastAPI route, which the fast path is
    tested against."""
    context = context or build(Settings())
    app = FastAPI(
        title="Weiquan 维权 API",
        version=__version__,
        description="Online dispute resolution for e-commerce: complaints, negotiation, "
        "mediation, referral. All money is integer fen; all times are ISO 8601 with a zone.",
        openapi_url="/openapi.json",
        docs_url=None,  # served below from our own copy of Swagger UI
        redoc_url=None,
        lifespan=lifespan_for(context),  # type: ignore[arg-type]
    )
    app.state.context = context
    app.state.clock = clock
    app.state.token_cache = TokenCache()
    app.state.intake = IntakeQueue(context.services)
    app.add_middleware(ServerSessionMiddleware, secure=context.settings.cookies_secure)
    app.add_middleware(LocaleMiddleware)
    app.add_middleware(IdempotentPosts)  # inside the body limit, which caps what it spools
    app.add_middleware(
        BodyLimit,
        max_json_bytes=context.settings.max_json_bytes,
        max_upload_bytes=context.settings.max_upload_bytes,
    )
    app.add_middleware(AnonymousThrottle)  # refuses before any body is read
    # Complaints have a smaller limit of their own; intake sits outside the session and locale
    # layers, which an API call does not use.
    if fast_intake:
        app.add_middleware(FastIntake)
    app.add_middleware(SecurityHeaders, behind_tls=context.settings.behind_tls)
    errors.install(app)
    app.include_router(api_cases.intake_router)
    # Evidence first: its /cases/{id}/evidence must win over the generic /cases/{id}/{action}.
    app.include_router(api_evidence.router)
    app.include_router(api_packages.router)
    app.include_router(api_signals.router)
    app.include_router(api_cases.router)
    app.include_router(api_calendar.router)
    app.include_router(api_rules.router)
    app.include_router(api_trust.router)
    app.include_router(api_notifications.router)
    # The holder is created by the lifespan, after this line runs: look it up per request.
    app.include_router(
        build_tlog_router(
            lambda: app.state.log_holder.get(),  # noqa: PLW0108
            lambda: log_public_keys(context.settings),
        )
    )
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    openapi.install(app)

    @app.get("/api/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        """Swagger UI from /static (vendored), started by a file: no CDN, no inline script."""
        return HTMLResponse(API_DOCS)

    @app.get("/healthz", tags=["operations"])
    def healthz(request: Request) -> JSONResponse:
        """The database, the worker (heartbeat, last sweep and sealing round) and the log (size,
        unsealed backlog, last checkpoint): 200 ok, or 503 degraded with the reasons."""
        return health_response(request.app)

    return app
