"""The ASGI application: ``create_app()`` wires routers, middleware and error handling."""

from __future__ import annotations

import logging
from pathlib import Path

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from weiquan import __version__
from weiquan.bootstrap import App, build, log_public_keys
from weiquan.config import Settings
from weiquan.web import (
    api_calendar,
    api_cases,
    api_evidence,
    api_packages,
    api_rules,
    api_signals,
    api_trust,
    errors,
    pages,
)
from weiquan.web.deps import Clock, TokenCache, system_clock
from weiquan.web.fast_intake import FastIntake
from weiquan.web.i18n import LocaleMiddleware
from weiquan.web.intake import IntakeQueue
from weiquan.web.runtime import lifespan_for
from weiquan.web.tlog_routes import build_tlog_router

log = logging.getLogger("weiquan.web")
STATIC = Path(__file__).parent / "static"
SWAGGER_UI = "/static/vendor/swagger-ui"


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
        docs_url=None,  # served below from the vendored Swagger UI, so it works offline
        redoc_url=None,
        lifespan=lifespan_for(context),  # type: ignore[arg-type]
    )
    app.state.context = context
    app.state.clock = clock
    app.state.token_cache = TokenCache()
    app.state.intake = IntakeQueue(context.services)
    app.add_middleware(
        SessionMiddleware,
        secret_key=context.settings.secret_key,
        session_cookie="wq_session",
        same_site="lax",
        https_only=context.settings.secure_cookies,
        max_age=8 * 3600,
    )
    app.add_middleware(LocaleMiddleware)
    if fast_intake:  # outside the session and locale layers, which an API call does not use
        app.add_middleware(FastIntake)
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
    # The holder is created by the lifespan, after this line runs: look it up per request.
    app.include_router(
        build_tlog_router(
            lambda: app.state.log_holder.get(),  # noqa: PLW0108
            lambda: log_public_keys(context.settings),
        )
    )
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/api/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        """Swagger UI from the package's own copy (`make assets`), never from a CDN."""
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="Weiquan 维权 API",
            swagger_js_url=f"{SWAGGER_UI}/swagger-ui-bundle.js",
            swagger_css_url=f"{SWAGGER_UI}/swagger-ui.css",
            swagger_favicon_url=f"{SWAGGER_UI}/favicon-32x32.png",
        )

    @app.get("/healthz", tags=["operations"])
    def healthz(request: Request) -> JSONResponse:
        """Liveness and database reachability: 200 ok, or 503 degraded."""
        engine: sa.Engine = request.app.state.context.engine
        try:
            with engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
            database = "ok"
        except sa.exc.SQLAlchemyError as exc:
            log.warning("health check: database unreachable (%s)", type(exc).__name__)
            database = "unreachable"
        status = "ok" if database == "ok" else "degraded"
        return JSONResponse(
            {"status": status, "database": database, "version": __version__},
            status_code=200 if status == "ok" else 503,
        )

    return app
