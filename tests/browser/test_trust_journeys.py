"""Journeys through the merchant pages, reviews and appeals, 举报 reports, the loss assessment and
erasing one's data, in a real browser with the same checks on every page."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LiveServer, Visit
from weiquan.cli.demo import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def open_merchant(visit: Visit, name: str) -> str:
    visit.go("/merchants")
    visit.page.get_by_role("link", name=name).click()
    expect(visit.page.get_by_role("heading", name=name)).to_be_visible()
    return visit.page.url.removeprefix(visit.base)


def test_i_a_consumer_reviews_the_merchant_appeals_and_the_mediator_hides_it_with_reasons(
    open_tab: Any,
) -> None:
    merchant = "成都蜀锦生活用品有限公司"
    words = "窗帘做错尺寸还不认账，客服态度恶劣"
    bob = open_tab("bob", width=375)
    bob.login("bob")
    merchant_path = open_merchant(bob, merchant)
    # A merchant with few cases, none of them below the average, is not labelled by the average.
    expect(bob.page.locator(".grade")).to_contain_text(
        re.compile("建议下单|谨慎下单|不建议下单|案件较少，暂无定论")
    )
    expect(bob.page.locator(".why li").first).to_be_visible()
    bob.check("merchant")
    form = bob.page.locator("form.review-form")
    form.get_by_label("评价内容").fill(words)
    form.get_by_role("button", name="发表评价").click()
    expect(bob.page.locator("form.review-form .field-error")).to_have_text("请选择 1–5 星")
    expect(bob.page.get_by_label("评价内容")).to_have_value(words)  # kept as typed
    bob.check("review-error")
    bob.page.locator("form.review-form").get_by_label("1 星").check()
    bob.page.locator("form.review-form").get_by_role("button", name="发表评价").click()
    expect(bob.page.locator(".reviews")).to_contain_text(words)
    bob.check("reviewed")

    shop = open_tab("shop")
    shop.login("shop-chengdu")
    shop.page.get_by_role("link", name="本店信用与评价").click()
    review = shop.page.locator("li.review", has_text=words)
    review.locator("summary", has_text="申诉这条评价").click()
    review.get_by_role("button", name="提交申诉").click()
    expect(shop.page.locator("li.review", has_text=words).locator(".field-error")).to_have_text(
        "请选择申诉理由"
    )
    shop.check("appeal-error")
    review = shop.page.locator("li.review", has_text=words)
    review.get_by_label("申诉理由").select_option(label="侮辱谩骂")
    review.get_by_label("申诉说明").fill("尺寸按消费者填写的数据制作，评价含人身攻击。")
    review.get_by_role("button", name="提交申诉").click()
    expect(shop.page.locator("li.review", has_text=words)).to_contain_text("商家申诉中")
    shop.check("appealed")

    mediator = open_tab("mediator")
    mediator.login("mediator")
    mediator.page.get_by_role("link", name="评价申诉").click()
    appeal = mediator.page.locator("section.appeal", has_text=words)
    expect(appeal).to_contain_text("侮辱谩骂")
    mediator.check("appeals")
    appeal.get_by_label("决定理由").fill("评价以人身攻击为主，未陈述商品或服务的具体问题")
    appeal.get_by_role("button", name="维持申诉，隐藏评价").click()
    expect(mediator.page.locator("section.appeal", has_text=words)).to_have_count(0)
    mediator.check("decided")

    visitor = open_tab("visitor")
    visitor.go(merchant_path)
    expect(visitor.page.locator(".reviews")).not_to_contain_text(words)
    expect(visitor.page.locator(".reviews .notice").first).to_be_visible()
    visitor.check("hidden-review")


def test_j_a_named_report_reaches_staff_with_its_clock_and_the_merchant_never_sees_who(
    open_tab: Any,
) -> None:
    merchant = "杭州西湖年货食品有限公司"
    allegation = "礼盒标注“手工现做”，实为外购成品，包装日期被覆盖重印。"
    bob = open_tab("bob")
    bob.login("bob")
    open_merchant(bob, merchant)
    bob.page.get_by_role("link", name="举报该商家的违法行为").click()
    bob.page.get_by_role("button", name="提交举报").click()
    expect(bob.page.locator("#violation-error")).to_have_text("请选择违法行为的类型")
    bob.check("report-error")
    bob.page.get_by_label("违法行为类型 *").select_option(label="虚假宣传")
    bob.page.get_by_label("举报内容 *").fill(allegation)
    bob.page.get_by_label("联系方式（可选，用于告知处理结果；匿名时不保存）").fill(
        "bob@example.com"
    )
    bob.page.get_by_role("button", name="提交举报").click()
    expect(bob.page.get_by_role("heading", name="举报已收到")).to_be_visible()
    bob.check("report-received")

    shop = open_tab("shop")
    shop.login("shop-zhejiang")
    shop.page.get_by_role("link", name="收到的举报").click()
    expect(shop.page.locator("table.reports")).to_contain_text("外购成品")
    text = shop.page.locator("main").inner_text()
    assert "李文博" not in text
    assert "bob@example.com" not in text
    assert "bob@example.com" not in shop.page.content()  # nor hidden in the markup
    shop.check("reports")
    shop.page.get_by_role("link", name="本店信用与评价").click()
    assert "李文博" not in shop.page.content()
    assert "bob@example.com" not in shop.page.content()

    regulator = open_tab("regulator")
    regulator.login("regulator-hangzhou")
    regulator.page.get_by_role("link", name="举报").click()
    row = regulator.page.get_by_role("row", name=re.compile("外购成品"))
    expect(row).to_contain_text("李文博")
    expect(row).to_contain_text("截止")
    regulator.check("reports")

    # The regulator decides it: a missing outcome is refused in place, then 查实 with reasons,
    # then the named reporter is told; the substantiated report counts against the grade.
    row.get_by_role("link").click()
    page = regulator.page
    expect(page.get_by_role("heading", name=f"举报：{merchant}")).to_be_visible()
    page.get_by_label("决定理由").fill("经现场核查，礼盒为外购成品，宣传不实")
    page.get_by_role("button", name="提交决定").click()
    expect(page.locator("#decision-finding-error")).to_have_text("请选择处理结果")
    expect(page.get_by_label("决定理由")).to_have_value("经现场核查，礼盒为外购成品，宣传不实")
    regulator.check("report-decision-error")
    page.get_by_label("查实", exact=True).check()
    page.get_by_role("button", name="提交决定").click()
    expect(page.locator("dl.facts")).to_contain_text("已处理：查实")
    page.get_by_role("button", name="发送告知").click()
    expect(page.locator("#notify-message-error")).to_be_visible()
    page.get_by_label("告知内容").fill("您举报的虚假宣传经查属实，已依法处理。")
    page.get_by_role("button", name="发送告知").click()
    expect(page.locator("dl.facts")).to_contain_text("已告知")
    expect(page.locator("ol.timeline")).to_contain_text("已依法处理")
    regulator.check("report-decided")
    # The merchant cannot open the staff page, which names the reporter.
    refused = shop.page.request.get(page.url)
    assert refused.status in (403, 404)
    assert "李文博" not in refused.text()
    assert "bob@example.com" not in refused.text()
    open_merchant(regulator, merchant)
    expect(regulator.page.locator(".why")).to_contain_text("经查实的违法违规 1 起")


def test_k_a_merchant_estimates_trademark_damages_and_sees_the_calculation(
    open_tab: Any,
) -> None:
    shop = open_tab("shop", width=375)
    shop.login("shop-beijing")
    shop.page.get_by_role("link", name="损失评估").click()
    shop.check("empty")
    page = shop.page
    page.get_by_label("权利人的实际损失（元）").fill("abc")
    page.get_by_role("button", name="计算").click()
    expect(page.locator("#actual_loss-error")).to_be_visible()
    shop.check("error")
    page.get_by_label("权利人的实际损失（元）").fill("10000")
    page.get_by_label("恶意侵权且情节严重").check()
    page.get_by_label("惩罚性倍数（1–5，不填按5倍）").fill("3")
    page.get_by_label("制止侵权的合理开支（元，如律师费、公证费）").fill("500")
    page.get_by_role("button", name="计算").click()
    result = page.locator("#loss-result")
    expect(result).to_contain_text("¥30,500.00")
    expect(result).to_contain_text("按3倍计算")
    expect(result).to_contain_text("《商标法》第63条")
    shop.check("computed")


def test_l_a_consumer_erases_their_data_after_confirming_the_password(
    open_tab: Any, live_server: LiveServer
) -> None:
    live_server.cli(
        "user",
        "create",
        "carol",
        "--role",
        "consumer",
        "--name",
        "赵晓燕",
        stdin=f"{DEMO_PASSWORD}\n{DEMO_PASSWORD}\n",
    )
    carol = open_tab("carol")
    carol.login("carol")
    carol.go("/account/data")
    carol.page.get_by_label("请输入密码确认").fill("not my password")
    carol.page.get_by_role("button", name="删除我的数据并注销账户").click()
    expect(carol.page.locator("#erase-password-error")).to_have_text("密码不正确，未执行注销")
    carol.check("erase-error")
    carol.page.get_by_label("请输入密码确认").fill(DEMO_PASSWORD)
    carol.page.get_by_role("button", name="删除我的数据并注销账户").click()
    expect(carol.page.get_by_role("heading", name="账户已注销")).to_be_visible()
    carol.check("erased")
    carol.login("carol")
    expect(carol.page.get_by_role("heading", name="登录")).to_be_visible()
