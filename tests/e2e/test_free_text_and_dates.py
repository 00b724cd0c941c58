"""Action reasons and other free text with control characters, and orders dated year 1 or
9999, are refused with the field named (issue 15, finding 10)."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Api
from tests.e2e.test_api import complaint_body


def filed(api: Api) -> str:
    answer = api.client.post(
        "/api/v1/cases", json=complaint_body(api.world), headers=api.headers("alice")
    )
    assert answer.status_code == 201, answer.text
    case_id: str = answer.json()["id"]
    return case_id


@pytest.mark.parametrize(
    ("who", "action"), [("alice", "withdraw"), ("alice", "escalate"), ("merchant_a", "refuse")]
)
def test_an_action_reason_with_a_control_character_is_refused_and_nothing_moves(
    api: Api, who: str, action: str
) -> None:
    case_id = filed(api)
    answer = api.client.post(
        f"/api/v1/cases/{case_id}/{action}",
        json={"reason": "不想要了\x1b[2J"},
        headers=api.headers(who),
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == "reason"
    case = api.client.get(f"/api/v1/cases/{case_id}", headers=api.headers("alice")).json()
    assert case["status"] == "negotiation"


def test_a_statement_that_would_read_backwards_is_refused(api: Api) -> None:
    case_id = filed(api)
    answer = api.client.post(
        f"/api/v1/cases/{case_id}/statements",
        json={"text": "同意退款 \u202e元0001"},
        headers=api.headers("alice"),
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == "text"


def test_a_trust_decision_reason_with_a_control_character_is_refused(api: Api) -> None:
    report = api.client.post(
        "/api/v1/reports",
        json={
            "merchant_id": api.world.merchant_a_id,
            "violation": "false_advertising",
            "description": "原价虚标",
        },
        headers=api.headers("alice"),
    )
    assert report.status_code == 201, report.text
    answer = api.client.post(
        f"/api/v1/reports/{report.json()['id']}/extend",
        json={"reason": "需要补充材料\u202e"},
        headers=api.headers("admin"),
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == "reason"


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00+08:00", "9999-12-31T00:00:00+08:00"])
@pytest.mark.parametrize("field", ["ordered_at", "signed_at", "promised_delivery_at"])
def test_an_order_dated_year_1_or_9999_is_refused_naming_the_date(
    api: Api, field: str, when: str
) -> None:
    body = complaint_body(api.world, order={"platform": "京东", "order_no": "JD1", field: when})
    answer = api.client.post("/api/v1/cases", json=body, headers=api.headers("alice"))
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == f"order.{field}"
