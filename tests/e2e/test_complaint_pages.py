"""The complaint wizard over HTTP: review and submit check the same rules, nothing is dropped."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.e2e.pages import english, post_form, sign_in
from tests.support.world import World
from weiquan.adapters.db import tables as t
from weiquan.services import cases
from weiquan.services.context import Services


def _form(world: World, **overrides: str) -> dict[str, str]:
    return {
        "category": "quality",
        "title": "耳机右耳无声",
        "description": "收到的耳机右耳没有声音。",
        "shop_id": world.shop_a,
        "claim_kind": "refund",
        "claim_amount": "299",
        **overrides,
    }


def _case_count(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(t.cases)).scalar_one())


def test_a_signed_date_typed_alone_reaches_the_filed_case(
    client: TestClient, world: World, services: Services
) -> None:
    sign_in(client, world, "alice")
    form = _form(world, signed_on="2026-11-20")
    review = post_form(client, "/complaints/new", "/complaints/new", step="review", **form)
    assert review.status_code == 200, review.text
    filed = post_form(client, "/complaints/new", "/complaints/new", step="submit", **form)
    assert filed.status_code == 303, filed.text
    case_id = filed.headers["location"].rsplit("/", 1)[-1]
    case, _ = cases.get_case(services, case_id, principal=world.alice)
    assert case.order is not None
    assert case.order.signed_at is not None
    assert case.order.signed_at.date().isoformat() == "2026-11-20"


def test_a_future_order_date_is_refused_at_review_and_at_submit_and_nothing_is_filed(
    client: TestClient, world: World, engine: sa.Engine
) -> None:
    sign_in(client, world, "alice")
    form = _form(world, order_no="JD1", ordered_on="2026-12-20")
    for step in ("review", "submit"):
        answer = post_form(client, "/complaints/new", "/complaints/new", step=step, **form)
        assert answer.status_code == 422, step
        assert "这个日期还没到" in answer.text
    assert _case_count(engine) == 0


def test_a_wrong_form_on_an_english_page_has_no_chinese_error_and_no_field_names(
    client: TestClient, world: World
) -> None:
    sign_in(client, world, "alice")
    english(client)
    form = _form(world, amount="-5", claim_amount="1e20", noticed_on="2026-12-20")
    answer = post_form(client, "/complaints/new", "/complaints/new", step="review", **form)
    assert answer.status_code == 422
    assert "The amount cannot be negative" in answer.text
    assert "This amount cannot be read" in answer.text
    assert "This date has not come yet" in answer.text
    for leak in ("knew_of_harm_at", "today", "无法识别", "负数", "还没到"):
        assert leak not in answer.text, leak
