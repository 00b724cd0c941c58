"""The case-list pages walk a long list a page at a time by their "next page" links."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.support.case_rows import Parties, case_rows, insert_cases
from tests.support.world import NOW, PASSWORD, World

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
NEXT = re.compile(r'<a href="([^"]+)" rel="next">')
NUMBER = re.compile(r"WQ-BULK-\d+-\d+")


def sign_in(client: TestClient, username: str) -> None:
    token = CSRF.search(client.get("/login").text)
    assert token is not None
    answer = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf": token.group(1)},
        follow_redirects=False,
    )
    assert answer.status_code in (302, 303), answer.text[:300]


def test_my_cases_page_leads_from_page_to_page_without_repeating_a_case(
    client: TestClient, engine: sa.Engine, world: World
) -> None:
    parties = Parties(
        consumers=(world.alice.user_id,),
        shops=((world.shop_a, world.merchant_a_id, "110108"),),
        mediators=(world.mediator.user_id,),
    )
    insert_cases(engine, case_rows(parties, 120, start=NOW - timedelta(days=30)))
    sign_in(client, "alice")
    seen: list[str] = []
    path = "/cases"
    for _ in range(10):
        page = client.get(path)
        assert page.status_code == 200
        seen += NUMBER.findall(page.text)
        link = NEXT.search(page.text)
        if link is None:
            break
        assert "回到第一页" in client.get(link.group(1)).text
        path = link.group(1).replace("&amp;", "&")
    assert len(seen) == len(set(seen)) == 120


def test_a_broken_page_link_is_a_422_page_in_words(client: TestClient, world: World) -> None:
    sign_in(client, "merchant-a")
    page = client.get("/merchant/inbox", params={"after": "broken"})
    assert page.status_code == 422
    assert "翻页链接已失效，请从第一页重新开始" in page.text
