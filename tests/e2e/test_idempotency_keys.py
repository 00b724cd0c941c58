"""``Idempotency-Key`` on every POST that creates something (issue 15, finding 10): a retry is
answered from the first answer and creates nothing; the same key with another request is 409."""

from __future__ import annotations

import io

import sqlalchemy as sa
from PIL import Image

from tests.e2e.conftest import Api
from tests.e2e.test_api import complaint_body
from weiquan.adapters.db.tables_requests import idempotent_requests
from weiquan.adapters.db.tables_trust import trust_reports


def filed(api: Api) -> str:
    answer = api.client.post(
        "/api/v1/cases", json=complaint_body(api.world), headers=api.headers("alice")
    )
    assert answer.status_code == 201, answer.text
    case_id: str = answer.json()["id"]
    return case_id


def statements(api: Api, case_id: str) -> list[str]:
    events = api.client.get(f"/api/v1/cases/{case_id}/events", headers=api.headers("alice"))
    return [e["payload"].get("text", "") for e in events.json() if e["action"] == "add_statement"]


def keyed(api: Api, who: str, key: str) -> dict[str, str]:
    return {**api.headers(who), "Idempotency-Key": key}


def test_a_statement_sent_twice_with_the_same_key_is_stored_once(api: Api) -> None:
    case_id = filed(api)
    body = {"text": "补充：快递单号 SF1234567890"}
    first = api.client.post(
        f"/api/v1/cases/{case_id}/statements", json=body, headers=keyed(api, "alice", "st-1")
    )
    again = api.client.post(
        f"/api/v1/cases/{case_id}/statements", json=body, headers=keyed(api, "alice", "st-1")
    )
    assert first.status_code == again.status_code == 200, again.text
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert statements(api, case_id) == ["补充：快递单号 SF1234567890"]


def test_the_same_key_with_another_body_is_a_conflict_and_creates_nothing(api: Api) -> None:
    case_id = filed(api)
    path = f"/api/v1/cases/{case_id}/statements"
    api.client.post(path, json={"text": "第一份说明"}, headers=keyed(api, "alice", "st-2"))
    other = api.client.post(path, json={"text": "另一份说明"}, headers=keyed(api, "alice", "st-2"))
    assert other.status_code == 409, other.text
    assert other.json()["error"] == "idempotency_mismatch"
    assert statements(api, case_id) == ["第一份说明"]


def test_a_refused_request_does_not_hold_its_key(api: Api) -> None:
    case_id = filed(api)
    path = f"/api/v1/cases/{case_id}/statements"
    refused = api.client.post(path, json={"text": ""}, headers=keyed(api, "alice", "st-3"))
    assert refused.status_code == 422
    done = api.client.post(path, json={"text": "更正后的说明"}, headers=keyed(api, "alice", "st-3"))
    assert done.status_code == 200, done.text
    assert statements(api, case_id) == ["更正后的说明"]


def test_two_people_may_use_the_same_key_without_meeting(api: Api) -> None:
    case_id = filed(api)
    path = f"/api/v1/cases/{case_id}/statements"
    mine = api.client.post(path, json={"text": "消费者说明"}, headers=keyed(api, "alice", "k"))
    theirs = api.client.post(path, json={"text": "商家说明"}, headers=keyed(api, "merchant_a", "k"))
    assert (mine.status_code, theirs.status_code) == (200, 200), theirs.text
    assert "idempotent-replayed" not in theirs.headers


def report_count(api: Api) -> int:
    engine = api.client.app.state.context.engine  # type: ignore[attr-defined]
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(trust_reports)).scalar_one())


def test_an_anonymous_report_retried_with_its_key_is_filed_once(api: Api) -> None:
    body = {
        "merchant_id": api.world.merchant_a_id,
        "violation": "false_advertising",
        "description": "原价虚标",
        "anonymous": True,
    }
    first = api.client.post("/api/v1/reports", json=body, headers={"Idempotency-Key": "r-1"})
    again = api.client.post("/api/v1/reports", json=body, headers={"Idempotency-Key": "r-1"})
    assert first.status_code == again.status_code == 201, again.text
    assert again.json()["id"] == first.json()["id"]
    assert report_count(api) == 1


def png(colour: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def test_an_upload_retried_with_a_new_multipart_boundary_is_the_same_request(api: Api) -> None:
    case_id = filed(api)
    path = f"/api/v1/cases/{case_id}/evidence"
    headers = keyed(api, "alice", "up-1")
    data = {"description": "收到的商品照片"}
    first = api.client.post(path, files={"file": ("a.png", png("red"))}, data=data, headers=headers)
    again = api.client.post(path, files={"file": ("a.png", png("red"))}, data=data, headers=headers)
    assert first.status_code == 201, first.text
    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    other = api.client.post(
        path, files={"file": ("b.png", png("blue"))}, data=data, headers=headers
    )
    assert other.status_code == 409


def test_stored_answers_are_encrypted_at_rest(api: Api) -> None:
    case_id = filed(api)
    api.client.post(
        f"/api/v1/cases/{case_id}/statements",
        json={"text": "我的电话 13912345678"},
        headers=keyed(api, "alice", "st-4"),
    )
    engine = api.client.app.state.context.engine  # type: ignore[attr-defined]
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(sa.select(idempotent_requests))]
    assert len(rows) == 1
    assert "13912345678" not in str(rows)


def test_a_key_that_is_not_printable_ascii_is_refused_with_the_reason(api: Api) -> None:
    case_id = filed(api)
    answer = api.client.post(
        f"/api/v1/cases/{case_id}/statements",
        json={"text": "说明"},
        headers=keyed(api, "alice", "x" * 101),
    )
    assert answer.status_code == 422
    assert answer.json()["field"] == "Idempotency-Key"
    assert statements(api, case_id) == []


def test_erasing_my_data_forgets_the_answers_stored_for_my_keys(api: Api) -> None:
    case_id = filed(api)
    api.client.post(
        f"/api/v1/cases/{case_id}/statements",
        json={"text": "说明"},
        headers=keyed(api, "alice", "st-5"),
    )
    erased = api.client.post(
        "/api/v1/me/erase",
        json={"password": "correct horse battery staple"},
        headers=api.headers("alice"),
    )
    assert erased.status_code == 204
    engine = api.client.app.state.context.engine  # type: ignore[attr-defined]
    with engine.connect() as conn:
        left = conn.execute(
            sa.select(sa.func.count()).select_from(idempotent_requests)
        ).scalar_one()
    assert left == 0
