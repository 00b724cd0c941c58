"""The case and merchant pages over HTTP: consequences said before the click, one rating per
case shown where it counts, and a merchant's grade in plain words."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from tests.e2e.pages import csrf_of, english, post_form, sign_in
from tests.support.world import NOW, World, complaint
from weiquan.domain.cases import Claim, ClaimKind
from weiquan.domain.errors import Conflict
from weiquan.domain.lifecycle import Action, CaseStatus
from weiquan.services import cases
from weiquan.services.commands import CaseCommand
from weiquan.services.context import Services

REJECT_WARNING = "拒绝后，协商即告结束，本案将转入平台调解"


def _act(
    svc: Services, world: World, case_id: str, who: str, action: Action, **kw: object
) -> object:
    cmd = CaseCommand(case_id=case_id, action=action, **kw)  # type: ignore[arg-type]
    return cases.act(svc, cmd, principal=world.by_name(who), now=NOW + timedelta(minutes=5))


def _offered(services: Services, world: World) -> str:
    case, _ = cases.file_complaint(
        services, complaint(world.shop_a), principal=world.alice, now=NOW
    )
    _act(
        services,
        world,
        case.id,
        "merchant_a",
        Action.MAKE_OFFER,
        text="退一半",
        terms=(Claim(ClaimKind.REFUND, 15000),),
    )
    return case.id


def _fulfilled(services: Services, world: World) -> str:
    case_id = _offered(services, world)
    current, _ = cases.get_case(services, case_id, principal=world.alice)
    assert current.open_offer is not None
    _act(services, world, case_id, "alice", Action.ACCEPT_OFFER, offer_id=current.open_offer.id)
    done = _act(services, world, case_id, "alice", Action.CONFIRM_FULFILMENT)
    assert done.status is CaseStatus.FULFILLED  # type: ignore[attr-defined]
    return case_id


def test_the_reject_form_says_before_the_click_that_the_case_moves_to_mediation(
    client: TestClient, world: World, services: Services
) -> None:
    case_id = _offered(services, world)
    sign_in(client, world, "alice")
    page = client.get(f"/cases/{case_id}")
    assert REJECT_WARNING in page.text
    assert page.text.index(REJECT_WARNING) < page.text.index("拒绝方案</button>")
    english(client)
    assert "moves on to mediation" in client.get(f"/cases/{case_id}").text


def test_a_case_can_be_rated_once_and_the_rating_is_shown_on_the_case(
    client: TestClient, world: World, services: Services
) -> None:
    case_id = _fulfilled(services, world)
    sign_in(client, world, "alice")
    path = f"/cases/{case_id}"
    first = post_form(client, f"{path}/act", path, action="rate", stars="4", text="退款很快")
    assert first.status_code == 303, first.text
    page = client.get(path).text
    assert "消费者对处理结果的评价" in page
    assert "4 星" in page
    assert "退款很快" in page
    assert "消费者满意度" in page
    assert 'value="rate"' not in page  # the form is gone once rated
    again = client.post(
        f"{path}/act",
        data={"csrf": csrf_of(client, path), "action": "rate", "stars": "1"},
        follow_redirects=False,
    )
    assert again.status_code == 422
    assert "只能评价一次" in again.text
    with pytest.raises(Conflict):
        _act(services, world, case_id, "alice", Action.RATE, stars=1)
    final, _ = cases.get_case(services, case_id, principal=world.alice)
    assert final.rating == 4


def test_a_merchant_with_few_perfect_cases_is_not_labelled_caution_and_is_told_why(
    client: TestClient, world: World, services: Services
) -> None:
    case_id = _fulfilled(services, world)
    _act(services, world, case_id, "alice", Action.RATE, stars=5)
    _act(services, world, case_id, "alice", Action.CLOSE, reason="已收到退款")
    page = client.get(f"/merchants/{world.merchant_a_id}").text
    assert "谨慎下单</strong>" not in page
    assert "案件较少，暂无定论" in page
    assert "只有 1 个已结案件，评级暂按平台平均水平估计" in page
    assert "先验" not in page
    assert "修正为" not in page
    assert "消费者满意度：1 个评价，平均 5.0 星" in page
    sign_in(client, world, "merchant_a")
    inbox = client.get("/merchant/inbox").text
    assert "尚未开放" not in inbox
    assert "只有 1 个已结案件" in inbox
    english(client)
    inbox = client.get("/merchant/inbox").text
    assert "Too few cases to judge yet" in inbox
    assert "Only 1 closed cases so far" in inbox
