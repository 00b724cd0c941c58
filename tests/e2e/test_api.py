"""The JSON API end to end over HTTP: a whole case, authorisation and every kind of bad input."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.e2e.conftest import Api
from tests.support.world import World
from weiquan.adapters.db import tables as t
from weiquan.bootstrap import build
from weiquan.config import Environment, Settings
from weiquan.web.app import create_app


def complaint_body(world: World, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "shop_id": world.shop_a,
        "category": "quality",
        "title": "耳机右耳无声",
        "description": "收到的耳机右耳没有声音。",
        "claims": [{"kind": "refund", "amount_fen": 29900}],
        "order": {
            "platform": "京东",
            "order_no": "JD1",
            "amount_paid_fen": 29900,
            "signed_at": "2026-11-20T15:00:00+08:00",
        },
    }
    body.update(overrides)
    return body


def count_rows(engine: sa.Engine, table: sa.Table) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def test_health_reports_the_database_ok_and_a_missing_worker_as_degraded(
    client: TestClient,
) -> None:
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "degraded"
    assert response.json()["database"] == "ok"
    assert response.json()["worker"]["status"] == "unhealthy"


def test_health_is_degraded_with_503_when_the_database_is_unreachable() -> None:
    settings = Settings(
        env=Environment.TEST,
        database_url="postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=1",
    )
    with TestClient(create_app(build(settings))) as client:
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "degraded",
        "database": "unreachable",
        "version": response.json()["version"],
        "reasons": ["the database is unreachable"],
    }


def test_the_openapi_document_describes_the_lifecycle(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "/api/v1/cases" in paths
    assert "/api/v1/cases/{case_id}/{action}" in paths


def test_a_wrong_password_gets_401_and_no_token(client: TestClient, world: World) -> None:
    response = client.post("/api/v1/auth/token", json={"username": "alice", "password": "nope"})
    assert response.status_code == 401
    assert "密码" in response.json()["message"]


def test_requests_without_a_token_get_401(client: TestClient) -> None:
    assert client.get("/api/v1/cases").status_code == 401
    bad = client.get("/api/v1/cases", headers={"Authorization": "Bearer wq_forged"})
    assert bad.status_code == 401


def test_a_case_goes_from_complaint_to_closed_over_http(api: Api, world: World) -> None:
    c = api.client
    created = c.post("/api/v1/cases", json=complaint_body(world), headers=api.headers("alice"))
    assert created.status_code == 201, created.text
    case = created.json()
    assert case["status"] == "negotiation"
    # Wed 25 Nov + 3 working days = Mon 30 Nov, ending at 24:00 Beijing time.
    assert case["deadlines"]["reply_due_at"] == "2026-12-01T00:00:00+08:00"
    cid = case["id"]

    def act(who: str, action: str, **body: Any) -> dict[str, Any]:
        response = c.post(f"/api/v1/cases/{cid}/{action}", json=body, headers=api.headers(who))
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    act("merchant_a", "reply", text="您好，正在核实")
    offer = act(
        "merchant_a", "offer", text="退款 100 元", terms=[{"kind": "refund", "amount_fen": 10000}]
    )["offers"][-1]
    assert (
        act("alice", "reject", offer_id=offer["id"], reason="应全额退款")["status"] == "mediation"
    )
    act("mediator", "assign")
    proposal = act(
        "mediator", "propose", text="退款 200 元", terms=[{"kind": "refund", "amount_fen": 20000}]
    )["offers"][-1]
    act("alice", "accept", offer_id=proposal["id"])
    agreed = act("merchant_a", "accept", offer_id=proposal["id"])
    assert agreed["status"] == "agreement"
    assert act("alice", "confirm-fulfilment")["status"] == "fulfilled"
    assert act("alice", "close", reason="已收到退款")["status"] == "closed"
    assert act("alice", "rate", stars=4, text="调解员很耐心")["rating"] == 4
    history = c.get(f"/api/v1/cases/{cid}/events", headers=api.headers("merchant_a")).json()
    assert [e["action"] for e in history][:3] == ["submit", "admit", "reply"]
    assert all(e["reason"] for e in history)


def test_a_mediator_records_failure_and_refers_the_case(api: Api, world: World) -> None:
    c = api.client
    cid = c.post(
        "/api/v1/cases",
        json=complaint_body(world, shop_id=world.shop_b),
        headers=api.headers("alice"),
    ).json()["id"]
    for who, action, body in [
        ("alice", "escalate", {"reason": "商家拒绝"}),
        ("mediator", "assign", {}),
        (
            "mediator",
            "record-outcome",
            {"outcome": "failed", "reason": "商家拒绝调解", "refer": True},
        ),
    ]:
        response = c.post(f"/api/v1/cases/{cid}/{action}", json=body, headers=api.headers(who))
        assert response.status_code == 200, response.text
    seen = c.get("/api/v1/cases", headers=api.headers("regulator_chengdu")).json()
    assert [item["id"] for item in seen["items"]] == [cid]
    assert seen["items"][0]["status"] == "referred"


def test_a_retried_post_with_an_idempotency_key_makes_one_case(
    api: Api, world: World, engine: sa.Engine
) -> None:
    headers = {**api.headers("alice"), "Idempotency-Key": "submit-7f3a"}
    first = api.client.post("/api/v1/cases", json=complaint_body(world), headers=headers)
    second = api.client.post("/api/v1/cases", json=complaint_body(world), headers=headers)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert count_rows(engine, t.cases) == 1
    other = api.client.post(
        "/api/v1/cases", json=complaint_body(world, title="别的"), headers=headers
    )
    assert other.status_code == 409


def test_another_consumer_gets_404_for_alices_case(api: Api, world: World) -> None:
    cid = api.client.post(
        "/api/v1/cases", json=complaint_body(world), headers=api.headers("alice")
    ).json()["id"]
    for path in (f"/api/v1/cases/{cid}", f"/api/v1/cases/{cid}/events"):
        assert api.client.get(path, headers=api.headers("bob")).status_code == 404
    withdraw = api.client.post(
        f"/api/v1/cases/{cid}/withdraw", json={"reason": "x"}, headers=api.headers("bob")
    )
    assert withdraw.status_code == 404


def test_an_illegal_transition_is_409_with_a_readable_message(api: Api, world: World) -> None:
    cid = api.client.post(
        "/api/v1/cases", json=complaint_body(world), headers=api.headers("alice")
    ).json()["id"]
    response = api.client.post(
        f"/api/v1/cases/{cid}/confirm-fulfilment", json={}, headers=api.headers("alice")
    )
    assert response.status_code == 409
    assert response.json()["error"] == "illegal_transition"
    assert "协商中" in response.json()["message"]


BAD_BODIES: list[tuple[str, dict[str, Any], str]] = [
    ("amount zero", {"claims": [{"kind": "refund", "amount_fen": 0}]}, "claims.0.amount_fen"),
    (
        "amount negative",
        {"claims": [{"kind": "refund", "amount_fen": -100}]},
        "claims.0.amount_fen",
    ),
    (
        "amount absurd",
        {"claims": [{"kind": "refund", "amount_fen": 10**13}]},
        "claims.0.amount_fen",
    ),
    (
        "amount as text",
        {"claims": [{"kind": "refund", "amount_fen": "299"}]},
        "claims.0.amount_fen",
    ),
    (
        "amount as float",
        {"claims": [{"kind": "refund", "amount_fen": 299.5}]},
        "claims.0.amount_fen",
    ),
    ("no claims", {"claims": []}, "claims"),
    ("unknown claim kind", {"claims": [{"kind": "lottery"}]}, "claims.0.kind"),
    ("compensation without amount", {"claims": [{"kind": "compensation"}]}, "claims.amount_fen"),
    ("unknown category", {"category": "vibes"}, "category"),
    ("title too long", {"title": "长" * 121}, "title"),
    ("description too long", {"description": "字" * 5001}, "description"),
    ("empty title", {"title": "   "}, "title"),
    ("unknown field", {"favourite_colour": "red"}, "favourite_colour"),
    ("naive datetime", {"order": {"signed_at": "2026-11-20T15:00:00"}}, "order.signed_at"),
    (
        "signed before ordered",
        {
            "order": {
                "ordered_at": "2026-11-20T15:00:00+08:00",
                "signed_at": "2026-11-19T15:00:00+08:00",
            }
        },
        "order.signed_at",
    ),
    ("harm noticed in the future", {"noticed_on": "2026-12-31"}, "noticed_on"),
    ("impossible date", {"noticed_on": "2026-02-30"}, "noticed_on"),
    ("unknown shop", {"shop_id": "00000000-0000-0000-0000-000000000000"}, "shop_id"),
    ("control characters", {"description": "坏\x00字"}, "description"),
    ("wrong type for submit", {"submit": "yes"}, "submit"),
]


@pytest.mark.parametrize(
    ("label", "overrides", "field"), BAD_BODIES, ids=[b[0] for b in BAD_BODIES]
)
def test_bad_input_is_refused_with_a_message_naming_the_field_and_nothing_is_written(
    api: Api, world: World, engine: sa.Engine, label: str, overrides: dict[str, Any], field: str
) -> None:
    response = api.client.post(
        "/api/v1/cases", json=complaint_body(world, **overrides), headers=api.headers("alice")
    )
    assert 400 <= response.status_code < 500, (label, response.status_code, response.text)
    body = response.json()
    assert body["field"] == field, body
    assert body["message"]
    assert count_rows(engine, t.cases) == 0
    assert count_rows(engine, t.case_events) == 0


def test_malformed_json_is_a_422_not_a_500(api: Api, engine: sa.Engine) -> None:
    response = api.client.post(
        "/api/v1/cases",
        content=b'{"title": "x",',
        headers={**api.headers("alice"), "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["field"] == "body"
    assert count_rows(engine, t.cases) == 0


def test_a_deadline_beyond_the_calendar_is_refused_with_422(client: TestClient) -> None:
    response = client.get(
        "/api/v1/calendar/deadline", params={"start": "2027-03-01", "working_days": 3}
    )
    assert response.status_code == 422
    assert response.json()["error"] == "calendar_out_of_range"
    assert "2027" in response.json()["message"]


def test_the_deadline_endpoint_counts_across_the_spring_festival(client: TestClient) -> None:
    response = client.get(
        "/api/v1/calendar/deadline", params={"start": "2026-02-12", "working_days": 3}
    )
    assert response.json()["due_date"] == "2026-02-24"


def test_my_account_shows_the_phone_masked(api: Api) -> None:
    me = api.client.get("/api/v1/me", headers=api.headers("alice")).json()
    assert me["phone"] == "139****5678"


def test_unknown_actions_are_404_not_500(api: Api, world: World) -> None:
    cid = api.client.post(
        "/api/v1/cases", json=complaint_body(world), headers=api.headers("alice")
    ).json()["id"]
    response = api.client.post(
        f"/api/v1/cases/{cid}/teleport", json={}, headers=api.headers("alice")
    )
    assert response.status_code == 422


def test_my_data_export_holds_my_phone_in_clear_for_me_alone(api: Api) -> None:
    data = api.client.get("/api/v1/me/data", headers=api.headers("alice")).json()
    assert data["account"]["phone"] == "13912345678"
    assert data["account"]["username"] == "alice"


def test_erasing_my_data_blanks_contact_details_closes_the_account_and_keeps_cases(
    api: Api, world: World, engine: sa.Engine
) -> None:
    headers = api.headers("alice")
    cid = api.client.post("/api/v1/cases", json=complaint_body(world), headers=headers).json()["id"]
    wrong = api.client.post("/api/v1/me/erase", json={"password": "wrong"}, headers=headers)
    assert wrong.status_code == 401
    done = api.client.post(
        "/api/v1/me/erase", json={"password": "correct horse battery staple"}, headers=headers
    )
    assert done.status_code == 204
    assert api.client.get("/api/v1/me", headers=headers).status_code == 401
    with engine.connect() as conn:
        row = conn.execute(sa.select(t.users).where(t.users.c.username == "alice")).one()
    assert (row.phone_enc, row.display_name, row.is_active) == (None, "已注销用户", False)
    kept = api.client.get(f"/api/v1/cases/{cid}", headers=api.headers("merchant_a"))
    assert kept.status_code == 200
    relogin = api.client.post(
        "/api/v1/auth/token", json={"username": "alice", "password": "correct horse battery staple"}
    )
    assert relogin.status_code == 401


def test_the_merchant_asks_for_evidence_and_the_request_is_on_the_record(
    api: Api, world: World
) -> None:
    cid = api.client.post(
        "/api/v1/cases", json=complaint_body(world), headers=api.headers("alice")
    ).json()["id"]
    asked = api.client.post(
        f"/api/v1/cases/{cid}/request-evidence",
        json={"text": "请提供耳机右耳无声的视频"},
        headers=api.headers("merchant_a"),
    )
    assert asked.status_code == 200, asked.text
    assert asked.json()["status"] == "negotiation"
    history = api.client.get(f"/api/v1/cases/{cid}/events", headers=api.headers("alice")).json()
    assert history[-1]["action"] == "request_evidence"
    assert history[-1]["payload"]["text"] == "请提供耳机右耳无声的视频"
    by_consumer = api.client.post(
        f"/api/v1/cases/{cid}/request-evidence", json={"text": "x"}, headers=api.headers("alice")
    )
    assert by_consumer.status_code == 403


def test_the_case_list_is_walked_by_its_next_cursor_and_a_foreign_cursor_is_a_422(
    api: Api, world: World
) -> None:
    filed = set()
    for n in range(5):
        body = complaint_body(world, title=f"第 {n} 件")
        answer = api.client.post("/api/v1/cases", json=body, headers=api.headers("alice"))
        assert answer.status_code == 201, answer.text
        filed.add(answer.json()["id"])
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 2}
    while True:
        page = api.client.get("/api/v1/cases", params=params, headers=api.headers("alice"))
        assert page.status_code == 200, page.text
        body = page.json()
        assert body["total"] is None
        seen += [item["id"] for item in body["items"]]
        if body["next"] is None:
            break
        params = {"limit": 2, "cursor": body["next"]}
    assert sorted(seen) == sorted(filed)
    refused = api.client.get(
        "/api/v1/cases", params={"cursor": "bm90IG91cnM"}, headers=api.headers("alice")
    )
    assert refused.status_code == 422
    assert "翻页链接已失效" in refused.json()["message"]
    too_deep = api.client.get(
        "/api/v1/cases", params={"offset": 5000}, headers=api.headers("alice")
    )
    assert too_deep.status_code == 422
    assert "cursor" in too_deep.json()["message"]
