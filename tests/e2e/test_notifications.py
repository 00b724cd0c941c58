"""The in-app channel over HTTP: the API, the bell, the notifications page, the case timeline's
record of who was told, and the developer outbox that exists only in development."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.conftest import TEST_PII_KEYS
from tests.e2e.conftest import Api
from tests.support.world import NOW, PASSWORD, World, complaint
from weiquan.adapters.notify.dev_outbox import DevOutbox
from weiquan.bootstrap import App
from weiquan.config import Environment, Settings
from weiquan.services import cases, merchants, notifications
from weiquan.services.context import Services
from weiquan.services.notify_ports import Channels
from weiquan.web.app import create_app


def _file(services: Services, world: World) -> str:
    case, _ = cases.file_complaint(
        services, complaint(world.shop_a), principal=world.alice, now=NOW
    )
    return case.id


def _login(client: TestClient, username: str) -> str:
    page = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf is not None
    response = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf": csrf.group(1)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    return csrf.group(1)


def _csrf(client: TestClient, path: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get(path).text)
    assert found is not None
    return found.group(1)


def test_the_api_lists_a_merchants_new_complaint_in_the_language_asked_and_marks_it_read(
    api: Api, services: Services, world: World
) -> None:
    case_id = _file(services, world)
    listed = api.client.get("/api/v1/notifications?lang=en", headers=api.headers("merchant_a"))
    assert listed.status_code == 200
    body = listed.json()
    assert body["unread"] == 1
    (item,) = body["items"]
    assert item["kind"] == "complaint_received"
    assert item["case_id"] == case_id
    assert item["subject"].startswith("[Weiquan] New complaint · case ")
    assert item["statutory"] is True
    assert item["due_at"] is not None
    # Someone else's ids match nothing; the owner's mark them read.
    other = api.client.post(
        "/api/v1/notifications/read", json={"ids": [item["id"]]}, headers=api.headers("bob")
    )
    assert other.json() == {"marked": 0}
    mine = api.client.post(
        "/api/v1/notifications/read", json={"ids": [item["id"]]}, headers=api.headers("merchant_a")
    )
    assert mine.json() == {"marked": 1}
    again = api.client.get("/api/v1/notifications", headers=api.headers("merchant_a")).json()
    assert again["unread"] == 0
    assert again["items"][0]["read_at"] is not None


def test_the_api_needs_a_token_and_refuses_a_bad_language(api: Api) -> None:
    assert api.client.get("/api/v1/notifications").status_code == 401
    bad = api.client.get("/api/v1/notifications?lang=fr", headers=api.headers("alice"))
    assert bad.status_code == 422


def test_the_bell_counts_unread_notices_and_the_page_marks_them_read(
    client: TestClient, services: Services, world: World
) -> None:
    _file(services, world)
    _login(client, "merchant-a")
    assert 'data-unread="1"' in client.get("/notifications/bell").text
    page = client.get("/notifications")
    assert "收到新投诉" in page.text
    csrf = _csrf(client, "/notifications")
    marked = client.post("/notifications/read", data={"csrf": csrf}, follow_redirects=False)
    assert marked.status_code == 303
    assert "data-unread" not in client.get("/notifications/bell").text


def test_marking_a_notice_read_without_the_form_token_is_refused(
    client: TestClient, services: Services, world: World
) -> None:
    _file(services, world)
    _login(client, "merchant-a")
    refused = client.post("/notifications/read", data={"csrf": "forged"})
    assert refused.status_code == 403
    assert 'data-unread="1"' in client.get("/notifications/bell").text


def test_the_case_timeline_says_the_merchant_was_notified_only_when_it_was(
    client: TestClient, services: Services, world: World
) -> None:
    case_id = _file(services, world)
    _login(client, "alice")
    page = client.get(f"/cases/{case_id}").text
    assert "已通知：" in page
    assert "商家 · 站内通知 已送达" in page
    assert "受理并通知商家" not in page
    assert "未能通知商家" not in page


def test_a_merchant_without_any_account_is_shown_as_not_notified(
    client: TestClient, services: Services, world: World
) -> None:
    merchant, _ = merchants.register_merchant(
        services, name="无人认领的小店有限公司", region_code="330106", uscc=None, now=NOW
    )
    shop = merchants.add_shop(
        services, merchant_id=merchant.id, name="无人小店", platform="淘宝", now=NOW
    )
    case, _ = cases.file_complaint(services, complaint(shop.id), principal=world.alice, now=NOW)
    _login(client, "alice")
    page = client.get(f"/cases/{case.id}").text
    assert "未能通知商家" in page
    assert "已通知：" not in page


def test_preferences_are_saved_and_a_bad_address_is_refused_in_the_page_language(
    client: TestClient, world: World, services: Services
) -> None:
    _login(client, "alice")
    csrf = _csrf(client, "/notifications")
    bad = client.post(
        "/notifications/preferences",
        data={"csrf": csrf, "language": "en", "email": "not an address"},
    )
    assert bad.status_code == 422
    assert "电子邮件地址格式不正确" in bad.text
    ok = client.post(
        "/notifications/preferences",
        data={"csrf": csrf, "language": "en", "email": "alice@example.com", "sms_enabled": "on"},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    prefs = notifications.preferences(services, principal=world.alice)
    assert (prefs.language, prefs.email, prefs.email_enabled, prefs.sms_enabled) == (
        "en",
        "alice@example.com",
        False,
        True,
    )


@pytest.mark.usefixtures("world")
def test_the_failed_notices_page_is_for_staff_only(client: TestClient) -> None:
    _login(client, "alice")
    assert client.get("/notifications/failed").status_code == 404


@pytest.fixture
def dev_client(
    database_url: str, engine: sa.Engine, services: Services, tmp_path: Path
) -> Iterator[tuple[TestClient, DevOutbox]]:
    outbox = DevOutbox(tmp_path / "outbox.jsonl")
    settings = Settings(
        env=Environment.DEVELOPMENT, database_url=database_url, pii_keys=TEST_PII_KEYS
    )
    wired = App(settings, engine, services, dev_outbox=outbox)
    with TestClient(create_app(wired, clock=lambda: NOW)) as test_client:
        yield test_client, outbox


def test_the_developer_outbox_shows_sms_in_development(
    dev_client: tuple[TestClient, DevOutbox], services: Services, world: World
) -> None:
    client, outbox = dev_client
    svc = services.__class__(
        **{**services.__dict__, "channels": Channels(email=outbox, sms=outbox)}
    )
    notifications.send_code(
        svc,
        channel=notifications.ChannelName.SMS,
        to="13912345678",
        code="123456",
        language="zh_CN",
        message_id="m-1",
    )
    page = client.get("/dev/outbox")
    assert page.status_code == 200
    assert "123456" in page.text


def test_the_developer_outbox_does_not_exist_outside_development(client: TestClient) -> None:
    assert client.get("/dev/outbox").status_code == 404


def test_one_click_unsubscribe_from_an_email_needs_no_session_and_spares_statutory_notices(
    client: TestClient, services: Services, world: World
) -> None:
    notifications.set_preferences(
        services,
        principal=world.alice,
        language="zh_CN",
        email="alice@example.com",
        email_enabled=True,
        sms_enabled=True,
        now=NOW,
    )
    case_id = _file(services, world)
    (notice,) = [
        n for n in notifications.case_notices(services, case_id) if n.channel.value == "in_app"
    ]
    assert client.get(f"/notifications/unsubscribe?notice={notice.id}").status_code == 200
    # A link checker's GET changed nothing; the mail client's POST does.
    assert notifications.preferences(services, principal=world.merchant_a).email_enabled
    done = client.post(f"/notifications/unsubscribe?notice={notice.id}")
    assert done.status_code == 200
    assert "已退订" in done.text
    assert not notifications.preferences(services, principal=world.merchant_a).email_enabled
    assert notifications.preferences(services, principal=world.alice).email_enabled
    assert client.post("/notifications/unsubscribe?notice=unknown").status_code == 404
