"""What a newcomer sees, in a real browser: the screenshot read with a progress note and the
unregistered shop it showed, a live count before long text is refused, the API docs offline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw, ImageFont
from playwright.sync_api import Route, expect

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
FONT = "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"


def shop_alone_screenshot(folder: Path) -> Path:
    """An order page whose shop name stands alone above the item; the shop is not registered."""
    font = ImageFont.truetype(FONT, 30)
    image = Image.new("RGB", (750, 420), "white")
    draw = ImageDraw.Draw(image)
    for row, text in enumerate(
        (
            "交易成功",
            "声悦数码",
            "无线蓝牙耳机 主动降噪",
            "颜色分类：曜石黑",
            "x1",
            "实付款 ¥299.00",
        )
    ):
        draw.text((40, 30 + row * 62), text, fill="black", font=font)
    path = folder / "shop-alone.png"
    image.save(path)
    return path


def test_m_the_wizard_reads_a_screenshot_with_a_progress_note_and_shows_an_unlisted_shop(
    open_tab: Any, tmp_path: Path
) -> None:
    alice = open_tab("alice", width=375, height=800)
    alice.login("alice")
    alice.go("/complaints/new")
    page = alice.page
    page.get_by_label("上传订单截图，自动填写下面的内容（可选）").set_input_files(
        shop_alone_screenshot(tmp_path)
    )
    # Reading takes seconds. To see the page as the person does meanwhile, the first press is
    # held in the browser after the page's own handler has run; then the form goes.
    page.evaluate(
        "window.hold = e => e.preventDefault(); document.addEventListener('submit', window.hold)"
    )
    page.get_by_role("button", name="识别截图").click()
    expect(page.locator("#ocr-progress")).to_be_visible()
    expect(page.locator("#ocr-progress")).to_contain_text("正在识别截图")
    expect(page.get_by_role("button", name="识别截图")).to_have_attribute("aria-disabled", "true")
    alice.check("ocr-progress")
    page.evaluate(
        "document.removeEventListener('submit', window.hold);"
        "document.getElementById('complaint-form')"
        ".requestSubmit(document.getElementById('ocr-button'))"
    )
    expect(page.locator("#ocr-result")).to_contain_text("声悦数码", timeout=60_000)
    expect(page.locator("#ocr-result")).to_contain_text("平台上还没有这家店")
    expect(page.get_by_label("商品名称")).to_have_value("无线蓝牙耳机主动降噪")
    alice.check("ocr-unlisted-shop")


def test_n_long_text_shows_a_live_count_and_is_refused_with_the_count_not_cut(
    open_tab: Any,
) -> None:
    alice = open_tab("alice")
    alice.login("alice")
    alice.go("/complaints/new")
    page = alice.page
    page.get_by_label("详细经过 *").fill("字" * 5_003)
    expect(page.locator("#description-count")).to_have_text("5003 / 5000")
    expect(page.locator("#description-count")).to_have_class("hint counter over")
    page.get_by_role("button", name="下一步：核对").click()
    expect(page.locator("#description-error")).to_have_text(
        "最多 5000 字，现在有 5003 字，请删减后再提交"
    )
    expect(page.get_by_label("详细经过 *")).to_have_value("字" * 5_003)
    alice.check("long-text-refused")


def test_o_the_api_docs_work_with_the_internet_cut_off(open_tab: Any, live_server: Any) -> None:
    visitor = open_tab("visitor")
    page = visitor.page
    local = live_server.url

    def only_local(route: Route) -> None:
        if route.request.url.startswith(local):
            route.continue_()
        else:
            route.abort()

    page.route("**/*", only_local)
    visitor.go("/api/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Weiquan", timeout=30_000)
    expect(page.locator(".opblock").first).to_be_visible()
    page.screenshot(
        path=str(visitor.artifacts / "o-visitor-01-api-docs-offline.png"), full_page=False
    )


def test_p_a_deadline_past_the_calendar_reads_plainly_and_a_rating_shows_on_its_case(
    open_tab: Any,
) -> None:
    alice = open_tab("alice")
    alice.login("alice")
    alice.go("/cases")
    page = alice.page
    # Mediation began in December 2026: its deadline falls in 2027, which the calendar lacks.
    expect(page.get_by_role("row").filter(has_text="腊肉礼盒发霉")).to_contain_text("最迟")
    alice.check("cases-open-deadline-bound")
    page.get_by_role("row").filter(has_text="腊肉礼盒发霉").get_by_role("link").click()
    notice = page.locator("#open-deadline")
    expect(notice).to_contain_text("2027 年的节假日安排")
    expect(notice).to_contain_text("24:00")
    expect(notice).not_to_contain_text("weiquan")
    expect(notice).not_to_contain_text("calendar covers")
    alice.check("case-open-deadline")
    page.get_by_role("link", name="English").click()
    expect(page.locator("#open-deadline")).to_contain_text("public holidays")
    alice.check("case-open-deadline-english")
    page.get_by_role("link", name="中文").click()
    alice.go("/cases")
    page.get_by_role("row").filter(has_text="充电器发热").get_by_role("link").click()
    rating = page.locator("section[aria-labelledby=rating-title]")
    expect(rating).to_contain_text("5 星")
    expect(rating).to_contain_text("商家处理很及时")
    expect(page.get_by_role("button", name="提交评价")).to_have_count(0)
    alice.check("case-rated-once")
