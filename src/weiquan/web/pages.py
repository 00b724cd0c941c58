"""Server-rendered pages: home, login/logout and a person's case list."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from weiquan.domain.errors import NotAuthenticated, PermissionDenied
from weiquan.domain.lifecycle import STATUS_LABELS_ZH
from weiquan.domain.money import format_fen
from weiquan.services import accounts
from weiquan.services import cases as case_service
from weiquan.web.deps import PagePrincipal, ServicesDep
from weiquan.web.security import csrf_token, require_csrf

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.globals.update(
    csrf_token=csrf_token, status_label=STATUS_LABELS_ZH.get, format_fen=format_fen
)
router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, principal: PagePrincipal, svc: ServicesDep) -> Response:
    recent = []
    if principal is not None:
        try:
            recent, _ = case_service.list_cases(svc, principal=principal, limit=20)
        except PermissionDenied:
            recent = []
    return templates.TemplateResponse(
        request, "home.html", {"principal": principal, "cases": recent}
    )


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> Response:
    return templates.TemplateResponse(request, "login.html", {"error": None, "username": ""})


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    svc: ServicesDep,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    require_csrf(request, csrf)
    try:
        principal = accounts.authenticate(svc, username=username, password=password)
    except NotAuthenticated as exc:
        return templates.TemplateResponse(
            request, "login.html", {"error": exc.message, "username": username}, status_code=401
        )
    request.session.clear()  # a fresh session on login defeats session fixation
    request.session["user_id"] = principal.user_id
    return RedirectResponse("/", status_code=303)


@router.post("/logout")
def logout(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
    require_csrf(request, csrf)
    request.session.clear()
    return RedirectResponse("/", status_code=303)
