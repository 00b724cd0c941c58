"""Complete journeys through the pages in a real browser, as the people who use them would."""

from __future__ import annotations

import re
import subprocess
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont
from playwright.sync_api import expect

from tests.browser.conftest import LiveServer, Visit
from weiquan.cli.demo import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

CASE_URL = re.compile(r"/cases/[0-9a-zA-Z-]+$")


def _beijing_days_ago(days: int) -> str:
    return (datetime.now(UTC) + timedelta(hours=8) - timedelta(days=days)).date().isoformat()


def order_screenshot(folder: Path) -> Path:
    """An order page as a phone would show it, drawn with the CJK font the PDFs use."""
    font = ImageFont.truetype("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 34, index=2)
    image = Image.new("RGB", (750, 520), "white")
    draw = ImageDraw.Draw(image)
    lines = (
        "京东方数码旗舰店",
        "蓝牙耳机 X2",
        "实付款 ¥299.00",
        "订单编号：JD20261101889",
        f"下单时间：{_beijing_days_ago(5)} 10:15:32",
    )
    for row, text in enumerate(lines):
        draw.text((40, 40 + row * 90), text, fill="black", font=font)
    path = folder / "order.png"
    image.save(path)
    return path


def pdf_receipt(folder: Path) -> Path:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=14)
    pdf.cell(text="Receipt JD20261101889  Bluetooth earphones X2  CNY 299.00")
    path = folder / "receipt.pdf"
    pdf.output(str(path))
    return path


WIZARD_CHAT_LOG = """2026-11-19 20:41:07 张晓丽：耳机到了，左耳完全没有声音
2026-11-19 20:43:55 京东方客服：请您先重启试试
"""
BROKEN_CHAT_LOG = "这不是聊天记录导出，没有时间也没有说话人\n"


def stage_evidence(visit: Visit, file: Path, kind: str) -> None:
    step = visit.page.locator("#wizard-evidence")
    step.get_by_label("选择文件").set_input_files(file)
    step.get_by_label(kind).check()
    step.get_by_role("button", name="添加这个文件").click()


def stage_wizard_evidence(alice: Visit, folder: Path) -> None:
    """A broken chat log is refused with the form kept; a receipt and a chat log are staged."""
    broken = folder / "broken-chat.txt"
    broken.write_text(BROKEN_CHAT_LOG, encoding="utf-8")
    stage_evidence(alice, broken, "这是聊天记录导出（文本或 JSON）")
    step = alice.page.locator("#wizard-evidence")
    expect(step.locator("#evidence_file-error")).to_be_visible()
    expect(step.get_by_label("选择文件")).to_have_attribute("aria-invalid", "true")
    expect(alice.page.get_by_label("订单号")).to_have_value("JD20261101889")
    alice.check("wizard-evidence-refused")
    stage_evidence(alice, pdf_receipt(folder), "普通文件（截图、照片、票据等）")
    expect(step).to_contain_text("receipt.pdf")
    chat = folder / "客服聊天.txt"
    chat.write_text(WIZARD_CHAT_LOG, encoding="utf-8")
    stage_evidence(alice, chat, "这是聊天记录导出（文本或 JSON）")
    expect(step.locator("li")).to_have_count(2)
    expect(step).to_contain_text("客服聊天.txt")
    wrong = folder / "wrong.txt"
    wrong.write_text("选错的文件", encoding="utf-8")
    stage_evidence(alice, wrong, "普通文件（截图、照片、票据等）")
    expect(step.locator("li")).to_have_count(3)
    step.get_by_role("button", name="移除 wrong.txt").click()
    expect(step.locator("li")).to_have_count(2)
    expect(step).to_contain_text("application/pdf")
    expect(step.locator(".field-error")).to_have_count(0)
    alice.check("wizard-evidence-staged")


def file_complaint(alice: Visit, title: str, screenshot: Path, folder: Path) -> str:
    alice.go("/complaints/new")
    alice.check("wizard-empty")
    page = alice.page
    page.get_by_role("button", name="下一步：核对").click()
    expect(page.get_by_text("有内容需要修改")).to_be_visible()
    alice.check("wizard-errors")
    page.get_by_label("问题类型 *").select_option(label="商品质量")
    page.get_by_label("一句话概括 *").fill(title)
    page.get_by_label("详细经过 *").fill(
        "11月购买的蓝牙耳机，收到后左耳没有声音。联系客服要求退货，客服称需要先寄回检测，一直没有处理。"
    )
    page.get_by_label("上传订单截图，自动填写下面的内容（可选）").set_input_files(screenshot)
    page.get_by_role("button", name="识别截图").click()
    expect(page.locator("#ocr-result")).to_contain_text("JD20261101889")
    # What the screenshot showed is filled in for the consumer to confirm; typed text is kept.
    expect(page.get_by_label("订单号")).to_have_value("JD20261101889")
    expect(page.get_by_label("实付金额（元）")).to_have_value("299.00")
    expect(page.get_by_label("被投诉的店铺 *")).to_have_value(re.compile(".+"))
    expect(page.get_by_label("一句话概括 *")).to_have_value(title)
    alice.check("wizard-screenshot-read")
    page.get_by_label("商品名称").fill("蓝牙耳机 X2")
    page.get_by_label("签收日期").fill(_beijing_days_ago(3))
    page.get_by_label("诉求 *").select_option(label="退款")
    # A refund above the price paid is flagged with the ceiling, but does not block the form.
    page.get_by_label("要求的金额（元，赔偿必填）").fill("599")
    page.get_by_label("要求的金额（元，赔偿必填）").press("Tab")
    expect(page.locator("#assist .claim-check")).to_contain_text("法律支持的上限：¥299.00")
    alice.check("wizard-claim-flagged")
    page.get_by_label("要求的金额（元，赔偿必填）").fill("299")
    page.get_by_label("要求的金额（元，赔偿必填）").press("Tab")
    expect(page.locator("#assist .claim-check")).to_have_count(0)
    # The findings beside the form follow what was typed: signed for 3 days ago, a defect.
    expect(page.locator("#assist")).to_contain_text("收货后7日内")
    alice.check("wizard-filled")
    stage_wizard_evidence(alice, folder)
    page.get_by_role("button", name="下一步：核对").click()
    expect(page.get_by_role("heading", name="第 5 步：核对后提交")).to_be_visible()
    expect(page.get_by_text("识别过的订单截图将作为证据保存")).to_be_visible()
    staged = page.locator("#staged-evidence")
    expect(staged.locator("li")).to_have_count(2)
    expect(staged).to_contain_text("receipt.pdf")
    expect(staged).to_contain_text("聊天记录导出")
    alice.check("wizard-review")
    page.get_by_role("button", name="确认提交").click()
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    assert CASE_URL.search(page.url)
    # The screenshot read in the wizard is kept as the case's first evidence.
    expect(page.locator("#evidence")).to_contain_text("order.png")
    expect(page.locator("#evidence")).to_contain_text("提交投诉时识别的订单截图")
    # The files staged in the wizard are attached too, the chat log read as a transcript.
    expect(page.locator("#evidence")).to_contain_text("receipt.pdf")
    expect(page.locator("#evidence")).to_contain_text("客服聊天.txt")
    expect(page.locator("#evidence")).to_contain_text("查看聊天记录（2 条消息）")
    alice.check("case-filed")
    return page.url.removeprefix(alice.base)


CHAT_LOG = """2026-11-20 14:03:22 张晓丽：耳机左耳没有声音，可以退货吗？
2026-11-20 14:05:10 京东方客服：亲，需要先寄回检测哦
2026-11-21 09:12:45 张晓丽：已经寄回三天了，请尽快处理
"""


def upload_chat_log(alice: Visit, folder: Path) -> None:
    chat = folder / "聊天记录.txt"
    chat.write_text(CHAT_LOG, encoding="utf-8")
    panel = alice.page.locator("#evidence")
    panel.locator("summary", has_text="提交证据").click()
    panel.get_by_role("button", name="上传证据").click()
    expect(panel.locator(".field-error")).to_have_text("请选择要上传的文件")
    panel.get_by_label("文件", exact=True).set_input_files(chat)
    panel.get_by_label("这是聊天记录导出（文本或 JSON）").check()
    corrects = panel.get_by_label("更正以下证据")
    earlier = corrects.locator("option", has_text="客服聊天.txt").get_attribute("value")
    corrects.select_option(value=earlier)
    panel.get_by_label("说明（这份证据证明什么）").fill("客服要求先寄回检测，之后一直未处理")
    panel.get_by_role("button", name="上传证据").click()
    expect(panel).to_contain_text("聊天记录.txt")
    # The fuller log corrects the one filed with the complaint; both stay listed.
    expect(panel.locator(".evidence-item.superseded")).to_contain_text("客服聊天.txt")
    expect(panel).to_contain_text("更正了：客服聊天.txt")
    uploaded = panel.locator(".evidence-item", has_text="聊天记录.txt")
    uploaded.locator("summary", has_text="查看聊天记录").click()
    expect(uploaded.locator("pre")).to_contain_text("京东方客服：亲，需要先寄回检测哦")
    alice.check("evidence-uploaded")


def download_and_verify_package(
    alice: Visit, live_server: LiveServer, artifacts: Path, name: str
) -> None:
    live_server.cli("worker", "--once")  # the log writer seals the case's records
    with alice.page.expect_download() as download:
        alice.page.get_by_role("link", name="下载证据包").click()
    package = artifacts / name
    download.value.save_as(package)
    with zipfile.ZipFile(package) as archive:
        manifest = archive.read("manifest.json").decode("utf-8")
        files = [n for n in archive.namelist() if n.startswith("files/")]
    assert len(files) == 4
    assert "聊天记录.txt" in manifest
    assert "receipt.pdf" in manifest
    assert "order.png" in manifest
    live_server.cli("verify", str(package))  # asserts the exit status is 0


def pdf_text(pdf: Path) -> str:
    """The PDF's text as poppler extracts it: readable only if the CJK font is embedded."""
    done = subprocess.run(
        ["/usr/bin/pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    )
    return done.stdout.replace(" ", "")


def open_case_from(visit: Visit, listing: str, title: str) -> None:
    visit.go(listing)
    visit.check("list")
    visit.page.get_by_role("row", name=re.compile(title)).get_by_role("link").click()
    expect(visit.page.get_by_role("heading", name=title)).to_be_visible()


def offer_terms(visit: Visit, form: str, amount: str, note: str) -> None:
    section = visit.page.locator(f"#form-{form}")
    section.get_by_label("金额（元，退款和赔偿必填）").fill(amount)
    section.get_by_label("说明").fill(note)
    section.get_by_role("button").click()


@pytest.mark.parametrize("width", [1280, 375], ids=["desktop", "phone"])
def test_a_complaint_goes_from_wizard_through_mediation_to_a_signed_agreement(
    open_tab: Any, width: int, tmp_path: Path, artifacts: Path, live_server: LiveServer
) -> None:
    title = f"蓝牙耳机左耳无声（{width}）"
    alice = open_tab("alice", width=width)
    alice.login("alice")
    case_path = file_complaint(alice, title, order_screenshot(tmp_path), tmp_path)
    upload_chat_log(alice, tmp_path)

    shop = open_tab("shop", width=width)
    shop.login("shop-beijing")
    open_case_from(shop, "/merchant/inbox", title)
    assert "****" in shop.page.locator("dl.facts").inner_text()  # the phone is masked
    offer_terms(shop, "offer", "", "")
    expect(shop.page.locator("#form-offer .field-error")).to_have_text("退款或赔偿须写明金额")
    shop.check("offer-error")
    offer_terms(shop, "offer", "100", "退一百元，不退货")
    expect(shop.page.get_by_text("商家的解决方案")).to_be_visible()
    shop.check("offer-made")

    alice.go(case_path)
    alice.page.locator("#form-reject").get_by_label("拒绝的理由").fill("耳机坏了，只退一百元不合理")
    alice.page.get_by_role("button", name="拒绝方案").click()
    expect(alice.page.locator(".status").first).to_have_text("调解中")
    alice.check("offer-rejected")

    mediator = open_tab("mediator", width=width)
    mediator.login("mediator")
    open_case_from(mediator, "/mediator/queue", title)
    mediator.page.get_by_role("button", name="认领此案").click()
    expect(mediator.page.locator("dl.facts")).to_contain_text("王调解")
    offer_terms(mediator, "propose", "299", "全额退款，消费者寄回耳机")
    expect(mediator.page.get_by_text("调解员的调解方案")).to_be_visible()
    mediator.check("proposal")

    alice.go(case_path)
    alice.page.get_by_role("button", name="接受方案").click()
    expect(alice.page.get_by_text("消费者已同意")).to_be_visible()
    shop.go(case_path)
    shop.page.get_by_role("button", name="接受方案").click()
    expect(shop.page.locator(".status").first).to_have_text("已达成调解协议")
    shop.check("agreement")

    with alice.page.expect_download() as download:
        alice.go(case_path)
        alice.check("agreement-ready")
        alice.page.get_by_role("link", name="下载调解协议书（PDF）").click()
    pdf = artifacts / f"a-{width}-mediation-agreement.pdf"
    download.value.save_as(pdf)
    text = pdf_text(pdf)
    for expected in ("调解协议书", "张晓丽", "北京京东方数码科技有限公司", "王调解", "299.00"):
        assert expected in text, f"{expected} missing from the PDF text"
    download_and_verify_package(alice, live_server, artifacts, f"a-{width}-evidence-package.zip")


def test_b_a_silent_merchant_is_escalated_by_the_worker_and_the_referral_reaches_the_regulator(
    open_tab: Any, live_server: LiveServer, artifacts: Path
) -> None:
    title = "年货礼盒临期未告知"
    live_server.cli("worker", "--once")
    mediator = open_tab("mediator")
    mediator.login("mediator")
    open_case_from(mediator, "/mediator/queue", title)
    expect(mediator.page.locator(".timeline")).to_contain_text("申请调解")
    mediator.page.get_by_role("button", name="认领此案").click()
    section = mediator.page.locator("#form-fail")
    section.locator("summary").click()
    section.get_by_label("调解未成的原因").fill("商家始终未答复，也不参加调解")
    section.get_by_role("button", name="记录调解未成").click()
    expect(mediator.page.locator(".status").first).to_have_text("已移交监管部门")
    mediator.check("referred")

    regulator = open_tab("regulator")
    regulator.login("regulator-hangzhou")
    regulator.go("/regulator/referrals")
    # The statutory clock runs from the referral: 15 working days to check and decide.
    expect(regulator.page.get_by_role("row", name=re.compile(title))).to_contain_text("截止")
    open_case_from(regulator, "/regulator/referrals", title)
    regulator.check("referral")
    with regulator.page.expect_download() as download:
        regulator.page.get_by_role("link", name="下载案件材料（PDF）").click()
    dossier = artifacts / "b-referral-dossier.pdf"
    download.value.save_as(dossier)
    text = pdf_text(dossier)
    for expected in ("移交市场监管部门", "李文博", "杭州西湖年货食品有限公司", "商家始终未答复"):
        assert expected in text, f"{expected} missing from the dossier text"
    chengdu = open_tab("chengdu")
    chengdu.login("regulator-chengdu")
    chengdu.check("referrals")
    expect(chengdu.page.get_by_text("定制窗帘尺寸错误")).to_be_visible()
    expect(chengdu.page.get_by_text(title)).to_have_count(0)


def test_c_a_consumer_cannot_open_another_consumers_case_by_its_address(open_tab: Any) -> None:
    alice = open_tab("alice")
    alice.login("alice")
    alice.go("/cases")
    href = alice.page.locator("table.cases a").first.get_attribute("href")
    assert href is not None
    bob = open_tab("bob")
    bob.login("bob")
    response = bob.page.goto(bob.base + href)
    assert response is not None
    assert response.status == 404
    expect(bob.page.get_by_role("heading", name="找不到该页面")).to_be_visible()
    bob.check("not-found")


def test_e_the_pages_switch_to_english_and_back(open_tab: Any) -> None:
    visitor = open_tab("visitor", width=375)
    visitor.go("/")
    visitor.check("home-zh")
    visitor.page.get_by_role("link", name="English").click()
    expect(visitor.page.locator("html")).to_have_attribute("lang", "en")
    expect(visitor.page.get_by_role("link", name="Rights guide", exact=True)).to_be_visible()
    visitor.check("home-en")
    visitor.go("/rights?q=退货")
    visitor.check("rights-en")
    visitor.go("/login")
    visitor.page.get_by_label("Username").fill("alice")
    visitor.page.get_by_label("Password").fill("wrong password")
    visitor.page.get_by_role("button", name="Sign in").click()
    expect(visitor.page.get_by_text("Wrong username or password")).to_be_visible()
    visitor.check("login-error-en")
    visitor.page.get_by_label("Password").fill(DEMO_PASSWORD)
    visitor.page.get_by_role("button", name="Sign in").click()
    expect(visitor.page.get_by_role("heading", name="My complaints")).to_be_visible()
    visitor.check("cases-en")
    visitor.page.locator("table.cases a").first.click()
    expect(visitor.page.get_by_role("heading", name="Timeline")).to_be_visible()
    visitor.check("case-en")
    visitor.go("/complaints/new")
    expect(visitor.page.get_by_text("Step 1: what happened")).to_be_visible()
    visitor.check("wizard-en")
    visitor.go("/merchants")
    visitor.page.get_by_role("link", name="北京京东方数码科技有限公司").click()
    expect(visitor.page.get_by_role("heading", name="Credit grade")).to_be_visible()
    expect(visitor.page.get_by_role("heading", name="Consumer reviews")).to_be_visible()
    visitor.check("merchant-en")
    visitor.go("/login")
    visitor.page.get_by_role("link", name="中文").click()
    expect(visitor.page.locator("html")).to_have_attribute("lang", "zh-CN")
    visitor.check("login-zh")


def test_f_a_hotline_operator_records_a_callers_complaint_in_one_form(open_tab: Any) -> None:
    operator = open_tab("operator")
    operator.login("operator")
    expect(operator.page.get_by_role("heading", name="热线受理：记录来电人的投诉")).to_be_visible()
    page = operator.page
    page.get_by_label("来电人姓名 *").fill("赵大妈")
    page.get_by_label("来电人电话 *").fill("13912345678")
    page.get_by_label("问题类型 *").select_option(label="延迟发货/送达")
    page.get_by_label("一句话概括 *").fill("年货礼盒下单两周未发货")
    page.get_by_label("详细经过 *").fill("两周前下单的年货礼盒一直没有发货，客服不回复。")
    page.get_by_label("被投诉的店铺 *").select_option(label="西湖年货坊（拼多多）")
    page.get_by_label("诉求 *").select_option(label="退款")
    page.get_by_label("要求的金额（元，赔偿必填）").fill("168")
    operator.check("intake")
    page.get_by_role("button", name="下一步：核对").click()
    expect(page.get_by_text("139****5678")).to_be_visible()  # the caller's phone, masked
    operator.check("review")
    page.get_by_role("button", name="确认提交").click()
    expect(page.get_by_role("heading", name="投诉已受理")).to_be_visible()
    operator.check("filed")


def test_g_every_public_page_and_my_data_pass_the_same_checks(open_tab: Any) -> None:
    alice = open_tab("alice", width=375)
    alice.login("alice")
    for path, name in (
        ("/", "home"),
        ("/rights", "rights"),
        ("/merchants", "merchants"),
        ("/verify", "verify"),
        ("/account/data", "my-data"),
    ):
        alice.go(path)
        alice.check(name)
    alice.go("/merchants")
    alice.page.get_by_role("link", name="北京京东方数码科技有限公司").click()
    expect(alice.page.get_by_text("京东方数码旗舰店")).to_be_visible()
    alice.check("merchant")
    with alice.page.expect_download() as download:
        alice.go("/account/data")
        alice.page.get_by_role("link", name="导出我的数据（JSON）").click()
    assert '"username": "alice"' in Path(download.value.path()).read_text(encoding="utf-8")


def test_h_without_javascript_the_forms_still_work_by_plain_posts(
    open_tab: Any, tmp_path: Path
) -> None:
    shop = open_tab("shop-nojs", javascript=False)
    shop.login("shop-beijing")
    shop.go("/merchant/inbox")
    shop.page.locator("table.cases a").first.click()
    case_path = shop.page.url
    reply = shop.page.locator("#form-reply")
    reply.locator("summary").click()
    reply.get_by_role("button", name="发送答复").click()
    # The error is shown beside the field, on a whole page this time.
    expect(shop.page.locator("#form-reply .field-error")).to_be_visible()
    expect(shop.page.locator("#form-reply textarea")).to_have_attribute("aria-invalid", "true")
    shop.check("reply-error")
    shop.page.locator("#form-reply textarea").fill("您好，已安排专人处理，明天给您答复。")
    shop.page.locator("#form-reply").get_by_role("button", name="发送答复").click()
    assert shop.page.url == case_path  # post, redirect, get
    expect(shop.page.locator(".timeline")).to_contain_text("已安排专人处理")
    shop.check("replied")
    panel = shop.page.locator("#evidence")
    panel.locator("summary", has_text="提交证据").click()
    panel.get_by_role("button", name="上传证据").click()
    expect(shop.page.locator("#evidence .field-error")).to_have_text("请选择要上传的文件")
    shop.check("evidence-error")
    receipt = tmp_path / "发货单.txt"
    receipt.write_text("顺丰 SF1234567890 已于 11 月 21 日发出", encoding="utf-8")
    panel = shop.page.locator("#evidence")
    panel.get_by_label("文件", exact=True).set_input_files(receipt)
    panel.get_by_label("说明（这份证据证明什么）").fill("发货凭证")
    panel.get_by_role("button", name="上传证据").click()
    expect(shop.page.locator("#evidence")).to_contain_text("发货单.txt")
    shop.check("evidence-uploaded")


def test_d_a_chat_log_that_cannot_be_read_is_refused_in_the_wizard_and_nothing_is_filed(
    open_tab: Any, tmp_path: Path
) -> None:
    title = "无法读取的聊天记录不应提交"
    alice = open_tab("alice-nojs", javascript=False)
    alice.login("alice")
    alice.go("/complaints/new")
    page = alice.page
    page.get_by_label("问题类型 *").select_option(label="商品质量")
    page.get_by_label("一句话概括 *").fill(title)
    broken = tmp_path / "chat.txt"
    broken.write_text(BROKEN_CHAT_LOG, encoding="utf-8")
    stage_evidence(alice, broken, "这是聊天记录导出（文本或 JSON）")
    # Without JavaScript the whole form comes back, as typed, with the refusal at the file.
    expect(page.locator("#evidence_file-error")).to_be_visible()
    expect(page.get_by_label("一句话概括 *")).to_have_value(title)
    expect(page.locator("#staged-evidence li")).to_have_count(0)
    alice.check("wizard-evidence-refused")
    note = tmp_path / "note.txt"
    note.write_text("商品照片稍后补充", encoding="utf-8")
    page.get_by_label("选择文件").set_input_files(note)
    page.get_by_label("普通文件（截图、照片、票据等）").check()
    page.get_by_label("详细经过 *").fill("收到的商品与描述不符。")
    page.get_by_label("被投诉的店铺 *").select_option(index=1)
    page.get_by_label("诉求 *").select_option(label="退款")
    # A file chosen but not yet added is added on the way to the review, not dropped.
    page.get_by_role("button", name="下一步：核对").click()
    expect(page.locator("#staged-evidence")).to_contain_text("note.txt")
    page.get_by_role("button", name="移除 note.txt").click()
    # Removing a file on the review page comes back to the review, now without it.
    expect(page.get_by_role("heading", name="第 5 步：核对后提交")).to_be_visible()
    expect(page.locator("#staged-evidence")).to_have_count(0)
    alice.check("review-evidence-removed")
    alice.go("/cases")
    expect(page.get_by_text(title)).to_have_count(0)
