"""The trust API end to end: reports and the reporter's anonymity, grades, reviews and appeals,
vetting, merchant disputes and pledges."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from PIL import Image
from typer.testing import CliRunner

from tests.e2e.conftest import Api
from tests.e2e.conftest import test_settings as settings_for
from tests.support.world import NOW, PASSWORD, World
from weiquan.bootstrap import App
from weiquan.cli.main import app as main_app
from weiquan.cli.trust_commands import trust_app
from weiquan.domain.accounts import Role
from weiquan.services import accounts
from weiquan.services.context import Services
from weiquan.web import api_trust
from weiquan.web.app import create_app


@pytest.fixture
def client(database_url: str, engine: sa.Engine, services: Services) -> Iterator[TestClient]:
    app = create_app(App(settings_for(database_url), engine, services), clock=lambda: NOW)
    app.include_router(api_trust.router)
    with TestClient(app) as test_client:
        yield test_client


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def upload(api: Api, colour: str, who: str | None = None) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), colour).save(buffer, format="PNG")
    headers = api.headers(who) if who else {}
    files = {"file": ("photo.png", buffer.getvalue(), "image/png")}
    return str(
        ok(api.client.post("/api/v1/trust-evidence", headers=headers, files=files), 201)["id"]
    )


def file_and_close_case(api: Api) -> str:
    c = api.client
    case = ok(
        c.post(
            "/api/v1/cases",
            headers=api.headers("alice"),
            json={
                "shop_id": api.world.shop_a,
                "category": "quality",
                "title": "耳机无声",
                "description": "右耳无声",
                "claims": [{"kind": "refund", "amount_fen": 29900}],
            },
        ),
        201,
    )
    cid = case["id"]
    offer = ok(
        c.post(
            f"/api/v1/cases/{cid}/offer",
            headers=api.headers("merchant_a"),
            json={
                "text": "全额退款",
                "terms": [{"kind": "refund", "amount_fen": 29900}],
            },
        )
    )
    offer_id = offer["offers"][-1]["id"]
    ok(
        c.post(
            f"/api/v1/cases/{cid}/accept", headers=api.headers("alice"), json={"offer_id": offer_id}
        )
    )
    ok(c.post(f"/api/v1/cases/{cid}/confirm-fulfilment", headers=api.headers("alice"), json={}))
    ok(
        c.post(
            f"/api/v1/cases/{cid}/close", headers=api.headers("alice"), json={"reason": "已退款"}
        )
    )
    return str(cid)


def test_a_reporters_identity_never_reaches_the_merchant(api: Api, world: World) -> None:
    c = api.client
    photo = upload(api, "red", "alice")
    receipt = ok(
        c.post(
            "/api/v1/reports",
            headers=api.headers("alice"),
            json={
                "merchant_id": world.merchant_a_id,
                "violation": "counterfeit",
                "description": "旗舰店销售假冒耳机",
                "evidence": [photo],
                "contact": "13912345678",
            },
        ),
        201,
    )
    rid = receipt["id"]
    assert receipt["decision_due_at"]
    staff = api.headers("mediator")
    ok(c.post(f"/api/v1/reports/{rid}/extend", headers=staff, json={"reason": "需要抽检"}))
    ok(
        c.post(
            f"/api/v1/reports/{rid}/decision",
            headers=staff,
            json={"finding": "substantiated", "reason": "抽检确认为假冒"},
        )
    )
    ok(
        c.post(
            f"/api/v1/reports/{rid}/notify",
            headers=staff,
            json={"message": "alice 您好，举报属实，已处理"},
        )
    )
    merchant = api.headers("merchant_a")
    responses = [
        c.get("/api/v1/reports", headers=merchant),
        c.get(f"/api/v1/reports/{rid}", headers=merchant),
        c.get(f"/api/v1/reports/{rid}/evidence/{photo}", headers=merchant),
        c.get("/api/v1/reports/export", headers=merchant),
        c.get(f"/api/v1/merchants/{world.merchant_a_id}/grade", headers=merchant),
        c.get(f"/api/v1/merchants/{world.merchant_a_id}/reviews", headers=merchant),
    ]
    secrets = [world.alice.user_id, "alice", "13912345678", photo]
    for response in responses:
        assert response.status_code in (200, 404), response.text
        body = json.dumps(response.json(), ensure_ascii=False)
        for secret in secrets:
            assert secret not in body, (response.url, secret)
    assert [r.status_code for r in responses] == [200, 200, 404, 200, 200, 200]
    assert rid in json.dumps([responses[i].json() for i in (0, 1, 3)])
    # The deciding staff do see who reported, to reply to them.
    assert ok(c.get(f"/api/v1/reports/{rid}", headers=staff))["reporter_id"] == world.alice.user_id


def test_an_anonymous_report_needs_no_account(api: Api, world: World) -> None:
    photo = upload(api, "yellow")  # no account, no token
    receipt = ok(
        api.client.post(
            "/api/v1/reports",
            json={
                "merchant_id": world.merchant_b_id,
                "violation": "fake_reviews",
                "description": "店铺雇人刷好评",
                "evidence": [photo],
            },
        ),
        201,
    )
    assert receipt["anonymous"] is True
    listed = ok(api.client.get("/api/v1/reports", headers=api.headers("admin")))
    assert listed[0]["reporter_id"] is None
    assert listed[0]["evidence"] == [photo]


def test_the_grade_page_explains_itself_and_moves_when_a_case_closes(
    api: Api, world: World
) -> None:
    url = f"/api/v1/merchants/{world.merchant_a_id}/grade"
    before = ok(api.client.get(url))
    assert before["grade_label"] == "谨慎下单"
    assert before["history"] == []
    file_and_close_case(api)
    after = ok(api.client.get(url))
    assert after["closed_cases"] == 1
    assert len(after["components"]) == 6
    assert after["why"]
    assert after["history"][0]["trigger"] == "case"
    assert after["score"] > before["score"]


def test_review_appeal_end_to_end(api: Api, world: World) -> None:
    c = api.client
    cid = file_and_close_case(api)
    review = ok(
        c.post(
            "/api/v1/reviews",
            headers=api.headers("alice"),
            json={
                "merchant_id": world.merchant_a_id,
                "stars": 1,
                "text": "垃圾店铺，骗子，滚",
                "case_id": cid,
            },
        ),
        201,
    )
    assert review["civility"]["flag"] is True
    rid = review["id"]
    ok(
        c.post(
            f"/api/v1/reviews/{rid}/appeal",
            headers=api.headers("merchant_a"),
            json={"ground": "abusive", "statement": "评价仅为辱骂"},
        )
    )
    queue = ok(c.get("/api/v1/reviews/appeals", headers=api.headers("mediator")))
    assert [item["id"] for item in queue] == [rid]
    assert queue[0]["civility"]["flag"] is True  # a signal for the mediator, not a verdict
    assert (
        c.post(
            f"/api/v1/reviews/{rid}/decision",
            headers=api.headers("merchant_a"),
            json={"uphold": True, "reason": "自己判"},
        ).status_code
        == 403
    )
    ok(
        c.post(
            f"/api/v1/reviews/{rid}/decision",
            headers=api.headers("mediator"),
            json={"uphold": True, "reason": "内容为辱骂，未涉及商品或服务"},
        )
    )
    [public] = ok(c.get(f"/api/v1/merchants/{world.merchant_a_id}/reviews"))
    assert public["text"] is None
    assert "侮辱谩骂" in public["notice"]
    assert "垃圾店铺" not in json.dumps(public, ensure_ascii=False)
    mine = ok(c.get(f"/api/v1/reviews/{rid}", headers=api.headers("alice")))
    assert mine["original_text"] == "垃圾店铺，骗子，滚"


def test_merchant_vetting_over_the_api(api: Api, world: World) -> None:
    c = api.client
    png = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(png, format="PNG")
    uploaded = ok(
        c.post(
            "/api/v1/merchants/me/vetting/licence",
            headers=api.headers("merchant_a"),
            files={"file": ("licence.png", png.getvalue(), "image/png")},
        ),
        201,
    )
    applied = ok(
        c.post(
            "/api/v1/merchants/me/vetting",
            headers=api.headers("merchant_a"),
            json={
                "legal_name": "北京数码有限公司",
                "uscc": "91110108551385082A",
                "region_code": "110108",
                "licence_evidence": uploaded["id"],
                "contact_phone": "13800001111",
            },
        ),
        201,
    )
    assert applied["uscc_check"] == "checksum_warning"
    assert applied["warnings"]
    refused = c.post(
        f"/api/v1/merchants/{world.merchant_a_id}/vetting/approve",
        headers=api.headers("mediator"),
        json={"reason": "ok"},
    )
    assert refused.status_code == 409  # the contact phone is not verified yet
    code = ok(
        c.post(
            f"/api/v1/merchants/{world.merchant_a_id}/vetting/contact-code",
            headers=api.headers("mediator"),
        )
    )["code"]
    ok(
        c.post(
            "/api/v1/merchants/me/vetting/verify-contact",
            headers=api.headers("merchant_a"),
            json={"code": code},
        )
    )
    approved = ok(
        c.post(
            f"/api/v1/merchants/{world.merchant_a_id}/vetting/approve",
            headers=api.headers("mediator"),
            json={"reason": "已核对执照原件"},
        )
    )
    assert approved["status"] == "approved"
    assert approved["reverify_due_at"] is None
    assert "2027" in approved["clock_note"]
    grade = ok(c.get(f"/api/v1/merchants/{world.merchant_a_id}/grade"))
    assert grade["vetting_status"] == "approved"
    assert (
        c.get(
            f"/api/v1/merchants/{world.merchant_a_id}/vetting", headers=api.headers("merchant_b")
        ).status_code
        == 404
    )


def test_a_merchant_dispute_hears_both_sides(api: Api, world: World) -> None:
    c = api.client
    video = upload(api, "green", "alice")
    cid = file_and_close_case(api)
    dispute = ok(
        c.post(
            "/api/v1/merchant-disputes",
            headers=api.headers("merchant_a"),
            json={
                "case_id": cid,
                "kind": "fake_return",
                "text": "退回的耳机序列号不同",
                "evidence": [upload(api, "blue", "merchant_a")],
            },
        ),
        201,
    )
    did = dispute["id"]
    ok(
        c.post(
            f"/api/v1/merchant-disputes/{did}/statements",
            headers=api.headers("alice"),
            json={"text": "我寄回的就是收到的那副", "evidence": [video]},
        )
    )
    ok(c.post(f"/api/v1/merchant-disputes/{did}/assign", headers=api.headers("mediator")))
    decided = ok(
        c.post(
            f"/api/v1/merchant-disputes/{did}/decision",
            headers=api.headers("mediator"),
            json={"finding": "for_consumer", "reason": "序列号记录不完整"},
        )
    )
    assert decided["status"] == "decided"
    assert [s["party"] for s in decided["statements"]] == ["merchant", "consumer"]
    assert "civility" in decided["statements"][0]
    shared = c.get(
        f"/api/v1/merchant-disputes/{did}/evidence/{video}", headers=api.headers("merchant_a")
    )
    assert shared.status_code == 200  # each side sees what the other offered
    assert shared.content.startswith(b"\x89PNG")
    assert c.get(f"/api/v1/merchant-disputes/{did}", headers=api.headers("bob")).status_code == 404


def test_pledges_are_published_joined_and_measured(api: Api, world: World) -> None:
    c = api.client
    pledge = ok(
        c.post(
            "/api/v1/pledges",
            headers=api.headers("admin"),
            json={
                "body_name": "中国电子商务协会",
                "title": "24 小时答复承诺",
                "terms": [{"kind": "reply_within_hours", "value": 24}],
            },
        ),
        201,
    )
    ok(c.post(f"/api/v1/pledges/{pledge['id']}/join", headers=api.headers("merchant_a")))
    file_and_close_case(api)
    [listed] = ok(c.get("/api/v1/pledges"))
    [member] = listed["members"]
    assert (member["checks"], member["kept"], member["keeping_rate"]) == (1, 1, 1.0)
    grade = ok(c.get(f"/api/v1/merchants/{world.merchant_a_id}/grade"))
    assert grade["pledges"][0]["title"] == "24 小时答复承诺"


def test_mediators_see_review_bursts_and_copy_paste_reviews_as_signals(
    api: Api, world: World, services: Services
) -> None:
    accounts.create_user(
        services,
        username="carol",
        password=PASSWORD,
        display_name="carol",
        role=Role.CONSUMER,
        now=NOW,
    )
    token = ok(
        api.client.post("/api/v1/auth/token", json={"username": "carol", "password": PASSWORD})
    )
    carol = {"Authorization": f"Bearer {token['access_token']}"}
    text = "好评！质量非常好，物流很快，客服态度好，下次还来买，强烈推荐给大家！"
    for who in ("alice", "bob", "carol", "alice", "bob", "carol"):
        headers = carol if who == "carol" else api.headers(who)
        ok(
            api.client.post(
                "/api/v1/reviews",
                headers=headers,
                json={
                    "merchant_id": world.merchant_b_id,
                    "stars": 5,
                    "text": text,
                    "order_no": "TB1",
                },
            ),
            201,
        )
    url = f"/api/v1/merchants/{world.merchant_b_id}/review-signals"
    assert api.client.get(url, headers=api.headers("merchant_b")).status_code == 403
    signals = ok(api.client.get(url, headers=api.headers("mediator")))
    kinds = {signal["kind"] for signal in signals}
    assert kinds == {"review_burst", "copy_paste_campaign"}
    assert all(signal["reason"] and len(signal["review_ids"]) == 6 for signal in signals)


def test_the_grade_command_prints_the_score_and_its_reasons(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path}/cli.db"
    monkeypatch.setenv("WEIQUAN_DATABASE_URL", url)
    monkeypatch.setenv("WEIQUAN_ENV", "development")
    monkeypatch.chdir(tmp_path)
    assert CliRunner().invoke(main_app, ["db", "upgrade"]).exit_code == 0
    assert CliRunner().invoke(main_app, ["demo"]).exit_code == 0
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        merchant_id = conn.execute(sa.text("SELECT id FROM merchants LIMIT 1")).scalar_one()
    engine.dispose()
    runner = CliRunner()
    assert runner.invoke(trust_app, ["recount"]).exit_code == 0
    result = runner.invoke(trust_app, ["grade", merchant_id, "--json"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert shown["grade_label"] in {"建议下单", "谨慎下单", "不建议下单"}
    assert len(shown["why"]) >= 6
    assert runner.invoke(trust_app, ["grade", "no-such-merchant"]).exit_code == 3
