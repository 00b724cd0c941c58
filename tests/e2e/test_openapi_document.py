"""The OpenAPI document declares how to authenticate and every error an operation can answer,
in the shape the API really sends (issue 15, finding 10)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.e2e.conftest import Api


def document(client: TestClient) -> dict[str, Any]:
    answer = client.get("/openapi.json")
    assert answer.status_code == 200
    body: dict[str, Any] = answer.json()
    return body


def operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op)
        for path, ops in doc["paths"].items()
        for method, op in ops.items()
    ]


def schema_of(op: dict[str, Any], code: str) -> str:
    ref: str = op["responses"][code]["content"]["application/json"]["schema"]["$ref"]
    return ref.rsplit("/", 1)[-1]


def test_the_bearer_token_and_the_session_cookie_are_declared_security_schemes(
    client: TestClient,
) -> None:
    schemes = document(client)["components"]["securitySchemes"]
    assert schemes["bearer"] == {**schemes["bearer"], "type": "http", "scheme": "bearer"}
    assert (schemes["cookie"]["type"], schemes["cookie"]["in"], schemes["cookie"]["name"]) == (
        "apiKey",
        "cookie",
        "wq_session",
    )


def test_each_operation_says_whether_it_needs_a_token(client: TestClient) -> None:
    ops = {(m, p): op for m, p, op in operations(document(client))}
    assert ops["GET", "/api/v1/cases"]["security"] == [{"bearer": []}]
    assert ops["POST", "/api/v1/reports"]["security"] == [{}, {"bearer": []}]
    assert ops["POST", "/api/v1/assess"]["security"] == []
    assert ops["GET", "/api/v1/merchants/{merchant_id}/grade"]["security"] == []


def test_every_operation_declares_its_errors_with_the_error_schema(client: TestClient) -> None:
    doc = document(client)
    assert set(doc["components"]["schemas"]["Error"]["required"]) == {"error", "message"}
    for method, path, op in operations(doc):
        assert schema_of(op, "422") == "ValidationFailed", (method, path)
        if op["security"] == [{"bearer": []}]:
            assert {schema_of(op, code) for code in ("401", "403", "404")} == {"Error"}, path
        if method == "POST":
            assert {schema_of(op, code) for code in ("409", "413")} == {"Error"}, path


def test_creating_posts_document_the_idempotency_key_and_the_token_endpoint_does_not(
    client: TestClient,
) -> None:
    ops = {(m, p): op for m, p, op in operations(document(client))}

    def headers(method: str, path: str) -> list[str]:
        return [p["name"] for p in ops[method, path].get("parameters", []) if p["in"] == "header"]

    for path in (
        "/api/v1/cases",
        "/api/v1/cases/{case_id}/{action}",
        "/api/v1/reports",
        "/api/v1/merchant-disputes",
    ):
        assert headers("POST", path) == ["Idempotency-Key"], path
    assert headers("POST", "/api/v1/auth/token") == []


def test_the_declared_error_shape_is_the_one_sent(api: Api) -> None:
    unauthenticated = api.client.get("/api/v1/cases")
    missing = api.client.get("/api/v1/cases/nope", headers=api.headers("alice"))
    for answer in (unauthenticated, missing):
        assert {"error", "message"} <= set(answer.json())
    assert (unauthenticated.status_code, missing.status_code) == (401, 404)
