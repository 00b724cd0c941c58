"""A case as every role sees it: facts, deadlines, offers, timeline and the actions one may take."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from weiquan.domain.accounts import Principal, Role
from weiquan.domain.cases import Case
from weiquan.domain.errors import DomainError
from weiquan.domain.lifecycle import Action, CaseStatus
from weiquan.services import cases as case_service
from weiquan.services import views
from weiquan.services.context import Services
from weiquan.services.ports import MediatorPart
from weiquan.web.api_signals import signals_for
from weiquan.web.deps import NowDep, PagePrincipal, ServicesDep
from weiquan.web.i18n import n_
from weiquan.web.messages import page_message
from weiquan.web.pages.case_actions import (
    FIELD_INPUTS,
    ActionForm,
    reject_leads_to,
    to_command,
    visible_forms,
)
from weiquan.web.pages.case_findings import case_findings
from weiquan.web.pages.common import is_htmx, redirect, render, require_login
from weiquan.web.pages.documents import agreement_available
from weiquan.web.pages.dossier import failure_event
from weiquan.web.pages.evidence import evidence_context, store_upload
from weiquan.web.pages.open_deadlines import is_open, open_deadline
from weiquan.web.security import require_csrf

router = APIRouter(include_in_schema=False)

DEADLINE_LABELS = (
    ("reply_due_at", n_("商家答复期限")),
    ("negotiation_due_at", n_("协商期限")),
    ("mediation_due_at", n_("调解期限")),
    ("fulfilment_due_at", n_("履行期限")),
)
_CLOCK_OF_STATUS = {
    CaseStatus.MEDIATION: "mediation_due_at",
    CaseStatus.SETTLED: "fulfilment_due_at",
    CaseStatus.AGREEMENT: "fulfilment_due_at",
}


def next_deadline(case: Case) -> Any:
    """The deadline that matters now for this case, or None."""
    if case.status is CaseStatus.NEGOTIATION:
        return (
            case.deadlines.reply_due_at
            if case.merchant_replied_at is None
            else case.deadlines.negotiation_due_at
        )
    name = _CLOCK_OF_STATUS.get(case.status)
    return getattr(case.deadlines, name) if name else None


PAGE_SIZE = 50


@dataclass(frozen=True, slots=True)
class ListPage:
    """One page of a case list as a page shows it, with the links to walk it."""

    cases: list[Case]
    next_page: str | None  # the link to the next page, None on the last
    first_page: str | None  # the link back to the first page, None on the first


def list_page(
    request: Request,
    svc: Services,
    who: Principal,
    *,
    param: str = "after",
    part: MediatorPart = MediatorPart.ALL,
) -> ListPage:
    """A page of the cases ``who`` may see, in the database's list order (soonest deadline
    first), starting where the ``param`` query parameter says; other parameters are kept."""
    cursor = request.query_params.get(param) or None
    page = case_service.case_page(svc, principal=who, limit=PAGE_SIZE, cursor=cursor, part=part)
    others = {k: v for k, v in request.query_params.items() if k != param}
    next_page = _link(request, {**others, param: page.next_cursor}) if page.next_cursor else None
    first_page = _link(request, others) if cursor else None
    return ListPage(page.items, next_page, first_page)


def _link(request: Request, params: dict[str, str]) -> str:
    return f"{request.url.path}?{urlencode(params)}" if params else request.url.path


def list_context(svc: Services, page: ListPage) -> dict[str, Any]:
    return {
        "cases": page.cases,
        "next_page": page.next_page,
        "first_page": page.first_page,
        "shops": views.shop_names(svc, page.cases),
        "next_deadline": next_deadline,
        "is_open": is_open,
    }


@router.get("/cases")
def my_cases(request: Request, principal: PagePrincipal, svc: ServicesDep, now: NowDep) -> Response:
    who = require_login(principal)
    context = list_context(svc, list_page(request, svc, who))
    return render(request, "cases/list.html", who, now=now, **context)


def _case_context(
    svc: Services, case_id: str, principal: Principal, now: Any, **extra: Any
) -> dict[str, Any]:
    view = views.case_view(svc, case_id, principal=principal)
    return {
        "findings": case_findings(view.case, now, svc.calendar),
        "statements": statements(view),
        "view": view,
        "case": view.case,
        "now": now,
        "forms": visible_forms(view.case, principal),
        "reject_leads_to": reject_leads_to(view.case),
        "open_deadline": open_deadline(view.case, principal, svc.calendar),
        "rating": _rating(view.events),
        "deadline_labels": DEADLINE_LABELS,
        "show_phone_in_full": principal.role is Role.CONSUMER,
        "agreement_ready": agreement_available(view.case),
        "dossier_ready": failure_event(view.events) is not None,
        "form_error": None,
        "values": ActionForm(),
        "integrity": _integrity(svc, view.case.id, principal),
        **evidence_context(svc, view.case, principal),
        **extra,
    }


def _rating(events: Any) -> dict[str, Any] | None:
    """The consumer's rating of the case (there is at most one), as the case page shows it."""
    for event in events:
        if event.action is Action.RATE:
            payload = event.payload
            return {
                "stars": int(payload["stars"]),
                "comment": payload.get("comment", ""),
                "at": event.at,
            }
    return None


def _integrity(svc: Services, case_id: str, principal: Principal) -> Any:
    """Signals for the mediator and admins only; the parties never see them."""
    if principal.role not in (Role.MEDIATOR, Role.ADMIN):
        return None
    return signals_for(svc, case_id, principal)


_CONSUMER_SIDE = frozenset({Role.CONSUMER, Role.OPERATOR})
# Actions whose stated reason is what that side says (an offer's note, a refusal's grounds).
_REASON_IS_STATEMENT = frozenset(
    {
        Action.REFUSE,
        Action.REJECT_OFFER,
        Action.REJECT_SETTLEMENT,
        Action.MAKE_OFFER,
        Action.ESCALATE,
    }
)


def statements(view: views.CaseView) -> dict[str, list[tuple[Any, str]]]:
    """What each side has said, in order: the consumer's on the left, the merchant's on the right."""
    sides: dict[str, list[tuple[Any, str]]] = {
        "consumer": [(view.case.created_at, view.case.description)],
        "merchant": [],
    }
    for event in view.events:
        text = str(event.payload.get("text") or "")
        if event.action in _REASON_IS_STATEMENT:
            text = event.reason
        if not text or event.actor.role not in (Role.CONSUMER, Role.OPERATOR, Role.MERCHANT):
            continue
        side = "consumer" if event.actor.role in _CONSUMER_SIDE else "merchant"
        sides[side].append((event.at, text))
    return sides


@router.get("/cases/{case_id}")
def case_page(
    case_id: str, request: Request, principal: PagePrincipal, svc: ServicesDep, now: NowDep
) -> Response:
    who = require_login(principal)
    return render(request, "cases/case.html", who, **_case_context(svc, case_id, who, now))


@router.get("/cases/{case_id}/deadlines")
def deadlines_fragment(
    case_id: str, request: Request, principal: PagePrincipal, svc: ServicesDep, now: NowDep
) -> Response:
    who = require_login(principal)
    case, _ = case_service.get_case(svc, case_id, principal=who)
    context: dict[str, Any] = {
        "case": case,
        "now": now,
        "deadline_labels": DEADLINE_LABELS,
        "open_deadline": open_deadline(case, who, svc.calendar),
    }
    return render(request, "cases/_deadlines.html", who, **context)


@router.post("/cases/{case_id}/act")
async def case_action(
    case_id: str, request: Request, principal: PagePrincipal, svc: ServicesDep, now: NowDep
) -> Response:
    who = require_login(principal)
    raw = {key: str(value) for key, value in (await request.form()).items()}
    return await run_in_threadpool(_act, request, svc, who, case_id, now, raw)


def _form_values(raw: dict[str, str]) -> ActionForm:
    names = {f.name for f in fields(ActionForm)}
    return ActionForm(**{k: v for k, v in raw.items() if k in names})


def _act(
    request: Request, svc: Services, who: Principal, case_id: str, now: Any, raw: dict[str, str]
) -> Response:
    require_csrf(request, raw.get("csrf", ""))
    values = _form_values(raw)
    try:
        current, _ = case_service.get_case(svc, case_id, principal=who)
        offer_id = current.open_offer.id if current.open_offer else ""
        case_service.act(svc, to_command(case_id, values, offer_id), principal=who, now=now)
    except DomainError as exc:
        if exc.http_status == 404:
            raise
        error = {
            "action": values.action,
            "field": FIELD_INPUTS.get(exc.field or "", ""),
            "message": page_message(exc),
        }
        context = _case_context(svc, case_id, who, now, form_error=error, values=values)
        # htmx swaps the re-rendered panel in place; a plain form post gets the page with 422.
        if is_htmx(request):
            return render(request, "cases/_case_body.html", who, **context)
        return render(request, "cases/case.html", who, status_code=422, **context)
    if is_htmx(request):
        return render(
            request, "cases/_case_body.html", who, **_case_context(svc, case_id, who, now)
        )
    return redirect(f"/cases/{case_id}")


@router.post("/cases/{case_id}/evidence")
async def upload_evidence(
    case_id: str, request: Request, principal: PagePrincipal, svc: ServicesDep, now: NowDep
) -> Response:
    who = require_login(principal)
    submitted = await request.form()
    raw = {k: v for k, v in submitted.items() if isinstance(v, str)}
    upload = submitted.get("file")
    file = upload if isinstance(upload, UploadFile) else None
    return await run_in_threadpool(_upload, request, svc, who, case_id, now, raw, file)


def _upload(
    request: Request,
    svc: Services,
    who: Principal,
    case_id: str,
    now: Any,
    raw: dict[str, str],
    file: UploadFile | None,
) -> Response:
    require_csrf(request, raw.get("csrf", ""))
    values, refusal = store_upload(svc, who, case_id, now, raw, file)
    if refusal is None:
        if is_htmx(request):
            context = _case_context(svc, case_id, who, now)
            return render(request, "cases/_case_body.html", who, **context)
        return redirect(f"/cases/{case_id}#evidence-title")
    error_context = {"evidence_error": refusal, "evidence_values": values}
    context = _case_context(svc, case_id, who, now, **error_context)
    if is_htmx(request):
        return render(request, "cases/_case_body.html", who, **context)
    return render(request, "cases/case.html", who, status_code=422, **context)
