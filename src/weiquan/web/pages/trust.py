"""Merchant trust pages: the public merchant page (grade, why, history, reviews, pledges),
writing and appealing reviews, deciding appeals, and 举报 reports with their statutory clocks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from weiquan.domain.accounts import Principal, Role
from weiquan.domain.errors import DomainError, NotFound, ValidationFailed
from weiquan.domain.trust import reports as rp
from weiquan.domain.trust import reviews as rv
from weiquan.services import trust_reports, trust_reviews, views
from weiquan.services.context import Services
from weiquan.web.deps import NowDep, PagePrincipal, ServicesDep
from weiquan.web.i18n import gettext, n_
from weiquan.web.messages import page_message
from weiquan.web.pages.common import form_error, redirect, render, require_role
from weiquan.web.pages.grade_text import GRADE_LABELS, grade_text
from weiquan.web.security import require_csrf

router = APIRouter(include_in_schema=False)

VETTING_LABELS = {
    "unvetted": n_("未认证"),
    "pending": n_("认证审核中"),
    "approved": n_("已认证"),
    "suspended": n_("认证已暂停"),
    "revoked": n_("认证已撤销"),
}
APPEAL_GROUNDS = {
    rv.AppealGround.NO_TRANSACTION: n_("无真实交易"),
    rv.AppealGround.EXTORTION: n_("以差评相要挟索取财物"),
    rv.AppealGround.UNRELATED: n_("与商品或服务无关"),
    rv.AppealGround.ABUSIVE: n_("侮辱谩骂"),
    rv.AppealGround.COMPETITOR: n_("同行恶意评价"),
}
VIOLATIONS = {
    rp.Violation.COUNTERFEIT: n_("假冒伪劣"),
    rp.Violation.FALSE_ADVERTISING: n_("虚假宣传"),
    rp.Violation.FAKE_REVIEWS: n_("刷单炒信/虚假评价"),
    rp.Violation.UNSAFE_GOODS: n_("不安全商品"),
    rp.Violation.PERSONAL_DATA_MISUSE: n_("滥用个人信息"),
    rp.Violation.UNLICENSED: n_("无证无照经营"),
    rp.Violation.OTHER: n_("其他违法行为"),
}
FINDINGS = {
    rp.Finding.SUBSTANTIATED: n_("查实"),
    rp.Finding.UNSUBSTANTIATED: n_("未查实"),
    rp.Finding.REFERRED: n_("已移送主管部门"),
}
REPORT_STATUS = {
    "received": n_("待处理"),
    "decided": n_("已处理"),
    "closed": n_("已办结"),
}
_REPORT_READERS = (Role.MEDIATOR, Role.REGULATOR, Role.MERCHANT)


def _label(table: dict[Any, str], key: Any) -> str:
    text = table.get(key)
    return gettext(text) if text else str(key)


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


# --- the public merchant page ------------------------------------------------------------------


def _merchant_context(
    svc: Services, merchant_id: str, principal: Principal | None, **extra: Any
) -> dict[str, Any]:
    profile = views.merchant_profile(svc, merchant_id)
    own = principal is not None and principal.merchant_id == merchant_id
    return {
        "profile": profile,
        "merchant": profile.merchant,
        "shops": profile.shops,
        "grade": profile.grade.grade,
        "grade_text": grade_text(profile.grade.grade),
        "history": profile.grade.history,
        "history_label": lambda g: _label(GRADE_LABELS, g),
        "vetting_label": _label(VETTING_LABELS, profile.vetting_status),
        "reviewable": views.reviewable_cases(svc, merchant_id, principal=principal)
        if principal
        else [],
        "is_owner": own,
        "appeal_grounds": [(g.value, gettext(text)) for g, text in APPEAL_GROUNDS.items()],
        "review_error": None,
        "review_values": {"stars": "", "text": "", "case_id": ""},
        "appeal_error": None,
        "appeal_values": {"review_id": "", "ground": "", "statement": ""},
        **extra,
    }


@router.get("/merchants/{merchant_id}")
def merchant_page(
    merchant_id: str, request: Request, principal: PagePrincipal, svc: ServicesDep
) -> Response:
    context = _merchant_context(svc, merchant_id, principal)
    return render(request, "public/merchant.html", principal, **context)


async def _form(request: Request) -> dict[str, str]:
    # Nothing is cut: text over a field's limit is refused with the count (see page_message).
    raw = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    require_csrf(request, raw.get("csrf", ""))
    return raw


@router.post("/merchants/{merchant_id}/reviews")
async def write_review(
    merchant_id: str, request: Request, principal: PagePrincipal, svc: ServicesDep, now: NowDep
) -> Response:
    who = require_role(principal, Role.CONSUMER)
    raw = await _form(request)
    return await run_in_threadpool(_write_review, request, svc, who, merchant_id, now, raw)


def _write_review(
    request: Request,
    svc: Services,
    who: Principal,
    merchant_id: str,
    now: datetime,
    raw: dict[str, str],
) -> Response:
    values = {k: raw.get(k, "") for k in ("stars", "text", "case_id")}
    try:
        if values["stars"] not in {"1", "2", "3", "4", "5"}:
            raise ValidationFailed(gettext("请选择 1–5 星"), field="stars")
        trust_reviews.write_review(
            svc,
            principal=who,
            merchant_id=merchant_id,
            stars=int(values["stars"]),
            text=values["text"],
            case_id=values["case_id"] or None,
            now=now,
        )
    except DomainError as exc:
        error = form_error(exc)
        context = _merchant_context(svc, merchant_id, who, review_error=error, review_values=values)
        return render(request, "public/merchant.html", who, status_code=422, **context)
    return redirect(f"/merchants/{merchant_id}#reviews-title")


@router.post("/reviews/{review_id}/appeal")
async def appeal_review(
    review_id: str, request: Request, principal: PagePrincipal, svc: ServicesDep, now: NowDep
) -> Response:
    who = require_role(principal, Role.MERCHANT)
    raw = await _form(request)
    return await run_in_threadpool(_appeal, request, svc, who, review_id, now, raw)


def _appeal(
    request: Request,
    svc: Services,
    who: Principal,
    review_id: str,
    now: datetime,
    raw: dict[str, str],
) -> Response:
    values = {"review_id": review_id, **{k: raw.get(k, "") for k in ("ground", "statement")}}
    merchant_id = who.merchant_id or ""
    try:
        ground = (
            rv.AppealGround(values["ground"]) if values["ground"] in set(rv.AppealGround) else None
        )
        if ground is None:
            raise ValidationFailed(gettext("请选择申诉理由"), field="ground")
        trust_reviews.appeal(
            svc, review_id, principal=who, ground=ground, statement=values["statement"], now=now
        )
    except DomainError as exc:
        error = form_error(exc)
        context = _merchant_context(svc, merchant_id, who, appeal_error=error, appeal_values=values)
        return render(request, "public/merchant.html", who, status_code=422, **context)
    return redirect(f"/merchants/{merchant_id}#review-{review_id}")


# --- appeals, decided by a mediator --------------------------------------------------------------


def _appeals_context(svc: Services, who: Principal, **extra: Any) -> dict[str, Any]:
    queue = trust_reviews.appeal_queue(svc, principal=who)
    names = {m.id: m.name for m, _shops in views.merchant_directory(svc)}
    return {
        "queue": queue,
        "merchant_names": names,
        "ground_label": lambda g: _label(APPEAL_GROUNDS, g),
        "moment": _moment,
        "decision_error": None,
        "decision_values": {"review_id": "", "reason": ""},
        **extra,
    }


@router.get("/mediator/review-appeals")
def review_appeals(request: Request, principal: PagePrincipal, svc: ServicesDep) -> Response:
    who = require_role(principal, Role.MEDIATOR)
    return render(request, "mediator/review_appeals.html", who, **_appeals_context(svc, who))


@router.post("/reviews/{review_id}/decision")
async def decide_appeal(
    review_id: str, request: Request, principal: PagePrincipal, svc: ServicesDep, now: NowDep
) -> Response:
    who = require_role(principal, Role.MEDIATOR)
    raw = await _form(request)
    return await run_in_threadpool(_decide, request, svc, who, review_id, now, raw)


def _decide(
    request: Request,
    svc: Services,
    who: Principal,
    review_id: str,
    now: datetime,
    raw: dict[str, str],
) -> Response:
    values = {"review_id": review_id, "reason": raw.get("reason", "")}
    try:
        trust_reviews.decide_appeal(
            svc,
            review_id,
            principal=who,
            uphold=raw.get("uphold") == "yes",
            reason=values["reason"],
            now=now,
        )
    except DomainError as exc:
        error = form_error(exc, default_field="reason")
        context = _appeals_context(svc, who, decision_error=error, decision_values=values)
        return render(request, "mediator/review_appeals.html", who, status_code=422, **context)
    return redirect("/mediator/review-appeals")


# --- 举报 reports ------------------------------------------------------------------------------


def _report_form_context(
    svc: Services, merchant_id: str, principal: Principal | None, **extra: Any
) -> dict[str, Any]:
    profile = views.merchant_profile(svc, merchant_id, reviews=0)
    return {
        "merchant": profile.merchant,
        "shops": profile.shops,
        "violations": [(v.value, gettext(text)) for v, text in VIOLATIONS.items()],
        "errors": {},
        "values": {
            "violation": "",
            "description": "",
            "contact": "",
            "anonymous": "",
            "shop_id": "",
        },
        "forced_anonymous": principal is not None and principal.role is Role.MERCHANT,
        **extra,
    }


@router.get("/merchants/{merchant_id}/report")
def report_form(
    merchant_id: str, request: Request, principal: PagePrincipal, svc: ServicesDep
) -> Response:
    context = _report_form_context(svc, merchant_id, principal)
    return render(request, "trust/report_form.html", principal, **context)


@router.post("/merchants/{merchant_id}/report")
async def submit_report(
    merchant_id: str, request: Request, principal: PagePrincipal, svc: ServicesDep, now: NowDep
) -> Response:
    raw = await _form(request)
    return await run_in_threadpool(_report, request, svc, principal, merchant_id, now, raw)


def _report(
    request: Request,
    svc: Services,
    who: Principal | None,
    merchant_id: str,
    now: datetime,
    raw: dict[str, str],
) -> Response:
    names = ("violation", "description", "contact", "anonymous", "shop_id")
    values = {k: raw.get(k, "") for k in names}
    anonymous = values["anonymous"] == "on" or who is None
    try:
        if values["violation"] not in set(rp.Violation):
            raise ValidationFailed(gettext("请选择违法行为的类型"), field="violation")
        report = trust_reports.submit_report(
            svc,
            principal=who,
            merchant_id=merchant_id,
            violation=rp.Violation(values["violation"]),
            description=values["description"],
            contact=values["contact"],
            anonymous=anonymous,
            shop_id=values["shop_id"] or None,
            now=now,
        )
    except DomainError as exc:
        if exc.http_status == 404:
            raise
        errors = {exc.field if exc.field in names else "form": page_message(exc)}
        context = _report_form_context(svc, merchant_id, who, errors=errors, values=values)
        return render(request, "trust/report_form.html", who, status_code=422, **context)
    context = {
        "report": report,
        "merchant_id": merchant_id,
        "violation_label": _label(VIOLATIONS, report.violation),
    }
    return render(request, "trust/report_received.html", who, **context)


@router.get("/reports")
def report_list(
    request: Request, principal: PagePrincipal, svc: ServicesDep, now: NowDep
) -> Response:
    """Staff and regulators see who reported and the clocks; a merchant sees only what it must
    answer, never the reporter."""
    who = require_role(principal, *_REPORT_READERS)
    reports = trust_reports.list_reports(svc, principal=who, limit=200)
    staff = who.role is not Role.MERCHANT
    reporters = {r["reporter_id"] for r in reports if staff and r.get("reporter_id")}
    context: dict[str, Any] = {
        "reports": reports,
        "staff": staff,
        "reporter_names": views.display_names(svc, reporters) if staff else {},
        "merchant_names": {m.id: m.name for m, _shops in views.merchant_directory(svc)},
        "violation_label": lambda v: _label(VIOLATIONS, v),
        "status_text": lambda s: _label(REPORT_STATUS, s),
        "finding_label": lambda f: _label(FINDINGS, f),
        "moment": _moment,
        "now": now,
    }
    return render(request, "trust/reports.html", who, **context)


# --- deciding a report: mediators, administrators, regulators -------------------------------------

_REPORT_DECIDERS = (Role.MEDIATOR, Role.ADMIN, Role.REGULATOR)
_REPORT_STEPS = ("decision", "extend", "notify")


def _report_context(
    svc: Services, who: Principal, report_id: str, now: datetime, **extra: Any
) -> dict[str, Any]:
    report = trust_reports.get_report(svc, report_id, principal=who)
    reporter = report.get("reporter_id")
    return {
        "r": report,
        "merchant_names": {m.id: m.name for m, _shops in views.merchant_directory(svc)},
        "reporter_name": views.display_names(svc, {reporter}).get(reporter) if reporter else None,
        "violation_label": lambda v: _label(VIOLATIONS, v),
        "status_text": lambda s: _label(REPORT_STATUS, s),
        "finding_label": lambda f: _label(FINDINGS, f),
        "findings": [(f.value, gettext(text)) for f, text in FINDINGS.items()],
        "moment": _moment,
        "now": now,
        "error": None,
        "step": "",
        "values": {"finding": "", "reason": "", "message": ""},
        **extra,
    }


@router.get("/reports/{report_id}")
def report_page(
    report_id: str, request: Request, principal: PagePrincipal, svc: ServicesDep, now: NowDep
) -> Response:
    """One report with its clocks and history, and the forms to decide it, extend the period
    once, and tell a named reporter the outcome."""
    who = require_role(principal, *_REPORT_DECIDERS)
    context = _report_context(svc, who, report_id, now)
    return render(request, "trust/report.html", who, **context)


@router.post("/reports/{report_id}/{step}")
async def report_step(
    report_id: str,
    step: str,
    request: Request,
    principal: PagePrincipal,
    svc: ServicesDep,
    now: NowDep,
) -> Response:
    who = require_role(principal, *_REPORT_DECIDERS)
    if step not in _REPORT_STEPS:
        raise NotFound(gettext("找不到该页面"))
    raw = await _form(request)
    return await run_in_threadpool(_report_step, request, svc, who, report_id, step, now, raw)


def _report_step(
    request: Request,
    svc: Services,
    who: Principal,
    report_id: str,
    step: str,
    now: datetime,
    raw: dict[str, str],
) -> Response:
    values = {k: raw.get(k, "") for k in ("finding", "reason", "message")}
    try:
        if step == "decision":
            if values["finding"] not in set(rp.Finding):
                raise ValidationFailed(gettext("请选择处理结果"), field="finding")
            trust_reports.decide_report(
                svc,
                report_id,
                principal=who,
                finding=rp.Finding(values["finding"]),
                reason=values["reason"],
                now=now,
            )
        elif step == "extend":
            trust_reports.extend_report(
                svc, report_id, principal=who, reason=values["reason"], now=now
            )
        else:
            trust_reports.notify_reporter(
                svc, report_id, principal=who, message=values["message"], now=now
            )
    except DomainError as exc:
        if exc.http_status in (403, 404):
            raise
        error = form_error(exc, default_field="message" if step == "notify" else "reason")
        context = _report_context(svc, who, report_id, now, error=error, step=step, values=values)
        return render(request, "trust/report.html", who, status_code=422, **context)
    return redirect(f"/reports/{report_id}")
