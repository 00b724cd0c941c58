"""One translation of domain errors into HTTP responses: JSON for the API, a page for people."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from weiquan.domain.accounts import Principal
from weiquan.domain.errors import DomainError, TooManyRequests
from weiquan.services import accounts
from weiquan.web.i18n import n_
from weiquan.web.messages import in_page_language, page_message
from weiquan.web.sessions import session_user_id

log = logging.getLogger("weiquan.web")

_PYDANTIC_MESSAGES = {
    "missing": "必填项",
    "extra_forbidden": "不认识的字段",
    "int_type": "应为整数",
    "string_type": "应为文本",
    "string_unicode": "含有无法识别的字符",
    "bool_type": "应为 true 或 false",
    "greater_than": "数值过小",
    "less_than_equal": "数值过大",
    "string_too_long": "文本过长",
    "string_too_short": "不能为空",
    "enum": "不在可选范围内",
    "json_invalid": "请求体不是有效的 JSON",
    "timezone_aware": "时间须带时区，例如 2026-11-20T10:00:00+08:00",
    "date_from_datetime_parsing": "日期格式应为 YYYY-MM-DD",
    "datetime_from_date_parsing": "时间格式应为 ISO 8601",
    "too_long": "条目过多",
    "too_short": "至少需要一项",
    "literal_error": "不在可选范围内",
    "model_type": "应为对象",
    "model_attributes_type": "应为对象",
    "list_type": "应为列表",
}


NOT_JSON = n_("请求体须为 JSON（Content-Type: application/json）")
HTTP_MESSAGES = {
    400: n_("请求体无法解析：须为 UTF-8 编码的 JSON"),  # the one 400 FastAPI raises itself
    404: n_("找不到该页面或资源"),
    405: n_("不支持该请求方法"),
    413: n_("上传内容过大"),
}


def http_error_body(status: int, detail: str = "") -> dict[str, str]:
    """The API's body for an HTTP-level refusal (bad encoding, wrong method, too large)."""
    return {"error": "http_error", "message": HTTP_MESSAGES.get(status, detail)}


def field_errors(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """Pydantic's error list as fields a person can find, each with a message in Chinese."""
    out = []
    for error in errors:
        location = [str(part) for part in error.get("loc", ()) if part not in ("body",)]
        kind = str(error.get("type", ""))
        message = _PYDANTIC_MESSAGES.get(kind, str(error.get("msg", "无效")))
        field = "body" if kind == "json_invalid" else ".".join(location) or "body"
        if kind == "model_attributes_type" and isinstance(error.get("input"), bytes):
            message = NOT_JSON  # the body was read as bytes: it was not sent as JSON
        out.append({"field": field, "message": message, "detail": str(error.get("msg", ""))})
    return out


def validation_body(errors: list[dict[str, Any]]) -> dict[str, Any]:
    """The API's 422 body: the first problem in ``message`` and ``field``, all in ``errors``."""
    first = errors[0] if errors else {"field": "body", "message": "无效的请求"}
    return {
        "error": "validation_failed",
        "message": f"{first['field']}: {first['message']}",
        "field": first["field"],
        "errors": errors,
    }


def wants_page(request: Request) -> bool:
    """People get pages; programs (the API, the health check) get JSON."""
    path = request.url.path
    return not (path.startswith(("/api/", "/healthz", "/openapi.json")))


async def _page_principal(request: Request) -> Principal | None:
    user_id = session_user_id(request)
    if user_id is None:
        return None
    services = request.app.state.context.services
    return await run_in_threadpool(accounts.principal_for_user, services, user_id)


async def error_page(request: Request, status: int, message: str) -> Response:
    from weiquan.web.pages.common import render  # noqa: PLC0415 - pages import this module's app

    if status == 401:
        target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        return RedirectResponse(f"/login?next={target}", status_code=303)
    principal = await _page_principal(request)
    shown = in_page_language(message, status)
    return render(
        request, "error.html", principal, status_code=status, status=status, message=shown
    )


def refusal_headers(exc: DomainError) -> dict[str, str]:
    """A throttle's refusal says when to come back (RFC 9110 Retry-After, in seconds)."""
    if isinstance(exc, TooManyRequests):
        return {"Retry-After": str(exc.retry_after_seconds)}
    return {}


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> Response:
        if exc.http_status >= 500:
            log.error("integrity error on %s: %s", request.url.path, exc.code)
        headers = {}
        if isinstance(exc, TooManyRequests):
            headers["Retry-After"] = str(exc.retry_after_seconds)
        if wants_page(request):
            page = await error_page(request, exc.http_status, page_message(exc))
            page.headers.update(headers)
            return page
        return JSONResponse(exc.as_dict(), status_code=exc.http_status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        errors = field_errors(exc.errors())
        if wants_page(request):
            # A page names no field: the person sees a sentence, not the request's structure.
            first_error = errors[0] if errors else {"field": "", "message": "无效的请求"}
            return await error_page(request, 422, first_error["message"])
        return JSONResponse(validation_body(errors), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if wants_page(request) and exc.status_code in HTTP_MESSAGES:
            return await error_page(request, exc.status_code, HTTP_MESSAGES[exc.status_code])
        body = http_error_body(exc.status_code, str(exc.detail))
        return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)
