"""Signing in to the server-rendered pages through the test client, and posting their forms."""

from __future__ import annotations

import re
from typing import Any

import httpx
from fastapi.testclient import TestClient

from tests.support.world import PASSWORD, World

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(client: TestClient, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    match = _CSRF.search(page.text)
    assert match, f"no form on {path}"
    return match.group(1)


def sign_in(client: TestClient, world: World, who: str) -> None:
    username = world.by_name(who).display_name
    form = {"username": username, "password": PASSWORD, "csrf": csrf_of(client, "/login")}
    response = client.post("/login", data=form, follow_redirects=False)
    assert response.status_code == 303, response.text


def post_form(client: TestClient, path: str, form_page: str, **fields: Any) -> httpx.Response:
    """Posts ``fields`` to ``path`` with the CSRF token of the page the form is on."""
    data = {"csrf": csrf_of(client, form_page), **fields}
    return client.post(path, data=data, follow_redirects=False)


def english(client: TestClient) -> None:
    client.cookies.set("wq_lang", "en")
