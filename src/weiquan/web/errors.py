"""One translation of domain errors into HTTP responses: JSON for the API, a page for people."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from weiquan.domain.errors import DomainError

log = logging.getLogger("weiquan.web")

_PYDANTIC_MESSAGES = {
    "missing": "必填项",
    "extra_forbidden": "不认识的字段",
    "int_type": "应为整数",
    "string_type": "应为文本",
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
    "list_type": "应为列表",
}


def _field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for error in exc.errors():
        location = [str(part) for part in error.get("loc", ()) if part not in ("body",)]
        kind = str(error.get("type", ""))
        message = _PYDANTIC_MESSAGES.get(kind, str(error.get("msg", "无效")))
        field = "body" if kind == "json_invalid" else ".".join(location) or "body"
        out.append({"field": field, "message": message, "detail": str(error.get("msg", ""))})
    return out


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> Response:
        if exc.http_status >= 500:
            log.error("integrity error on %s: %s", request.url.path, exc.code)
        return JSONResponse(exc.as_dict(), status_code=exc.http_status)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> Response:
        errors = _field_errors(exc)
        first = errors[0] if errors else {"field": "body", "message": "无效的请求"}
        body = {
            "error": "validation_failed",
            "message": f"{first['field']}: {first['message']}",
            "field": first["field"],
            "errors": errors,
        }
        return JSONResponse(body, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> Response:
        messages = {404: "找不到该页面或资源", 405: "不支持该请求方法", 413: "上传内容过大"}
        body = {"error": "http_error", "message": messages.get(exc.status_code, str(exc.detail))}
        return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)
