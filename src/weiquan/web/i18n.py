"""Page language: Simplified Chinese by default, English on request (a cookie).

Messages are written in Chinese in the templates and code; ``locale/en/LC_MESSAGES/messages.po``
translates them. The catalogue is compiled in memory when the process starts, so a checkout needs
no separate build step for it.
"""

from __future__ import annotations

import gettext as gettext_module
from contextvars import ContextVar
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DEFAULT_LOCALE = "zh_CN"
LOCALES = ("zh_CN", "en")
HTML_LANG = {"zh_CN": "zh-CN", "en": "en"}
LANG_COOKIE = "wq_lang"

_current: ContextVar[str] = ContextVar("weiquan_locale", default=DEFAULT_LOCALE)


@cache
def translations(locale: str) -> gettext_module.NullTranslations:
    po_path = LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    if locale == DEFAULT_LOCALE or not po_path.exists():
        return gettext_module.NullTranslations()
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file, locale=locale)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext_module.GNUTranslations(compiled)


def choose_locale(cookie_value: str | None) -> str:
    return cookie_value if cookie_value in LOCALES else DEFAULT_LOCALE


def set_locale(locale: str) -> None:
    _current.set(choose_locale(locale))


def current_locale() -> str:
    return _current.get()


def gettext(message: str) -> str:
    return translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    return translations(_current.get()).ngettext(singular, plural, count)


def n_(message: str) -> str:
    """Marks a message for extraction where it is defined; it is translated where it is shown."""
    return message


_ = gettext


class LocaleMiddleware:
    """Sets the page language for the request from the language cookie (pure ASGI, so the
    context variable reaches the endpoint and its thread pool)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            set_locale(HTTPConnection(scope).cookies.get(LANG_COOKIE, DEFAULT_LOCALE))
        await self.app(scope, receive, send)
