"""Notifications in a real browser: the merchant's bell picks up a complaint filed elsewhere
within seconds, without a reload, and leads to the case, whose timeline says who was told."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _unread(bell: Any) -> int:
    count = bell.locator(".count")
    return int(count.get_attribute("data-unread")) if count.count() else 0


def _file_for_a_caller(operator: Any) -> None:
    page = operator.page
    page.get_by_label("来电人姓名 *").fill("钱阿姨")
    page.get_by_label("来电人电话 *").fill("13812345678")
    page.get_by_label("问题类型 *").select_option(label="延迟发货/送达")
    page.get_by_label("一句话概括 *").fill("腊肉礼盒十天未发货")
    page.get_by_label("详细经过 *").fill("十天前下单的腊肉礼盒一直没有发货，客服不回复。")
    page.get_by_label("被投诉的店铺 *").select_option(label="西湖年货坊（拼多多）")
    page.get_by_label("诉求 *").select_option(label="退款")
    page.get_by_label("要求的金额（元，赔偿必填）").fill("99")
    page.get_by_role("button", name="下一步：核对").click()
    page.get_by_role("button", name="确认提交").click()
    expect(page.get_by_role("heading", name="投诉已受理")).to_be_visible()


def test_n_the_merchants_bell_shows_a_new_complaint_within_seconds_of_filing(
    open_tab: Any, live_server: LiveServer
) -> None:
    shop = open_tab("shop-zhejiang")
    shop.login("shop-zhejiang")
    bell = shop.page.locator("#bell")
    expect(bell).to_be_visible()
    shop.page.wait_for_load_state("networkidle")
    before = _unread(bell)
    shop.check("inbox-before")

    operator = open_tab("operator")
    operator.login("operator")
    _file_for_a_caller(operator)

    # No reload: the bell asks every 5 s.
    expect(shop.page.locator("#bell .count")).to_have_attribute(
        "data-unread", str(before + 1), timeout=12_000
    )
    shop.check("bell-after-filing")
    shop.page.locator("#bell").click()
    expect(shop.page.get_by_role("heading", name="通知", exact=True)).to_be_visible()
    newest = shop.page.locator(".notices .notice").first
    expect(newest).to_contain_text("收到新投诉")
    expect(newest).to_contain_text("腊肉礼盒十天未发货")
    shop.check("notifications")
    newest.get_by_role("button", name="查看案件").click()
    expect(shop.page).to_have_url(re.compile(r"/cases/[0-9a-zA-Z-]+$"))
    expect(shop.page.get_by_text("商家 · 站内通知 已送达")).to_be_visible()
    shop.check("case-notified")
    # Opening it from the list marked it read: the bell is back where it was.
    if before:
        expect(shop.page.locator("#bell .count")).to_have_attribute("data-unread", str(before))
    else:
        expect(shop.page.locator("#bell .count")).to_have_count(0)

    # E-mail and SMS go to the developer outbox in development once the sender has run.
    assert "delivered" in live_server.cli("notify", "deliver")
    shop.go("/dev/outbox")
    expect(shop.page.get_by_role("heading", name="开发用发件箱")).to_be_visible()
    expect(shop.page.locator('[data-channel="sms"]').first).to_contain_text("13800138000")
    shop.check("dev-outbox")
