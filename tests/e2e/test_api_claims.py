"""Claims beyond what the law allows are flagged with the reason, over HTTP."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

FRAUD_FACTS = {
    "today": "2026-11-25",
    "channel": "online",
    "purpose": "personal",
    "problem": "fraud",
    "price_paid_fen": 29900,
    "signed_at": "2026-11-20",
}


def claims(client: TestClient, facts: dict[str, Any], items: list[dict[str, Any]]) -> Any:
    response = client.post("/api/v1/assess/claims", json={"facts": facts, "claims": items})
    assert response.status_code == 200, response.text
    return response.json()["claims"]


def test_a_small_purchase_may_claim_the_500_yuan_fraud_minimum(client: TestClient) -> None:
    facts = {**FRAUD_FACTS, "price_paid_fen": 9900}
    (check,) = claims(client, facts, [{"kind": "compensation", "amount_fen": 50000}])
    assert check["within_law"] is True
    assert check["ceiling_fen"] == 50000  # 3 × ¥99 = ¥297 < ¥500, so the minimum applies
    assert check["rules"] == ["punitive_fraud"]


def test_compensation_above_what_the_law_allows_is_flagged_with_the_ceiling(
    client: TestClient,
) -> None:
    (check,) = claims(client, FRAUD_FACTS, [{"kind": "compensation", "amount_fen": 299000}])
    assert check["within_law"] is False
    assert check["ceiling_fen"] == 89700  # 3 × ¥299
    assert "超过依法可主张" in check["reason_zh"]


def test_a_refund_above_the_price_paid_is_flagged(client: TestClient) -> None:
    (check,) = claims(client, FRAUD_FACTS, [{"kind": "refund", "amount_fen": 39900}])
    assert (check["within_law"], check["ceiling_fen"]) == (False, 29900)
    assert "消费者权益保护法第24条" in check["reason_zh"]


def test_compensation_without_any_basis_is_flagged(client: TestClient) -> None:
    facts = {**FRAUD_FACTS, "problem": "none"}
    (check,) = claims(client, facts, [{"kind": "compensation", "amount_fen": 10000}])
    assert check["within_law"] is False
    assert "民法典第584条" in check["reason_zh"]


def test_a_seven_day_return_claim_is_supported_on_day_five(client: TestClient) -> None:
    facts = {**FRAUD_FACTS, "problem": "none", "goods": "general"}
    (check,) = claims(client, facts, [{"kind": "return"}])
    assert check["within_law"] is True
    assert "return_7day" in check["rules"]


def test_an_unknown_claim_field_is_a_422_naming_it(client: TestClient) -> None:
    response = client.post(
        "/api/v1/assess/claims",
        json={"facts": FRAUD_FACTS, "claims": [{"kind": "refund", "amount": 1}]},
    )
    assert response.status_code == 422
    assert response.json()["field"] == "claims.0"
