"""The intake fast path answers every complaint exactly as the FastAPI route it stands in for.

Two apps share one database: the one a server runs (fast path on) and one that leaves intake to
the FastAPI route. Each request goes to both; the answers must agree in status and body, apart
from what differs by nature (a new case's id and number) and the two documented differences.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import hypothesis.strategies as st
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from tests.e2e import conftest as e2e
from tests.e2e.test_api import BAD_BODIES, complaint_body, count_rows
from tests.support.world import NOW, PASSWORD, World
from weiquan.adapters.db import tables as t
from weiquan.bootstrap import App
from weiquan.services.context import Services
from weiquan.web.api_cases import MAX_COMPLAINT_BYTES
from weiquan.web.app import create_app

CASES = "/api/v1/cases"


class Pair:
    """The same request sent to the fast path and to the FastAPI route."""

    def __init__(self, fast: TestClient, route: TestClient) -> None:
        self.fast, self.route = fast, route
        self._tokens: dict[str, str] = {}

    def auth(self, username: str) -> dict[str, str]:
        if username not in self._tokens:
            response = self.fast.post(
                "/api/v1/auth/token", json={"username": username, "password": PASSWORD}
            )
            self._tokens[username] = response.json()["access_token"]
        return {"Authorization": f"Bearer {self._tokens[username]}"}

    def both(self, **request: Any) -> tuple[Any, Any]:
        return self.fast.post(CASES, **request), self.route.post(CASES, **request)


@pytest.fixture
def pair(database_url: str, engine: sa.Engine, services: Services, world: World) -> Iterator[Pair]:
    def app(*, fast: bool) -> Any:
        context = App(e2e.test_settings(database_url), engine, services)
        return create_app(context, clock=lambda: NOW, fast_intake=fast)

    with TestClient(app(fast=True)) as fast, TestClient(app(fast=False)) as route:
        yield Pair(fast, route)


def comparable(response: Any) -> tuple[int, Any]:
    """Status and body, without what is new for every case or names the JSON parser."""
    body = response.json()
    if response.status_code in (200, 201):
        body = {k: v for k, v in body.items() if k not in ("id", "number")}
    for error in body.get("errors", []):
        error.pop("detail", None)  # the parsers' own wording of a JSON syntax error
    return response.status_code, body


def assert_alike(fast: Any, route: Any) -> None:
    assert fast.headers["content-type"] == route.headers["content-type"]
    assert comparable(fast) == comparable(route)


def test_a_good_complaint_is_filed_alike_by_both(pair: Pair, world: World) -> None:
    fast, route = pair.both(json=complaint_body(world), headers=pair.auth("alice"))
    assert fast.status_code == 201
    assert_alike(fast, route)
    assert fast.json()["id"] != route.json()["id"]


@pytest.mark.parametrize(
    ("label", "overrides", "field"), BAD_BODIES, ids=[b[0] for b in BAD_BODIES]
)
def test_each_kind_of_bad_complaint_is_refused_alike(
    pair: Pair, world: World, engine: sa.Engine, label: str, overrides: dict[str, Any], field: str
) -> None:
    fast, route = pair.both(json=complaint_body(world, **overrides), headers=pair.auth("alice"))
    assert fast.json()["field"] == field, label
    assert_alike(fast, route)
    assert count_rows(engine, t.cases) == 0


@pytest.mark.parametrize(
    ("label", "content", "content_type"),
    [
        ("broken JSON", b'{"title": "x",', "application/json"),
        ("empty body", b"", "application/json"),
        ("a list, not an object", b"[]", "application/json"),
        ("a string, not an object", b'"complaint"', "application/json"),
        ("form-encoded", b"title=x", "application/x-www-form-urlencoded"),
        ("JSON sent as text", b'{"title": "x"}', "text/plain"),
    ],
)
def test_bodies_that_are_not_a_complaint_object_are_refused_alike(
    pair: Pair, engine: sa.Engine, label: str, content: bytes, content_type: str
) -> None:
    headers = {**pair.auth("alice"), "Content-Type": content_type}
    fast, route = pair.both(content=content, headers=headers)
    assert fast.status_code == 422, label
    assert fast.json()["field"] == "body"
    assert_alike(fast, route)
    assert count_rows(engine, t.cases) == 0


def test_a_body_that_is_not_utf8_is_400_on_both(pair: Pair, engine: sa.Engine) -> None:
    headers = {**pair.auth("alice"), "Content-Type": "application/json"}
    fast, route = pair.both(content=b'{"title": "\xff"}', headers=headers)
    assert fast.status_code == 400
    assert "UTF-8" in fast.json()["message"]
    assert_alike(fast, route)
    assert count_rows(engine, t.cases) == 0


def test_a_lone_surrogate_escape_is_422_on_both_and_files_nothing(
    pair: Pair, world: World, engine: sa.Engine
) -> None:
    text = json.dumps(complaint_body(world), ensure_ascii=False)
    broken = text.replace('"耳机右耳无声"', '"\\ud800耳机"').encode()
    assert broken != text.encode()
    headers = {**pair.auth("alice"), "Content-Type": "application/json"}
    fast, route = pair.both(content=broken, headers=headers)
    # The JSON parser refuses the escape itself, the route's refuses the string made of it.
    assert (fast.json()["field"], route.json()["field"]) == ("body", "title")
    assert (fast.status_code, route.status_code) == (422, 422)
    assert route.json()["message"] == "title: 含有无法识别的字符"
    assert count_rows(engine, t.cases) == 0


def test_who_may_file_and_as_whom_is_decided_alike(pair: Pair, world: World) -> None:
    checks = [
        ("merchant-a", complaint_body(world), 403),
        ("mediator", complaint_body(world), 403),
        ("alice", complaint_body(world, caller={"name": "王", "phone": "13800000000"}), 422),
        ("operator", complaint_body(world), 422),
        ("operator", complaint_body(world, caller={"name": "王先生", "phone": "13800000000"}), 201),
    ]
    for username, body, status in checks:
        fast, route = pair.both(json=body, headers=pair.auth(username))
        assert fast.status_code == status, (username, fast.text)
        assert_alike(fast, route)


def test_a_bad_or_missing_token_is_401_on_both(pair: Pair, world: World) -> None:
    for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic eDp5"}):
        fast, route = pair.both(json=complaint_body(world), headers=headers)
        assert fast.status_code == 401
        assert_alike(fast, route)


def test_retry_keys_mean_the_same_on_both(pair: Pair, world: World, engine: sa.Engine) -> None:
    alice = pair.auth("alice")
    first = pair.fast.post(
        CASES, json=complaint_body(world), headers={**alice, "Idempotency-Key": "k1"}
    )
    again = pair.route.post(
        CASES, json=complaint_body(world), headers={**alice, "Idempotency-Key": "k1"}
    )
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    changed = complaint_body(world, title="另一件事")
    fast, route = pair.both(json=changed, headers={**alice, "Idempotency-Key": "k1"})
    assert fast.status_code == 409
    assert_alike(fast, route)
    fast, route = pair.both(
        json=complaint_body(world), headers={**alice, "Idempotency-Key": "x" * 101}
    )
    assert fast.json()["field"] == "Idempotency-Key"
    assert_alike(fast, route)
    assert count_rows(engine, t.cases) == 1


def test_an_unauthenticated_request_is_401_whatever_its_body(pair: Pair) -> None:
    response = pair.fast.post(
        CASES, content=b'{"title": ', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 401
    assert "Bearer" in response.json()["message"]


def test_a_body_over_the_limit_is_413_and_files_nothing(
    pair: Pair, world: World, engine: sa.Engine
) -> None:
    padded = complaint_body(world, description="长" * 10) | {"padding": "x" * MAX_COMPLAINT_BYTES}
    fast, route = pair.both(json=padded, headers=pair.auth("alice"))
    assert (fast.status_code, route.status_code) == (413, 413)
    assert fast.json() == {"error": "http_error", "message": "上传内容过大"}  # the route's is text
    assert count_rows(engine, t.cases) == 0


def test_a_streamed_body_over_the_limit_is_413_without_a_declared_length(
    pair: Pair, world: World, engine: sa.Engine
) -> None:
    chunk = json.dumps(complaint_body(world)).encode()

    def stream() -> Iterator[bytes]:
        for _ in range(MAX_COMPLAINT_BYTES // len(chunk) + 2):
            yield chunk

    response = pair.fast.post(CASES, content=stream(), headers=pair.auth("alice"))
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert count_rows(engine, t.cases) == 0


def test_other_requests_to_the_same_path_still_reach_fastapi(pair: Pair, world: World) -> None:
    alice = pair.auth("alice")
    pair.fast.post(CASES, json=complaint_body(world), headers=alice)
    listed = pair.fast.get(CASES, headers=alice)
    assert listed.status_code == 200
    assert len(listed.json()["items"]) == 1
    assert pair.fast.put(CASES, json={}, headers=alice).status_code == 405
    assert CASES in pair.fast.get("/openapi.json").json()["paths"]


# Values of every JSON type, for any field of the complaint or of its nested objects.
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)
FIELDS = [
    "shop_id",
    "category",
    "title",
    "description",
    "claims",
    "order",
    "purpose",
    "noticed_on",
    "handled_elsewhere",
    "submit",
    "caller",
    "consumer_id",
    "unknown",
]
NESTED = {
    "claims": ["kind", "amount_fen", "note"],
    "order": ["platform", "order_no", "items", "amount_paid_fen", "ordered_at", "signed_at"],
    "caller": ["name", "phone"],
}


@st.composite
def mutated_complaints(draw: st.DrawFn, valid: dict[str, Any]) -> dict[str, Any]:
    body = json.loads(json.dumps(valid))
    for field in draw(st.lists(st.sampled_from(FIELDS), max_size=3, unique=True)):
        if field in NESTED and draw(st.booleans()):
            inner = {
                k: draw(json_values)
                for k in draw(st.lists(st.sampled_from(NESTED[field]), min_size=1, unique=True))
            }
            body[field] = [inner] if field == "claims" else inner
        elif draw(st.booleans()) and field in body:
            del body[field]
        else:
            body[field] = draw(json_values)
    return body


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_mutation_of_a_complaint_gets_the_same_answer_from_both(
    pair: Pair, world: World, data: st.DataObject
) -> None:
    body = data.draw(mutated_complaints(complaint_body(world)))
    fast, route = pair.both(json=body, headers=pair.auth("alice"))
    assert fast.status_code < 500, fast.text
    assert_alike(fast, route)


def test_a_client_that_hangs_up_mid_body_files_nothing_and_gets_no_answer(
    pair: Pair, world: World, engine: sa.Engine
) -> None:
    app = pair.fast.app
    body = json.dumps(complaint_body(world)).encode()
    messages = iter(
        [
            {"type": "http.request", "body": body[:40], "more_body": True},
            {"type": "http.disconnect"},
        ]
    )
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return next(messages)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "path": CASES,
        "raw_path": CASES.encode(),
        "root_path": "",
        "scheme": "http",
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in pair.auth("alice").items()],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
        "state": {},
    }
    pair.fast.portal.call(app, scope, receive, send)
    assert sent == []
    assert count_rows(engine, t.cases) == 0
