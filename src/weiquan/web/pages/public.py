"""Pages anyone may open: home, sign-in, language, the rights guide, merchants, verification."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from weiquan.adapters.statutes import statute_book
from weiquan.bootstrap import log_public_keys
from weiquan.domain.accounts import Role
from weiquan.domain.errors import NotAuthenticated, NotFound
from weiquan.domain.throttle import Refused
from weiquan.services import throttling, views
from weiquan.web import sessions
from weiquan.web.deps import NowDep, PagePrincipal, ServicesDep
from weiquan.web.errors import page_message, refusal_headers
from weiquan.web.i18n import LANG_COOKIE, LOCALES, gettext
from weiquan.web.pages.common import redirect, render
from weiquan.web.security import require_csrf
from weiquan.web.sessions import client_address

router = APIRouter(include_in_schema=False)

HOME_OF_ROLE = {
    Role.CONSUMER: "/cases",
    Role.MERCHANT: "/merchant/inbox",
    Role.MEDIATOR: "/mediator/queue",
    Role.REGULATOR: "/regulator/referrals",
    Role.OPERATOR: "/hotline/new",
    Role.ADMIN: "/mediator/queue",
}


def local_path(target: str | None, default: str = "/") -> str:
    """Only same-site paths are followed after sign-in or a language switch (no open redirect)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


@router.get("/")
def home(request: Request, principal: PagePrincipal) -> Response:
    start = HOME_OF_ROLE.get(principal.role) if principal else None
    return render(request, "home.html", principal, start=start)


@router.get("/login")
def login_form(
    request: Request, principal: PagePrincipal, next_url: Annotated[str, Query(alias="next")] = ""
) -> Response:
    return render(request, "login.html", principal, error=None, username="", next_url=next_url)


@router.post("/login")
def login(
    request: Request,
    svc: ServicesDep,
    now: NowDep,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    next_url: Annotated[str, Form(alias="next", max_length=500)] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    require_csrf(request, csrf)
    context = {"username": username, "next_url": next_url}
    try:
        principal = throttling.sign_in(
            svc,
            username=username,
            password=password,
            address=client_address(request.scope),
            now=now,
        )
    except NotAuthenticated:
        context["error"] = gettext("用户名或密码错误")
        return render(request, "login.html", None, status_code=401, **context)
    except Refused as refused:
        context["error"] = page_message(refused)
        page = render(request, "login.html", None, status_code=429, **context)
        page.headers.update(refusal_headers(refused))
        return page
    sessions.begin(request, svc, user_id=principal.user_id)  # a new id: no session fixation
    return redirect(local_path(next_url, HOME_OF_ROLE.get(principal.role, "/")))


@router.post("/logout")
def logout(request: Request, svc: ServicesDep, csrf: Annotated[str, Form()] = "") -> Response:
    require_csrf(request, csrf)
    sessions.finish(request, svc)
    return redirect("/")


@router.get("/lang/{locale}")
def switch_language(locale: str, next_url: Annotated[str, Query(alias="next")] = "/") -> Response:
    if locale not in LOCALES:
        raise NotFound(gettext("不支持该语言"))
    response = redirect(local_path(next_url))
    response.set_cookie(LANG_COOKIE, locale, max_age=365 * 86400, samesite="lax", httponly=True)
    return response


@router.get("/rights")
def rights_guide(
    request: Request, principal: PagePrincipal, q: Annotated[str, Query(max_length=100)] = ""
) -> Response:
    articles = statute_book().search(q, limit=60)
    return render(request, "public/rights.html", principal, q=q, articles=articles)


@router.get("/merchants")
def merchant_directory(request: Request, principal: PagePrincipal, svc: ServicesDep) -> Response:
    directory = views.merchant_directory(svc)
    return render(request, "public/merchants.html", principal, directory=directory)


@router.get("/verify")
def verify_guide(request: Request, principal: PagePrincipal) -> Response:
    """How to check a package offline, with the log's public keys (current and retired)."""
    keys = log_public_keys(request.app.state.context.settings)
    return render(request, "public/verify.html", principal, keys=keys, command=VERIFY_COMMAND)


# The command the page gives; a test downloads a package and the key file and runs it verbatim.
VERIFY_COMMAND = "weiquan verify PACKAGE.zip --key weiquan-log-keys.txt"
