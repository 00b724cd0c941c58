"""Pages speak one language and no Python: errors, timeline reasons and the legal panel."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.e2e.pages import csrf_of, english, sign_in
from tests.support.world import NOW, World, complaint
from weiquan.domain.errors import ValidationFailed
from weiquan.domain.lifecycle import Action
from weiquan.services import cases
from weiquan.services.commands import CaseCommand
from weiquan.services.context import Services
from weiquan.web.i18n import set_locale
from weiquan.web.messages import page_message

CJK = re.compile(r"[\u3400-\u9fff]")


def _section(page: str, title_id: str) -> str:
    match = re.search(rf'<section[^>]*aria-labelledby="{title_id}".*?</section>', page, re.S)
    assert match, title_id
    return match.group(0)


@pytest.mark.parametrize(
    ("locale", "shown"), [("zh_CN", "文件是空的"), ("en", "the file is empty")]
)
def test_a_chinese_english_pair_from_the_domain_shows_only_the_pages_half(
    locale: str, shown: str
) -> None:
    set_locale(locale)
    try:
        assert page_message(ValidationFailed("文件是空的 / the file is empty")) == shown
    finally:
        set_locale("zh_CN")


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_a_file_that_is_no_image_sent_to_ocr_is_refused_in_words_without_python(
    client: TestClient, world: World, lang: str
) -> None:
    sign_in(client, world, "alice")
    if lang == "en":
        english(client)
    answer = client.post(
        "/complaints/new",
        data={"csrf": csrf_of(client, "/complaints/new"), "step": "ocr"},
        files={"screenshot": ("order.png", b"this is not an image at all", "image/png")},
    )
    assert answer.status_code == 422
    for leak in ("BytesIO", "cannot identify", "<_io", "0x"):
        assert leak not in answer.text
    expected = "无法识别的图片" if lang == "zh_CN" else "This is not an image we can read"
    assert expected in answer.text


def test_the_timeline_of_an_english_page_has_no_chinese_the_platform_wrote(
    client: TestClient, world: World, services: Services
) -> None:
    case, _ = cases.file_complaint(
        services, complaint(world.shop_a), principal=world.alice, now=NOW
    )
    cmd = CaseCommand(case_id=case.id, action=Action.ESCALATE, reason="No answer from the shop")
    cases.act(services, cmd, principal=world.alice, now=NOW)
    sign_in(client, world, "alice")
    english(client)
    timeline = _section(client.get(f"/cases/{case.id}").text, "timeline-title")
    assert "The consumer filed the complaint" in timeline
    assert not CJK.search(timeline), CJK.findall(timeline)
