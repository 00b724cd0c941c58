"""Integrity signals for mediators over HTTP: repeated complaints, serial claimants, wording."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import Api
from tests.e2e.test_api import complaint_body
from tests.support.world import NOW, World
from weiquan.services import merchants

TEMPLATE = (
    "收到的蓝牙耳机右耳完全没有声音，联系客服三天没有回复，要求全额退款并赔偿损失，否则投诉到底"
)


def _file(api: Api, who: str, shop_id: str, description: str) -> str:
    body = complaint_body(api.world, shop_id=shop_id, description=description)
    response = api.client.post("/api/v1/cases", json=body, headers=api.headers(who))
    assert response.status_code == 201, response.text
    case_id: str = response.json()["id"]
    return case_id


def _escalate_and_claim(api: Api, case_id: str) -> None:
    for who, action, body in [
        ("alice", "escalate", {"reason": "商家不理"}),
        ("mediator", "assign", {}),
    ]:
        response = api.client.post(
            f"/api/v1/cases/{case_id}/{action}", json=body, headers=api.headers(who)
        )
        assert response.status_code == 200, response.text


def _signals(api: Api, case_id: str, who: str = "mediator") -> Any:
    response = api.client.get(f"/api/v1/cases/{case_id}/signals", headers=api.headers(who))
    assert response.status_code == 200, response.text
    return response.json()


def test_a_resubmitted_complaint_is_shown_to_the_mediator_as_a_near_duplicate(
    api: Api, world: World
) -> None:
    first = _file(api, "alice", world.shop_a, TEMPLATE)
    second = _file(api, "alice", world.shop_a, TEMPLATE + "！")
    _escalate_and_claim(api, second)
    found = _signals(api, second)["signals"]
    assert [s["kind"] for s in found] == ["near_duplicate"]
    assert found[0]["related"] == [first]
    assert "请核对" in found[0]["reason"]


def test_the_same_claim_against_three_merchants_marks_a_serial_claimant(
    api: Api, world: World, services: Any
) -> None:
    third, _ = merchants.register_merchant(services, name="杭州某店", region_code="330106", now=NOW)
    shop_c = merchants.add_shop(
        services, merchant_id=third.id, name="某店", platform="淘宝", now=NOW
    ).id
    _file(api, "alice", world.shop_b, TEMPLATE)
    _file(api, "alice", shop_c, TEMPLATE)
    target = _file(api, "alice", world.shop_a, TEMPLATE)
    _escalate_and_claim(api, target)
    kinds = {s["kind"] for s in _signals(api, target)["signals"]}
    assert "serial_claimant" in kinds


def test_an_ordinary_complaint_has_no_signals(api: Api, world: World) -> None:
    case_id = _file(api, "alice", world.shop_a, "耳机右耳没有声音，希望退货退款。")
    _escalate_and_claim(api, case_id)
    assert _signals(api, case_id) == {"signals": [], "statements": []}


def test_inflammatory_wording_in_a_statement_gets_a_neutral_hint(api: Api, world: World) -> None:
    case_id = _file(api, "alice", world.shop_a, "你们这帮骗子，黑店，不退款就等着瞧")
    _escalate_and_claim(api, case_id)
    (flag,) = _signals(api, case_id)["statements"]
    assert flag["author_role"] == "consumer"
    assert flag["hint"]


def test_signals_are_for_the_mediator_not_the_parties(api: Api, world: World) -> None:
    case_id = _file(api, "alice", world.shop_a, TEMPLATE)
    for who in ("alice", "merchant_a"):
        response = api.client.get(f"/api/v1/cases/{case_id}/signals", headers=api.headers(who))
        assert response.status_code == 403
