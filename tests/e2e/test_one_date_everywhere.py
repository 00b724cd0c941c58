"""One computation of every date shown: the agreement PDF, the case page, the 举报 receipt and
the staff view all show a deadline as its last day, 24:00."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.e2e.pages import csrf_of, sign_in
from tests.support.world import World, complaint
from weiquan.domain.calendar import CHINA_TZ, last_day_of
from weiquan.domain.cases import Claim, ClaimKind
from weiquan.domain.lifecycle import Action, CaseStatus
from weiquan.services import cases
from weiquan.services.commands import CaseCommand
from weiquan.services.context import Services
from weiquan.web.i18n import set_locale
from weiquan.web.pages.common import deadline_date, deadline_text

# Saturday 28 November 2026, 10:00 Beijing: 15 days later is Sunday 13 December, so the
# performance period runs to Monday 14 December (民法典 Art 203).
ACCEPTED = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


def test_a_deadline_at_midnight_is_shown_as_the_day_before_at_24_00_everywhere() -> None:
    set_locale("zh_CN")
    due = datetime(2026, 12, 26, tzinfo=CHINA_TZ)  # the end of 25 December
    assert last_day_of(due).isoformat() == "2026-12-25"
    assert deadline_date(due) == "2026年12月25日"
    assert deadline_text(due, due - timedelta(days=3)).startswith("12月25日 24:00")


def _agreement_case(services: Services, world: World) -> str:
    start = ACCEPTED - timedelta(hours=3)
    case, _ = cases.file_complaint(
        services, complaint(world.shop_a), principal=world.alice, now=start
    )

    def act(who: str, action: Action, minutes: int, **kw: object) -> object:
        cmd = CaseCommand(case_id=case.id, action=action, **kw)  # type: ignore[arg-type]
        at = start + timedelta(minutes=minutes)
        return cases.act(services, cmd, principal=world.by_name(who), now=at)

    act("alice", Action.ESCALATE, 1, reason="商家不答复")
    act("mediator", Action.ASSIGN_MEDIATOR, 2)
    proposal = act(
        "mediator",
        Action.PROPOSE_SETTLEMENT,
        3,
        text="退款",
        terms=(Claim(ClaimKind.REFUND, 29900),),
    ).open_offer  # type: ignore[attr-defined]
    act("alice", Action.ACCEPT_OFFER, 4, offer_id=proposal.id)
    done = act("merchant_a", Action.ACCEPT_OFFER, 180, offer_id=proposal.id)
    assert done.status is CaseStatus.AGREEMENT  # type: ignore[attr-defined]
    return case.id


def test_the_agreement_pdf_gives_the_same_performance_day_as_the_case_page(
    client: TestClient, world: World, services: Services, tmp_path: Path
) -> None:
    case_id = _agreement_case(services, world)
    sign_in(client, world, "alice")
    page = client.get(f"/cases/{case_id}").text
    assert "12月14日 24:00" in page
    pdf = client.get(f"/cases/{case_id}/agreement.pdf")
    assert pdf.status_code == 200
    path = tmp_path / "agreement.pdf"
    path.write_bytes(pdf.content)
    try:
        text = subprocess.run(
            ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout
    except FileNotFoundError:
        pytest.skip("pdftotext is missing (Debian package poppler-utils)")
    flat = "".join(text.split())
    assert "2026年12月14日24:00前履行" in flat
    assert "12月13日" not in flat


def test_the_report_receipt_shows_the_same_decision_day_as_the_staff_view(
    client: TestClient, world: World
) -> None:
    sign_in(client, world, "alice")
    path = f"/merchants/{world.merchant_a_id}/report"
    receipt = client.post(
        path,
        data={
            "csrf": csrf_of(client, path),
            "violation": "counterfeit",
            "description": "店里卖的耳机是假货，包装和正品不同。",
        },
    )
    assert receipt.status_code == 200, receipt.text
    shown = receipt.text.split("处理期限", 1)[1][:120]
    sign_in(client, world, "mediator")
    staff = client.get("/reports").text
    day = shown.split("<dd>", 1)[1].split("</dd>", 1)[0]  # e.g. 2026年12月10日
    month_day = day.split("年", 1)[1]
    assert f"{month_day.removesuffix('日')}日 24:00" in staff, (day, staff[-3000:])
