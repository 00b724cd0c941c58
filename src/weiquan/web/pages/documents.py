"""Documents a case produces: the mediation agreement as a PDF with a CJK font embedded."""

from __future__ import annotations

from datetime import date, datetime

from fastapi import APIRouter
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from weiquan.adapters.pdf import render_mediation_agreement
from weiquan.domain.calendar import last_day_of
from weiquan.domain.cases import Case, Offer, OfferState
from weiquan.domain.documents import Acceptance, AgreedTerm, MediationAgreement, Party
from weiquan.domain.errors import NotFound
from weiquan.domain.lifecycle import CaseStatus
from weiquan.domain.money import format_fen
from weiquan.services import views
from weiquan.web.deps import PagePrincipal, ServicesDep
from weiquan.web.i18n import gettext
from weiquan.web.labels import CLAIM
from weiquan.web.pages.common import require_login

router = APIRouter(include_in_schema=False)

MEDIATION_BODY = "维权在线纠纷调解平台"
_AGREED = frozenset({CaseStatus.AGREEMENT, CaseStatus.FULFILLED, CaseStatus.CLOSED})
_PARTY_ROLE = {"consumer": "申请人", "merchant": "被申请人"}


def accepted_offer(case: Case) -> Offer | None:
    return next((o for o in reversed(case.offers) if o.state is OfferState.ACCEPTED), None)


def agreement_available(case: Case) -> bool:
    """Only a mediated outcome has an agreement; a settlement in negotiation does not."""
    return (
        case.status in _AGREED and case.mediator_id is not None and accepted_offer(case) is not None
    )


def build_agreement(view: views.CaseView) -> MediationAgreement:
    case, parties = view.case, view.parties
    offer = accepted_offer(case)
    if offer is None or not agreement_available(case):
        raise NotFound(gettext("该案件没有调解协议"))
    due = fulfilment_due_day(view)
    agreement = MediationAgreement(
        agreement_no=f"TJ{case.number}",
        case_no=case.number,
        consumer=Party("申请人", parties.consumer_name),
        merchant=Party("被申请人", parties.merchant_name, parties.merchant_uscc, is_person=False),
        mediator=parties.mediator_name or "—",
        mediation_body=MEDIATION_BODY,
        claims=tuple(claim_text(c.kind, c.amount_fen, c.note) for c in case.claims),
        facts=f"{case.title}。{case.description}",
        terms=tuple(
            AgreedTerm(claim_text(t.kind, None, t.note), t.amount_fen, due) for t in offer.terms
        ),
    )
    names = {"consumer": parties.consumer_name, "merchant": parties.merchant_name}
    acceptances = tuple(
        Acceptance(f"{_PARTY_ROLE[party]} {names[party]}", at, agreement.terms_digest())
        for party, at in sorted(offer.accepted_by.items(), key=lambda item: item[1])
    )
    return MediationAgreement(**{**_fields(agreement), "acceptances": acceptances})


def fulfilment_due_day(view: views.CaseView) -> date | None:
    """The last day to perform, exactly as the case page shows it: from the deadline the case
    recorded when the agreement was reached (None while the calendar cannot tell it yet)."""
    due = view.case.deadlines.fulfilment_due_at
    if due is None:  # performed since, or reopened: the deadline as recorded at the time
        recorded = [e.payload.get("fulfilment_due_at") for e in view.events]
        due_text = next((r for r in reversed(recorded) if r), None)
        due = datetime.fromisoformat(due_text) if isinstance(due_text, str) else None
    return last_day_of(due) if due else None


def _fields(agreement: MediationAgreement) -> dict[str, object]:
    return {name: getattr(agreement, name) for name in agreement.__dataclass_fields__}


def claim_text(kind: object, amount_fen: int | None, note: str) -> str:
    text = CLAIM.get(kind, str(kind))  # type: ignore[call-overload]
    if amount_fen is not None:
        text += f" {format_fen(amount_fen)}"
    return f"{text}（{note}）" if note else text


@router.get("/cases/{case_id}/agreement.pdf")
async def agreement_pdf(case_id: str, principal: PagePrincipal, svc: ServicesDep) -> Response:
    who = require_login(principal)
    view = await run_in_threadpool(views.case_view, svc, case_id, principal=who)
    pdf = await run_in_threadpool(render_mediation_agreement, build_agreement(view))
    filename = f"mediation-agreement-{view.case.number}.pdf"
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
