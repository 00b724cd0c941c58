"""A deadline the holiday calendar cannot compute yet: parties read a plain sentence with the
date already certain, staff read what to do, queues still sort, and an admin loads the year."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.conftest import TEST_PII_KEYS
from tests.e2e.pages import csrf_of, english, sign_in
from tests.support.world import NOW, World, complaint
from weiquan.adapters.holiday_calendar import YearFilesCalendar
from weiquan.bootstrap import App
from weiquan.config import Environment, Settings
from weiquan.domain.lifecycle import Action, CaseStatus
from weiquan.domain.rules import MemoisedCalendar
from weiquan.services import cases
from weiquan.services.commands import CaseCommand
from weiquan.services.context import Services
from weiquan.web.app import create_app

# The calendar library covers up to 2026: mediation started in late 2026 ends in 2027.
DEVELOPER_WORDS = (
    "weiquan calendar",
    "holiday calendar covers",
    "超出节假日日历覆盖范围",
    "load the",
)


@pytest.fixture
def year_folder(tmp_path: Path) -> Path:
    return tmp_path / "holidays"


@pytest.fixture
def app_client(
    database_url: str, engine: sa.Engine, services: Services, tmp_path: Path, year_folder: Path
) -> Iterator[TestClient]:
    year_files = YearFilesCalendar(folder=year_folder)
    settings = Settings(
        env=Environment.TEST, database_url=database_url, pii_keys=TEST_PII_KEYS, data_dir=tmp_path
    )
    wired = replace(services, calendar=MemoisedCalendar(year_files))
    app = create_app(App(settings, engine, wired, year_files), clock=lambda: NOW)
    with TestClient(app) as client:
        yield client


def _in_mediation(services: Services, world: World, filed: datetime, escalated: datetime) -> str:
    case, _ = cases.file_complaint(
        services, complaint(world.shop_a), principal=world.alice, now=filed
    )
    cmd = CaseCommand(case_id=case.id, action=Action.ESCALATE, reason="商家不答复")
    done = cases.act(services, cmd, principal=world.alice, now=escalated)
    assert done.status is CaseStatus.MEDIATION
    assert done.deadlines.mediation_due_at is None
    return case.id


def _deadlines_section(page: str) -> str:
    match = re.search(r'<section class="card deadlines".*?</section>', page, re.S)
    assert match, "no deadlines section"
    return match.group(0)


def test_parties_see_a_plain_sentence_and_the_certain_60_day_bound_not_the_calendars_error(
    app_client: TestClient, world: World, services: Services
) -> None:
    case_id = _in_mediation(services, world, NOW, NOW)
    sign_in(app_client, world, "alice")
    section = _deadlines_section(app_client.get(f"/cases/{case_id}").text)
    assert "2027 年的节假日安排" in section
    assert "2027年1月24日 24:00" in section  # 25 November + 60 days
    for words in DEVELOPER_WORDS:
        assert words not in section
    assert "/admin/calendar" not in section
    english(app_client)
    section = _deadlines_section(app_client.get(f"/cases/{case_id}").text)
    assert "2027 public holidays" in section
    assert not re.search(r"[\u4e00-\u9fff]", section), section


def test_staff_see_what_to_do_and_the_admin_gets_the_calendar_page(
    app_client: TestClient, world: World, services: Services
) -> None:
    case_id = _in_mediation(services, world, NOW, NOW)
    sign_in(app_client, world, "mediator")
    section = _deadlines_section(app_client.get(f"/cases/{case_id}").text)
    assert "请管理员在“节假日日历”页面载入" in section
    sign_in(app_client, world, "admin")
    section = _deadlines_section(app_client.get(f"/cases/{case_id}").text)
    assert 'href="/admin/calendar"' in section


def test_the_mediators_queue_sorts_open_deadlines_by_their_certain_bound(
    app_client: TestClient, world: World, services: Services
) -> None:
    later = _in_mediation(services, world, NOW - timedelta(days=5), NOW)
    sooner = _in_mediation(services, world, NOW - timedelta(days=4), NOW - timedelta(days=3))
    sign_in(app_client, world, "mediator")
    page = app_client.get("/mediator/queue").text
    assert page.index(f"/cases/{sooner}") < page.index(f"/cases/{later}")
    assert "最迟 2027年1月21日" in page


def test_an_admin_loads_a_year_file_on_the_calendar_page_and_a_bad_file_is_refused(
    app_client: TestClient, world: World, year_folder: Path
) -> None:
    sign_in(app_client, world, "admin")
    bad = app_client.post(
        "/admin/calendar",
        data={"csrf": csrf_of(app_client, "/admin/calendar")},
        files={"year_file": ("2027.json", b"{not json", "application/json")},
        follow_redirects=False,
    )
    assert bad.status_code == 422
    assert "不是有效的节假日安排" in bad.text
    assert not list(year_folder.glob("*.json"))
    days = [{"name": "元旦", "date": "2027-01-01", "isOffDay": True}]
    good = app_client.post(
        "/admin/calendar",
        data={"csrf": csrf_of(app_client, "/admin/calendar")},
        files={"year_file": ("2027.json", json.dumps({"year": 2027, "days": days}).encode())},
        follow_redirects=False,
    )
    assert good.status_code == 303, good.text
    assert (year_folder / "2027.json").exists()
    page = app_client.get(good.headers["location"]).text
    assert "2004–2027" in page


def test_a_consumer_cannot_open_the_calendar_page(app_client: TestClient, world: World) -> None:
    sign_in(app_client, world, "alice")
    assert app_client.get("/admin/calendar").status_code == 404
