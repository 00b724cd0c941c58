"""POST /api/v1/assess, the law-guide endpoints and the CLI commands, on a tiny app."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

from weiquan.cli.assess import assess_app, law_app
from weiquan.web.api_rules import router

with warnings.catch_warnings():
    # Starlette asks for the httpx2 fork; the test client works the same with httpx.
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = FastAPI()
    app.include_router(router)
    return TestClient(app)


FACTS = {
    "today": "2026-03-20",
    "channel": "online",
    "goods": "food",
    "problem": "unsafe_food",
    "price_paid_fen": 9900,
    "signed_at": "2026-03-02",
}


def test_assess_returns_the_findings_as_json(client: TestClient) -> None:
    response = client.post("/api/v1/assess", json=FACTS)
    assert response.status_code == 200
    body = response.json()
    food = next(f for f in body["findings"] if f["rule"] == "punitive_food")
    assert food["amount_fen"] == 100000
    assert set(food) == {
        "rule",
        "applies",
        "articles",
        "remedy",
        "amount_fen",
        "deadline",
        "explanation_zh",
        "explanation_en",
    }
    assert isinstance(body["warnings"], list)


def test_assess_refuses_an_unknown_field_naming_it(client: TestClient) -> None:
    response = client.post("/api/v1/assess", json={**FACTS, "colour": "red"})
    assert response.status_code == 422
    assert response.json()["field"] == "colour"
    assert response.json()["error"] == "validation_failed"


def test_assess_refuses_a_body_that_is_not_json(client: TestClient) -> None:
    response = client.post(
        "/api/v1/assess", content=b"{today:", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json() == {
        "error": "validation_failed",
        "field": "body",
        "message": response.json()["message"],
    }


def test_assess_refuses_impossible_dates(client: TestClient) -> None:
    response = client.post("/api/v1/assess", json={**FACTS, "return_notice_at": "2026-03-01"})
    assert response.status_code == 422
    assert response.json()["field"] == "return_notice_at"


def test_assess_reports_a_date_beyond_the_calendar(client: TestClient) -> None:
    response = client.post("/api/v1/assess", json={"today": "2027-02-01"})
    assert response.status_code == 422
    assert response.json()["error"] == "calendar_out_of_range"
    assert response.json()["field"] == "today"


def test_the_law_guide_searches_in_traditional_script(client: TestClient) -> None:
    response = client.get("/api/v1/law/articles", params={"q": "預付 贈送"})
    assert response.status_code == 200
    found = [(a["law"], a["article"]) for a in response.json()["articles"]]
    assert ("prepaid_interpretation", "18") in found


def test_the_law_guide_returns_one_article(client: TestClient) -> None:
    response = client.get("/api/v1/law/articles/consumer_rights_law/55(1)")
    assert response.status_code == 200
    assert response.json()["summary_en"].startswith("For fraud")


def test_the_law_guide_shows_an_unverified_article_as_such(client: TestClient) -> None:
    response = client.get("/api/v1/law/articles/ip_online_reply/2")
    assert response.json()["unverified"] is True


def test_the_law_guide_answers_404_for_an_unknown_article(client: TestClient) -> None:
    response = client.get("/api/v1/law/articles/consumer_rights_law/999")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_the_cli_prints_the_findings(tmp_path: Path) -> None:
    facts_file = tmp_path / "facts.json"
    facts_file.write_text(json.dumps(FACTS), encoding="utf-8")
    result = CliRunner().invoke(assess_app, [str(facts_file)])
    assert result.exit_code == 0, result.output
    rules = [f["rule"] for f in json.loads(result.stdout)["findings"]]
    assert "punitive_food" in rules
    assert "十倍" in result.stdout  # printed as Chinese, not \u escapes


def test_the_cli_exits_2_naming_the_field_on_bad_input(tmp_path: Path) -> None:
    facts_file = tmp_path / "facts.json"
    facts_file.write_text(json.dumps({**FACTS, "price_paid_fen": -5}), encoding="utf-8")
    result = CliRunner().invoke(assess_app, [str(facts_file)])
    assert result.exit_code == 2
    assert "price_paid_fen" in result.stderr


def test_the_cli_exits_2_on_a_file_that_is_not_json(tmp_path: Path) -> None:
    facts_file = tmp_path / "facts.json"
    facts_file.write_text("not json", encoding="utf-8")
    result = CliRunner().invoke(assess_app, [str(facts_file)])
    assert result.exit_code == 2
    assert "JSON" in result.stderr


def test_the_cli_exits_2_on_a_missing_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(assess_app, [str(tmp_path / "absent.json")])
    assert result.exit_code == 2


def test_law_search_prints_matching_articles() -> None:
    result = CliRunner().invoke(law_app, ["search", "十倍賠償"])
    assert result.exit_code == 0, result.output
    assert "food_safety_law/148(2)" in result.stdout


def test_law_search_marks_unverified_articles() -> None:
    result = CliRunner().invoke(law_app, ["search", "公证"])
    assert "UNVERIFIED" in result.stdout
