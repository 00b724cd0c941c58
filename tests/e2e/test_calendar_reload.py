"""A running server takes up a holiday year file loaded while it runs: no restart needed."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.conftest import TEST_PII_KEYS
from tests.support.world import NOW
from weiquan.adapters.holiday_calendar import YearFilesCalendar
from weiquan.bootstrap import App
from weiquan.config import Environment, Settings
from weiquan.domain.rules import MemoisedCalendar
from weiquan.services.context import Services
from weiquan.web.app import create_app

QUERY = {"start": "2027-03-01", "working_days": 3}


def test_the_deadline_endpoint_answers_for_a_year_loaded_after_start(
    database_url: str, engine: sa.Engine, services: Services, tmp_path: Path
) -> None:
    folder = tmp_path / "holidays"
    year_files = YearFilesCalendar(folder=folder)
    settings = Settings(
        env=Environment.TEST,
        database_url=database_url,
        pii_keys=TEST_PII_KEYS,
        data_dir=tmp_path,
        calendar_reload_seconds=0.1,
    )
    wired = replace(services, calendar=MemoisedCalendar(year_files))
    app = create_app(App(settings, engine, wired, year_files), clock=lambda: NOW)
    with TestClient(app) as client:
        refused = client.get("/api/v1/calendar/deadline", params=QUERY)
        assert refused.status_code == 422
        assert "2027" in refused.json()["message"]
        folder.mkdir()
        days = [{"name": "元旦", "date": "2027-01-01", "isOffDay": True}]
        (folder / "2027.json").write_text(json.dumps({"year": 2027, "days": days}))
        for _ in range(100):
            answer = client.get("/api/v1/calendar/deadline", params=QUERY)
            if answer.status_code == 200:
                break
            time.sleep(0.05)
    assert answer.status_code == 200, answer.text
    assert answer.json()["due_date"] == "2027-03-04"
    assert answer.json()["calendar_covers"] == "2004-2027"
