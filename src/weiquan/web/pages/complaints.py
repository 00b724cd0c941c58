"""Filing a complaint: the consumer's guided form and the hotline operator's fast intake.

One form, in steps on one page: what happened → the purchase → what you want (with the rules
engine's findings beside it) → evidence → the statement's civility hint → review → submit. htmx refreshes the
findings and the hint as the person types; without JavaScript the "check" button does the same.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import replace
from functools import cache
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from weiquan.adapters.text.civility import CivilityChecker, default_checker
from weiquan.domain.accounts import Principal, Role
from weiquan.domain.calendar import china_date
from weiquan.domain.cases import Category, ClaimKind
from weiquan.domain.errors import DomainError
from weiquan.domain.evidence_files import display_filename
from weiquan.services import cases as case_service
from weiquan.services import evidence as evidence_service
from weiquan.services import merchants
from weiquan.services.context import Services
from weiquan.services.rules import assess_claims, assess_facts
from weiquan.web.api_rules import rules_calendar
from weiquan.web.deps import NowDep, PagePrincipal, ServicesDep
from weiquan.web.i18n import gettext
from weiquan.web.messages import findings_error, page_message
from weiquan.web.pages import complaint_evidence
from weiquan.web.pages.common import is_htmx, redirect, render, require_role
from weiquan.web.pages.complaint_form import (
    FIELD_INPUTS,
    GOODS_KINDS,
    ComplaintForm,
    claims_body,
    form_errors,
    rules_facts,
    to_command,
)
from weiquan.web.pages.complaint_ocr import read_screenshot
from weiquan.web.security import require_csrf

router = APIRouter(include_in_schema=False)
MAX_SCREENSHOT = 10 * 1024 * 1024


@cache
def civility_checker() -> CivilityChecker:
    return default_checker()


def _findings(request: Request, form: ComplaintForm, now: Any) -> dict[str, Any]:
    """The findings, and once a claim is chosen, whether the law supports it (never blocking)."""
    try:
        facts = rules_facts(form, china_date(now))
        calendar = rules_calendar(request)
        body = claims_body(form, facts)
        if body is None:
            return {"result": assess_facts(facts, calendar=calendar), "error": None}
        return {"result": assess_claims(body, calendar=calendar), "error": None}
    except DomainError as exc:
        return {"result": None, "error": findings_error(exc)}


def _civility(form: ComplaintForm) -> Any:
    return civility_checker().assess(form.description) if form.description else None


def _shops(svc: Services) -> list[tuple[str, str, str]]:
    return [(s.id, s.name, s.platform) for _m, s in merchants.list_shops(svc)]


def _form_context(
    request: Request, svc: Services, form: ComplaintForm, *, hotline: bool, **extra: Any
) -> dict[str, Any]:
    return {
        **complaint_evidence.step_context(request.session),
        "form": form,
        "shops": _shops(svc),
        "categories": list(Category),
        "claim_kinds": list(ClaimKind),
        "goods_kinds": GOODS_KINDS,
        "hotline": hotline,
        "action_url": "/hotline/new" if hotline else "/complaints/new",
        "errors": {},
        "findings": None,
        "civility": None,
        "ocr_read": None,
        "ocr_done": False,
        **extra,
    }


def _page(request: Request, who: Principal, svc: Services, hotline: bool) -> Response:
    context = _form_context(request, svc, ComplaintForm(), hotline=hotline)
    return render(request, "complaints/new.html", who, **context)


@router.get("/complaints/new")
def new_complaint(request: Request, principal: PagePrincipal, svc: ServicesDep) -> Response:
    who = require_role(principal, Role.CONSUMER)
    # A fresh form starts with no files; ones staged for an abandoned form are not carried over.
    request.session.pop(complaint_evidence.SESSION_KEY, None)
    return _page(request, who, svc, hotline=False)


@router.get("/hotline/new")
def hotline_intake(request: Request, principal: PagePrincipal, svc: ServicesDep) -> Response:
    return _page(request, require_role(principal, Role.OPERATOR), svc, hotline=True)


@router.post("/complaints/new")
async def file_complaint(
    request: Request, principal: PagePrincipal, svc: ServicesDep, now: NowDep
) -> Response:
    who = require_role(principal, Role.CONSUMER)
    # Closed on the way out, so the uploaded files' temporary copies do not linger.
    async with request.form() as submitted:
        raw = {k: v for k, v in submitted.items() if isinstance(v, str)}
        screenshot = submitted.get("screenshot")
        if raw.get("step") == "ocr" and isinstance(screenshot, UploadFile):
            image = await screenshot.read(MAX_SCREENSHOT + 1)
            raw["screenshot_name"] = screenshot.filename or "order.png"
            return await run_in_threadpool(_screenshot, request, svc, who, now, raw, image)
        step = raw.get("step", "")
        upload = submitted.get("evidence_file")
        file = upload if isinstance(upload, UploadFile) else None
        if step == "evidence" or step.startswith("remove-"):
            return await run_in_threadpool(_evidence_step, request, svc, who, now, raw, file)
        if file is not None and file.filename and step in ("check", "review"):
            # A file chosen but not added yet is added on the way on, rather than silently dropped.
            staging = {**raw, "step": "evidence", "then": step}
            return await run_in_threadpool(_evidence_step, request, svc, who, now, staging, file)
        return await run_in_threadpool(_submit, request, svc, who, now, raw, hotline=False)


@router.post("/hotline/new")
async def file_hotline(
    request: Request, principal: PagePrincipal, svc: ServicesDep, now: NowDep
) -> Response:
    who = require_role(principal, Role.OPERATOR)
    raw = {k: str(v) for k, v in (await request.form()).items()}
    return await run_in_threadpool(_submit, request, svc, who, now, raw, hotline=True)


def _submit(
    request: Request,
    svc: Services,
    who: Principal,
    now: Any,
    raw: dict[str, str],
    hotline: bool,
) -> Response:
    require_csrf(request, raw.get("csrf", ""))
    form = ComplaintForm.from_raw(raw)
    step = raw.get("step", "review")
    shops = {s[0]: s[2] for s in _shops(svc)}
    errors = form_errors(form, china_date(now), hotline=hotline)
    if errors:
        return _form_with_errors(request, svc, who, now, form, errors, hotline=hotline)
    try:
        cmd = to_command(form, platform=shops.get(form.shop_id, ""), hotline=hotline)
        if step == "submit":
            case, _ = case_service.file_complaint(svc, cmd, principal=who, now=now)
            if not hotline:
                _attach_screenshot(request, svc, who, now, case.id, keep=form.keep_screenshot)
                complaint_evidence.attach_all(svc, request.session, who, now, case.id)
            return redirect(f"/cases/{case.id}" if not hotline else f"/hotline/filed/{case.number}")
    except DomainError as exc:
        field = FIELD_INPUTS.get(exc.field or "") or _input_named(exc.field)
        return _form_with_errors(
            request, svc, who, now, form, {field: page_message(exc)}, hotline=hotline
        )
    template = "complaints/review.html" if step == "review" else "complaints/new.html"
    context = _form_context(
        request,
        svc,
        form,
        hotline=hotline,
        findings=_findings(request, form, now),
        civility=_civility(form),
        shop_name=next((s[1] for s in _shops(svc) if s[0] == form.shop_id), ""),
    )
    return render(request, template, who, **context)


def _input_named(field: str | None) -> str:
    """The form input a domain field names, or the form as a whole (never a stray name)."""
    return field if field in ComplaintForm.__dataclass_fields__ else "form"


def _screenshot(
    request: Request, svc: Services, who: Principal, now: Any, raw: dict[str, str], image: bytes
) -> Response:
    require_csrf(request, raw.get("csrf", ""))
    form = ComplaintForm.from_raw(raw)
    if not image:
        errors = {"screenshot": gettext("请先选择一张订单截图")}
        return _form_with_errors(request, svc, who, now, form, errors, hotline=False)
    try:
        form, read = read_screenshot(form, image, _shops(svc))
        staged = evidence_service.stage_file(svc, [image])
    except DomainError as exc:
        return _form_with_errors(
            request, svc, who, now, form, {"screenshot": page_message(exc)}, hotline=False
        )
    # Kept until the complaint is filed, when the consumer may attach it as evidence; the signed
    # session cookie holds the reference, so a form field cannot point at someone else's file.
    name = display_filename(raw["screenshot_name"], max_length=40)  # the cookie stays small
    request.session[_STAGED] = {"sha256": staged.sha256, "name": name}
    form = replace(form, keep_screenshot="on")
    findings = _findings(request, form, now)
    context = _form_context(
        request, svc, form, hotline=False, findings=findings, ocr_read=read, ocr_done=True
    )
    return render(request, "complaints/new.html", who, **context)


_STAGED = "wizard_screenshot"


def _attach_screenshot(
    request: Request, svc: Services, who: Principal, now: Any, case_id: str, *, keep: str
) -> None:
    """Attaches the screenshot read in the wizard, when the consumer chose to keep it."""
    staged = request.session.pop(_STAGED, None)
    if keep != "on" or not isinstance(staged, dict):
        return
    # The complaint stands if this fails; the case page offers the upload again.
    with suppress(DomainError):
        evidence_service.add_staged_evidence(
            svc,
            case_id=case_id,
            sha256=str(staged["sha256"]),
            filename=str(staged["name"]),
            principal=who,
            now=now,
            description=gettext("提交投诉时识别的订单截图"),
        )


def _evidence_step(
    request: Request,
    svc: Services,
    who: Principal,
    now: Any,
    raw: dict[str, str],
    file: UploadFile | None,
) -> Response:
    """Adds or removes a staged file; the form stays as typed, and nothing is filed yet."""
    require_csrf(request, raw.get("csrf", ""))
    step = raw.get("step", "")
    errors: dict[str, str] = {}
    if step == "evidence":
        refusal = complaint_evidence.stage_upload(
            svc,
            request.session,
            kind=raw.get("evidence_kind", ""),
            filename=(file.filename or "") if file is not None else "",
            read=file.file.read if file is not None else _nothing,
        )
        if refusal:
            errors["evidence_file"] = refusal
        elif raw.get("then"):
            return _submit(request, svc, who, now, {**raw, "step": raw["then"]}, hotline=False)
    else:
        complaint_evidence.remove(request.session, step.removeprefix("remove-"))
        if raw.get("page") == "review":
            return _submit(request, svc, who, now, {**raw, "step": "review"}, hotline=False)
    # A refused file keeps its chosen kind for the retry; after a success the choice starts over.
    kind = raw.get("evidence_kind", "") if errors else ""
    if is_htmx(request):
        # htmx swaps only 2xx answers; the refusal is in the fragment it replaces.
        context = {**complaint_evidence.step_context(request.session, kind), "errors": errors}
        return render(request, "complaints/_evidence.html", who, **context)
    form = ComplaintForm.from_raw(raw)
    context = _form_context(
        request,
        svc,
        form,
        hotline=False,
        errors=errors,
        findings=_findings(request, form, now),
        civility=_civility(form),
        **complaint_evidence.step_context(request.session, kind),
    )
    status = 422 if errors else 200
    return render(request, "complaints/new.html", who, status_code=status, **context)


def _nothing(_size: int) -> bytes:
    return b""


def _form_with_errors(
    request: Request,
    svc: Services,
    who: Principal,
    now: Any,
    form: ComplaintForm,
    errors: dict[str, str],
    *,
    hotline: bool,
) -> Response:
    context = _form_context(
        request,
        svc,
        form,
        hotline=hotline,
        errors=errors,
        findings=_findings(request, form, now),
        civility=_civility(form),
    )
    return render(request, "complaints/new.html", who, status_code=422, **context)


@router.post("/complaints/assist")
async def assist(request: Request, principal: PagePrincipal, now: NowDep) -> Response:
    """htmx: the findings and the civility hint for the form as typed so far."""
    who = require_role(principal, Role.CONSUMER, Role.OPERATOR)
    raw = {k: str(v) for k, v in (await request.form()).items()}
    require_csrf(request, raw.get("csrf", ""))
    form = ComplaintForm.from_raw(raw)
    findings = await run_in_threadpool(_findings, request, form, now)
    civility = await run_in_threadpool(_civility, form)
    context = {"findings": findings, "civility": civility}
    return render(request, "complaints/_assist.html", who, **context)


@router.get("/hotline/filed/{number}")
def hotline_filed(number: str, request: Request, principal: PagePrincipal) -> Response:
    who = require_role(principal, Role.OPERATOR)
    return render(request, "complaints/hotline_filed.html", who, number=number[:40])
