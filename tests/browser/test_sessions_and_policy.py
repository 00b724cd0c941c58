"""In a real browser, under the Content-Security-Policy: the API documentation renders from the
site's own copy of Swagger UI, and ending a session from the account page signs that browser out."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_s_the_api_documentation_renders_without_any_other_origin_or_inline_script(
    open_tab: Any,
) -> None:
    reader = open_tab("reader")
    requested: list[str] = []
    reader.page.on("request", lambda request: requested.append(request.url))

    reader.go("/api/docs")

    expect(reader.page.get_by_text("/api/v1/auth/token").first).to_be_visible()
    reader.page.wait_for_load_state("networkidle")
    assert reader.console_errors == []
    assert all(url.startswith(reader.base) for url in requested), requested


def test_t_ending_a_session_on_the_account_page_signs_that_browser_out(open_tab: Any) -> None:
    laptop = open_tab("laptop")
    phone = open_tab("phone", width=375)
    phone.login("bob")
    laptop.login("bob")

    laptop.go("/account/data")
    # Other journeys on this live server may have signed bob in too: every other session is
    # ended here, the phone's among them.
    others = laptop.page.locator("tr", has_not_text="当前设备").get_by_role(
        "button", name="结束此会话"
    )
    expect(others.first).to_be_visible()
    laptop.check("two-sessions")
    while others.count():
        others.first.click()
        laptop.page.wait_for_load_state()
    expect(laptop.page.get_by_role("button", name="结束此会话")).to_have_count(1)

    phone.go("/account/data")
    expect(phone.page).to_have_url(f"{phone.base}/login?next=/account/data")
    laptop.check("one-session")
