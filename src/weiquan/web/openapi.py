"""The OpenAPI document as the API really behaves: how to authenticate, which errors each
operation can answer and in what shape, and where an ``Idempotency-Key`` is honoured.

FastAPI derives paths and bodies from the routes; this adds what it cannot see. Whether an
operation needs a token is read from its dependencies (the ``api_principal`` dependency, or
the optional one of the 举报 endpoints), so a new route is described correctly without a list.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts

from weiquan.web.api_trust import optional_principal
from weiquan.web.deps import api_principal
from weiquan.web.idempotency import honoured

SESSION_COOKIE = "wq_session"  # as create_app configures the session middleware

Json = dict[str, Any]
ERROR = {"$ref": "#/components/schemas/Error"}
VALIDATION_ERROR = {"$ref": "#/components/schemas/ValidationFailed"}

SECURITY_SCHEMES: Json = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "A token from `POST /api/v1/auth/token`, sent as "
        "`Authorization: Bearer <token>`; valid 90 days.",
    },
    "cookie": {
        "type": "apiKey",
        "in": "cookie",
        "name": SESSION_COOKIE,
        "description": "The signed session of the web pages (after `/login`); page forms also "
        "need their CSRF field. The JSON API takes the bearer token.",
    },
}

SCHEMAS: Json = {
    "Error": {
        "type": "object",
        "required": ["error", "message"],
        "properties": {
            "error": {"type": "string", "description": "a stable code, e.g. not_found"},
            "message": {"type": "string", "description": "what went wrong, for a person"},
            "field": {"type": "string", "description": "the input at fault, when there is one"},
        },
    },
    "ValidationFailed": {
        "type": "object",
        "required": ["error", "message"],
        "properties": {
            "error": {"type": "string"},
            "message": {"type": "string"},
            "field": {"type": "string"},
            "errors": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "field": {"type": "string"},
                        "message": {"type": "string"},
                        "detail": {"type": "string"},
                    },
                },
            },
        },
    },
}

RESPONSES: dict[str, tuple[str, Json]] = {
    "401": ("Not signed in, or the token is unknown, expired or revoked", ERROR),
    "403": ("Signed in, but this role may not do this", ERROR),
    "404": ("No such record, or one you may not see", ERROR),
    "409": ("Conflicts with the record's state, or an Idempotency-Key reused", ERROR),
    "413": ("The request body is over the limit", ERROR),
    "422": ("The input is invalid; `field` names it", VALIDATION_ERROR),
}

IDEMPOTENCY_KEY: Json = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Send the same key when retrying: the first answer is returned again and "
    "nothing is created twice; the same key with another request is a 409.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 100},
}


def install(app: FastAPI) -> None:
    def openapi() -> Json:
        if app.openapi_schema is None:
            app.openapi_schema = describe(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def describe(app: FastAPI) -> Json:
    document = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
    )
    components = document.setdefault("components", {})
    components.setdefault("securitySchemes", {}).update(SECURITY_SCHEMES)
    components.setdefault("schemas", {}).update(SCHEMAS)
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and route.include_in_schema:
            for method in route.methods:
                operation = document["paths"].get(route.path_format, {}).get(method.lower())
                if operation is not None:
                    _describe_operation(operation, route, method)
    return document


def _describe_operation(operation: Json, route: APIRoute, method: str) -> None:
    needs = _token(route.dependant)
    operation["security"] = {
        "required": [{"bearer": []}],
        "optional": [{}, {"bearer": []}],
        "none": [],
    }[needs]
    codes = {"422"}
    if needs != "none":
        codes.add("401")
    if needs == "required":
        codes |= {"403", "404"}
    if "{" in route.path_format:
        codes.add("404")
    if method == "POST":
        codes |= {"409", "413"}
    responses = operation.setdefault("responses", {})
    for code in sorted(codes):
        description, schema = RESPONSES[code]
        responses[code] = {
            "description": description,
            "content": {"application/json": {"schema": schema}},
        }
    if honoured(method, route.path_format):
        parameters = operation.setdefault("parameters", [])
        if not any(p.get("name") == "Idempotency-Key" for p in parameters):
            parameters.append(IDEMPOTENCY_KEY)


def _token(dependant: Dependant) -> str:
    """'required', 'optional' or 'none': whether the operation needs a bearer token."""
    calls = set(_calls(dependant))
    if api_principal in calls:
        return "required"
    if optional_principal in calls:
        return "optional"
    return "none"


def _calls(dependant: Dependant) -> list[Callable[..., Any]]:
    found = [dependant.call] if dependant.call is not None else []
    for sub in dependant.dependencies:
        found += _calls(sub)
    return found
