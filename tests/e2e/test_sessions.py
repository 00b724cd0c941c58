"""Server-side sessions through the pages: the cookie is a random id, and ending a session (logout,
"end this session", a new password, erasure) refuses every copy of its cookie."""

from __future__ import annotations

import hashlib
import re

import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.support.world import PASSWORD, World
from weiquan.adapters.db.tables_sessions import user_sessions
from weiquan.web.sessions import COOKIE, mask_address

ALICE_PHONE = "13912345678"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def csrf_of(client: TestClient, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    match = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert match is not None
    return match.group(1)


def sign_in(client: TestClient, username: str = "alice", password: str = PASSWORD) -> str:
    """Signs in through the page; the session cookie it got."""
    csrf = csrf_of(client, "/login")
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf": csrf},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    cookie = client.cookies.get(COOKIE)
    assert cookie
    return cookie


def browser_with(client: TestClient, cookie: str) -> TestClient:
    """Another browser presenting a copy of ``cookie`` (the same app)."""
    other = TestClient(client.app)
    other.cookies.set(COOKIE, cookie)
    return other


def reads_my_phone(client: TestClient) -> bool:
    response = client.get("/account/data", follow_redirects=False)
    return response.status_code == 200 and ALICE_PHONE in response.text


def test_the_old_cookie_no_longer_reads_the_phone_after_logout(
    client: TestClient, world: World
) -> None:
    old_cookie = sign_in(client)
    assert reads_my_phone(client)
    csrf = csrf_of(client, "/account/data")

    logout = client.post("/logout", data={"csrf": csrf}, follow_redirects=False)

    assert logout.status_code == 303
    assert f"{COOKIE}=" in logout.headers["set-cookie"]
    assert "Max-Age=0" in logout.headers["set-cookie"]
    replay = browser_with(client, old_cookie).get("/account/data", follow_redirects=False)
    assert replay.status_code == 303
    assert replay.headers["location"].startswith("/login")
    assert ALICE_PHONE not in replay.text


def test_the_cookie_is_a_random_id_whose_digest_alone_is_stored(
    client: TestClient, world: World, engine: sa.Engine
) -> None:
    cookie = sign_in(client)

    with engine.connect() as conn:
        rows = conn.execute(sa.select(user_sessions)).mappings().all()
    assert len(rows) == 1
    (row,) = rows
    assert row["user_id"] == world.alice.user_id
    assert row["token_hash"] == hashlib.sha256(cookie.encode()).hexdigest()
    stored = " ".join(str(value) for value in row.values())
    assert cookie not in stored
    assert world.alice.user_id not in cookie
    assert row["address_enc"].startswith("v1:")  # the address is encrypted like other PII
    assert len(cookie) >= 40


def test_signing_in_again_gives_a_new_id_and_ends_the_visitors_one(
    client: TestClient, world: World
) -> None:
    csrf_of(client, "/login")
    visitor_id = client.cookies.get(COOKIE)
    signed_in = sign_in(client)
    assert visitor_id
    assert signed_in != visitor_id
    assert not reads_my_phone(browser_with(client, visitor_id))


def test_the_account_page_lists_each_signed_in_browser_and_ends_another_one(
    client: TestClient, world: World
) -> None:
    laptop = client
    sign_in(laptop)
    phone = TestClient(client.app, headers={"user-agent": FIREFOX})
    phone_cookie = sign_in(phone)

    page = laptop.get("/account/data")
    assert page.text.count("/end") == 2
    assert "Firefox 128 · Linux" in page.text
    assert mask_address("testclient") in page.text  # not an IP here: shown as a dash
    assert "当前设备" in page.text

    ids = re.findall(r'action="/account/sessions/([0-9a-f-]+)/end"', page.text)
    # The phone's own row is the one marked as the current device on the phone's page.
    current_row = re.search(
        r"当前设备.*?action=\"/account/sessions/([0-9a-f-]+)/end\"",
        phone.get("/account/data").text,
        re.S,
    )
    assert current_row is not None
    phone_id = current_row.group(1)
    assert phone_id in ids

    csrf = csrf_of(laptop, "/account/data")
    ended = laptop.post(
        f"/account/sessions/{phone_id}/end", data={"csrf": csrf}, follow_redirects=False
    )

    assert ended.status_code == 303
    assert not reads_my_phone(browser_with(client, phone_cookie))
    assert reads_my_phone(laptop)
    assert laptop.get("/account/data").text.count('/end"') == 1


def test_nobody_ends_another_persons_session(client: TestClient, world: World) -> None:
    sign_in(client)
    alices_page = client.get("/account/data").text
    (alices_session,) = re.findall(r'action="/account/sessions/([0-9a-f-]+)/end"', alices_page)
    bob = TestClient(client.app)
    sign_in(bob, "bob")
    csrf = csrf_of(bob, "/account/data")

    attempt = bob.post(
        f"/account/sessions/{alices_session}/end", data={"csrf": csrf}, follow_redirects=False
    )

    assert attempt.status_code == 404
    assert reads_my_phone(client)


def test_a_new_password_ends_every_other_session_and_keeps_this_browser_signed_in(
    client: TestClient, world: World
) -> None:
    sign_in(client)
    elsewhere = TestClient(client.app)
    elsewhere_cookie = sign_in(elsewhere)
    csrf = csrf_of(client, "/account/data")

    changed = client.post(
        "/account/password",
        data={"csrf": csrf, "current_password": PASSWORD, "new_password": "a-new-passphrase-1"},
    )

    assert changed.status_code == 200
    assert "密码已修改" in changed.text
    assert not reads_my_phone(browser_with(client, elsewhere_cookie))
    assert reads_my_phone(client)
    again = TestClient(client.app)
    sign_in(again, password="a-new-passphrase-1")


def test_a_wrong_current_password_changes_nothing_and_says_so(
    client: TestClient, world: World
) -> None:
    sign_in(client)
    elsewhere = TestClient(client.app)
    elsewhere_cookie = sign_in(elsewhere)
    csrf = csrf_of(client, "/account/data")

    refused = client.post(
        "/account/password",
        data={"csrf": csrf, "current_password": "not it at all", "new_password": "whatever-12"},
    )

    assert refused.status_code == 401
    assert "当前密码不正确" in refused.text
    assert reads_my_phone(browser_with(client, elsewhere_cookie))


def test_erasure_on_the_page_ends_every_session_of_the_account(
    client: TestClient, world: World
) -> None:
    sign_in(client)
    elsewhere = TestClient(client.app)
    elsewhere_cookie = sign_in(elsewhere)
    csrf = csrf_of(client, "/account/data")

    erased = client.post("/account/erase", data={"csrf": csrf, "password": PASSWORD})

    assert erased.status_code == 200
    assert client.get("/account/data", follow_redirects=False).status_code == 303
    replay = browser_with(client, elsewhere_cookie).get("/account/data", follow_redirects=False)
    assert replay.status_code == 303


def test_erasure_through_the_api_ends_the_browser_sessions_too(
    client: TestClient, world: World
) -> None:
    cookie = sign_in(client)
    token = client.post(
        "/api/v1/auth/token", json={"username": "alice", "password": PASSWORD}
    ).json()["access_token"]

    erased = client.post(
        "/api/v1/me/erase",
        json={"password": PASSWORD},
        headers={"Authorization": f"Bearer {token}"},
    )

    assert erased.status_code == 204
    replay = browser_with(client, cookie).get("/account/data", follow_redirects=False)
    assert replay.status_code == 303


def test_a_form_from_another_browser_is_refused(client: TestClient, world: World) -> None:
    sign_in(client)
    stranger = TestClient(client.app)
    foreign_csrf = csrf_of(stranger, "/login")

    forged = client.post("/logout", data={"csrf": foreign_csrf}, follow_redirects=False)

    assert forged.status_code == 403
    assert reads_my_phone(client)


def test_looking_at_pages_without_signing_in_stores_no_session(
    client: TestClient, world: World, engine: sa.Engine
) -> None:
    for path in ("/", "/login", "/rights", "/merchants", "/verify"):
        assert client.get(path).status_code == 200
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(user_sessions)).scalar() == 0
