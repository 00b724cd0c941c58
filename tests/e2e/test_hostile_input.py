"""Hostile input answered with a 4xx and a reason, never a server error (issue 15, finding 7)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.e2e.conftest import Api
from tests.support.world import PASSWORD
from weiquan.services.cases import MAX_OFFSET


def log_in_page(client: TestClient, username: str) -> None:
    form = client.get("/login").text
    found = re.search(r'name="csrf" value="([^"]+)"', form)
    assert found is not None
    answer = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf": found.group(1)},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text


def test_a_hundred_thousand_open_brackets_to_assess_are_refused_as_too_deeply_nested(
    client: TestClient,
) -> None:
    for path in ("/api/v1/assess", "/api/v1/assess/claims"):
        answer = client.post(
            path, content=b"[" * 100_000, headers={"content-type": "application/json"}
        )
        assert answer.status_code == 422, answer.text
        assert answer.json()["field"] == "body"
        assert "嵌套" in answer.json()["message"]


def test_deep_nesting_to_a_model_endpoint_is_a_client_error(api: Api) -> None:
    answer = api.client.post(
        "/api/v1/reports", content=b"[" * 100_000, headers={"content-type": "application/json"}
    )
    assert 400 <= answer.status_code < 500, answer.text


@pytest.mark.parametrize("days", ["calendar_days=3", "working_days=3", "calendar_days=0"])
def test_a_deadline_from_the_last_representable_day_is_refused_with_the_reason(
    api: Api, days: str
) -> None:
    answer = api.client.get(
        f"/api/v1/calendar/deadline?start=9999-12-31&{days}", headers=api.headers("alice")
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"] == "calendar_out_of_range"


def test_a_case_list_offset_beyond_64_bits_is_refused_naming_the_offset(api: Api) -> None:
    for offset in (2**63, 2**64, 2**31, MAX_OFFSET + 1):
        answer = api.client.get(f"/api/v1/cases?offset={offset}", headers=api.headers("alice"))
        assert answer.status_code == 422, answer.text
        assert answer.json()["field"] == "offset"
        assert "cursor" in answer.json()["message"]  # deeper pages go by cursor
    within = api.client.get(f"/api/v1/cases?offset={MAX_OFFSET}", headers=api.headers("alice"))
    assert within.status_code == 200
    assert within.json()["items"] == []


def test_the_referrals_page_tells_an_admin_without_a_region_why_it_cannot_be_shown(
    api: Api,
) -> None:
    client = api.client
    log_in_page(client, "admin")
    for path in ("/regulator/referrals", "/regulator/referrals.csv"):
        answer = client.get(path)
        assert answer.status_code == 403, answer.text
        assert "未设置辖区" in answer.text


def test_the_referrals_page_still_lists_a_regulators_region(api: Api) -> None:
    client = api.client
    log_in_page(client, "reg-chengdu")
    assert client.get("/regulator/referrals").status_code == 200
    assert client.get("/regulator/referrals.csv").status_code == 200


JSON = {"content-type": "application/json"}


def test_an_oversized_json_body_is_refused_with_413_before_it_is_parsed_without_a_login(
    client: TestClient,
) -> None:
    big = b'{"facts": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    for path in (
        "/api/v1/assess",
        "/api/v1/assess/claims",
        "/api/v1/reports",
        "/api/v1/auth/token",
    ):
        answer = client.post(path, content=big, headers=JSON)
        assert answer.status_code == 413, (path, answer.text)
        assert answer.json()["message"] == "上传内容过大"


def test_an_oversized_body_sent_in_chunks_without_a_length_is_refused_with_413(
    client: TestClient,
) -> None:
    def chunks() -> object:
        for _ in range(40):
            yield b"[" + b"1," * 32_768

    answer = client.post("/api/v1/assess", content=chunks(), headers=JSON)  # type: ignore[arg-type]
    assert answer.status_code == 413, answer.text


def test_an_oversized_page_form_is_refused_with_a_page_in_the_readers_language(
    client: TestClient,
) -> None:
    answer = client.post(
        "/login",
        content=b"username=" + b"a" * (2 * 1024 * 1024),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 413
    assert "上传内容过大" in answer.text


def test_a_json_body_just_under_the_limit_is_parsed(client: TestClient) -> None:
    body = b'{"unknown": "' + b"x" * (1024 * 1024 - 100) + b'"}'
    answer = client.post("/api/v1/assess", content=body, headers=JSON)
    assert answer.status_code == 422  # read and parsed: the domain names the unknown field
    assert answer.json()["field"] != "body"
