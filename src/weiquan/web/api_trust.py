"""/api/v1 trust and integrity: merchant vetting, 举报 reports, credit grades, reviews and
appeals, merchant-initiated disputes and self-regulation pledges.

Merchant-facing report responses come from ``trust_reports.merchant_view`` only, so the reporter
never appears in them. Civility signals are shown to mediators as hints, never as verdicts.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, BinaryIO, Literal

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from weiquan.adapters.text.civility import default_checker
from weiquan.adapters.text.integrity_signals import copy_paste_campaigns, detect_review_bursts
from weiquan.domain.accounts import Principal
from weiquan.domain.trust import disputes as dp
from weiquan.domain.trust import reports as rp
from weiquan.domain.trust import reviews as rv
from weiquan.domain.trust import vetting as vt
from weiquan.domain.trust.grade import GRADE_LABELS_ZH, CreditGrade, GradeHistoryEntry
from weiquan.domain.trust.pledges import Membership, Pledge, PledgeTerm, TermKind
from weiquan.domain.trust.tracking import TrustEvent, iso
from weiquan.domain.trust.uploads import Upload, UploadPurpose
from weiquan.services import (
    trust_access,
    trust_disputes,
    trust_grades,
    trust_pledges,
    trust_reports,
    trust_reviews,
    trust_vetting,
)
from weiquan.web.deps import ApiPrincipal, NowDep, ServicesDep, bearer_principal

router = APIRouter(prefix="/api/v1")
CHUNK = 1024 * 1024
Json = dict[str, Any]


def optional_principal(request: Request, svc: ServicesDep, now: NowDep) -> Principal | None:
    """Anonymous callers are welcome where the law allows it (a 举报 may be anonymous)."""
    if not request.headers.get("authorization"):
        return None
    return bearer_principal(request, svc, now)


MaybePrincipal = Annotated[Principal | None, Depends(optional_principal)]


class ReasonIn(BaseModel):
    reason: str = Field(max_length=2_000)


def _events(events: list[TrustEvent]) -> list[Json]:
    return [
        {
            "seq": e.seq,
            "action": e.action,
            "from": e.from_status,
            "to": e.to_status,
            "actor_role": e.actor.role.value,
            "actor_id": e.actor.user_id,
            "rule": e.actor.rule,
            "at": e.at.isoformat(),
            "reason": e.reason,
        }
        for e in events
    ]


def _civility(text: str) -> Json:
    """A hint for the mediator: the score and how to word it neutrally, never a block."""
    found = default_checker().assess(text)
    return {"score": found.score, "flag": found.flagged, "hint": found.hint}


def _upload_chunks(file: UploadFile) -> Any:
    while chunk := file.file.read(CHUNK):
        yield chunk


def _stream(stream: BinaryIO) -> StreamingResponse:
    def body() -> Any:
        with stream:
            while chunk := stream.read(CHUNK):
                yield chunk

    return StreamingResponse(body(), media_type="application/octet-stream")


def _upload_out(upload: Upload) -> Json:
    return {"id": upload.id, "sha256": upload.sha256, "mime": upload.mime, "size": upload.size}


@router.post("/trust-evidence", tags=["trust"], status_code=201)
def upload_trust_evidence(
    request: Request,
    svc: ServicesDep,
    principal: MaybePrincipal,
    now: NowDep,
    file: Annotated[UploadFile, File(description="photo, PDF or MP4 video")],
) -> Json:
    """Upload a file to offer with a report or a merchant dispute, then send the returned `id`
    in `evidence`. No account is needed (an anonymous reporter can attach evidence), but
    anonymous uploads are limited per address and hour (429 with `Retry-After`). Only the
    sender can cite an upload, once; a file is read through the record that cites it."""
    upload = trust_access.store_upload(
        svc,
        _upload_chunks(file),
        principal=principal,
        purpose=UploadPurpose.EVIDENCE,
        sender_address=request.client.host if request.client else None,
        now=now,
    )
    return _upload_out(upload)


# --- merchant vetting -------------------------------------------------------------------------


class LicenceIn(BaseModel):
    legal_name: str = Field(max_length=200)
    uscc: str = Field(max_length=18)
    region_code: str = Field(max_length=6)
    licence_evidence: str = Field(max_length=64, description="`id` of the uploaded licence photo")
    contact_phone: str = Field(max_length=11)


class CodeIn(BaseModel):
    code: str = Field(max_length=12)


def _vetting_out(record: vt.Vetting, events: list[TrustEvent] | None = None) -> Json:
    out: Json = {
        "merchant_id": record.id,
        "status": str(record.status),
        "reason": record.reason,
        "legal_name": record.legal_name,
        "uscc": record.uscc,
        "uscc_check": record.uscc_check.value,
        "region_code": record.region_code,
        "licence_evidence": record.licence_evidence,
        "contact_verified": record.contact_verified_at is not None,
        "approved_at": iso(record.approved_at),
        "reverify_due_at": iso(record.reverify_due_at),
        "clock_note": record.clock_note,
        "warnings": record.warnings,
    }
    if events is not None:
        out["history"] = _events(events)
    return out


@router.post("/merchants/me/vetting/licence", tags=["trust"], status_code=201)
def upload_licence(
    principal: ApiPrincipal,
    svc: ServicesDep,
    now: NowDep,
    file: Annotated[UploadFile, File(description="photo or PDF scan of the business licence")],
) -> Json:
    """Upload the licence photo first; send the returned `id` as `licence_evidence`."""
    upload = trust_vetting.upload_licence_photo(
        svc, principal=principal, chunks=_upload_chunks(file), now=now
    )
    return _upload_out(upload)


@router.get("/merchants/{merchant_id}/vetting/licence", tags=["trust"])
def download_licence(
    merchant_id: str, principal: ApiPrincipal, svc: ServicesDep, now: NowDep
) -> StreamingResponse:
    return _stream(trust_vetting.open_licence_photo(svc, merchant_id, principal=principal, now=now))


@router.post("/merchants/me/vetting", tags=["trust"], status_code=201)
def apply_for_vetting(
    body: LicenceIn, principal: ApiPrincipal, svc: ServicesDep, now: NowDep
) -> Json:
    """Submit (or update) your business licence data; a failed USCC check character is a
    warning in the response, not a rejection."""
    data = vt.LicenceData(
        body.legal_name, body.uscc, body.region_code, body.licence_evidence, body.contact_phone
    )
    return _vetting_out(trust_vetting.apply(svc, principal=principal, data=data, now=now))


@router.post("/merchants/{merchant_id}/vetting/contact-code", tags=["trust"])
def issue_contact_code(
    merchant_id: str, principal: ApiPrincipal, svc: ServicesDep, now: NowDep
) -> Json:
    """Staff: a one-time code to read out when calling the contact phone on file."""
    code = trust_vetting.issue_contact_code(svc, merchant_id, principal=principal, now=now)
    return {"code": code, "expires_in_minutes": vt.CONTACT_CODE_MINUTES}


@router.post("/merchants/me/vetting/verify-contact", tags=["trust"])
def verify_contact(body: CodeIn, principal: ApiPrincipal, svc: ServicesDep, now: NowDep) -> Json:
    return _vetting_out(
        trust_vetting.verify_contact(svc, principal=principal, code=body.code, now=now)
    )


@router.post("/merchants/{merchant_id}/vetting/{action}", tags=["trust"])
def decide_vetting(
    merchant_id: str,
    action: Literal["approve", "suspend", "revoke"],
    body: ReasonIn,
    principal: ApiPrincipal,
    svc: ServicesDep,
    now: NowDep,
) -> Json:
    record = trust_vetting.decide(
        svc,
        merchant_id,
        principal=principal,
        action=vt.VettingAction(action),
        reason=body.reason,
        now=now,
    )
    return _vetting_out(record)


@router.get("/merchants/{merchant_id}/vetting", tags=["trust"])
def get_vetting(merchant_id: str, principal: ApiPrincipal, svc: ServicesDep) -> Json:
    record, events = trust_vetting.get_vetting(svc, merchant_id, principal=principal)
    return _vetting_out(record, events)


# --- credit grade -----------------------------------------------------------------------------


def _grade_out(grade: CreditGrade, history: list[GradeHistoryEntry]) -> Json:
    return {
        "merchant_id": grade.merchant_id,
        "score": grade.score,
        "grade": grade.grade.value,
        "grade_label": grade.label_zh,
        "closed_cases": grade.cases,
        "few_cases": grade.few_cases,
        "why": grade.why(),
        "components": [
            {
                "name": line.name,
                "label": line.label_zh,
                "weight": line.weight,
                "observed": line.observed,
                "observations": line.observations,
                "prior": line.prior,
                "shrunk": round(line.shrunk, 4),
                "points": round(line.points, 2),
            }
            for line in grade.lines
        ],
        "violations": grade.violations,
        "penalty": grade.penalty,
        "history": [
            {
                "at": h.at.isoformat(),
                "score": h.score,
                "grade": h.grade.value,
                "grade_label": GRADE_LABELS_ZH[h.grade],
                "closed_cases": h.cases,
                "trigger": h.trigger.split(":", 1)[0],
            }
            for h in history
        ],
    }


@router.get("/merchants/{merchant_id}/grade", tags=["trust"])
def merchant_grade(merchant_id: str, svc: ServicesDep) -> Json:
    """Public: the score, 建议下单 / 谨慎下单 / 不建议下单, why, and how it moved."""
    view = trust_grades.merchant_grade(svc, merchant_id)
    out = _grade_out(view.grade, view.history)
    out["vetting_status"] = trust_vetting.public_status(svc, merchant_id)
    out["pledges"] = [
        _standing(s.pledge, s.membership) for s in trust_pledges.pledges_of(svc, merchant_id)
    ]
    return out


# --- 举报 reports -----------------------------------------------------------------------------


class ReportIn(BaseModel):
    merchant_id: str
    violation: rp.Violation
    description: str = Field(max_length=5_000)
    evidence: list[str] = Field(
        default_factory=list, max_length=20, description="`id`s returned by POST /trust-evidence"
    )
    contact: str = Field(default="", max_length=100)
    anonymous: bool = False
    shop_id: str | None = None


class DecisionIn(BaseModel):
    finding: rp.Finding
    reason: str = Field(max_length=2_000)


class MessageIn(BaseModel):
    message: str = Field(max_length=2_000)


@router.post("/reports", tags=["trust"], status_code=201)
def submit_report(body: ReportIn, principal: MaybePrincipal, svc: ServicesDep, now: NowDep) -> Json:
    """Report a merchant's suspected violation, signed in or not; with `anonymous` no identity
    is kept. The receipt gives the date a decision is due."""
    report = trust_reports.submit_report(
        svc,
        principal=principal,
        merchant_id=body.merchant_id,
        violation=body.violation,
        description=body.description,
        evidence=tuple(body.evidence),
        contact=body.contact,
        anonymous=body.anonymous,
        shop_id=body.shop_id,
        now=now,
    )
    return {
        "id": report.id,
        "anonymous": report.anonymous,
        "received_at": report.received_at.isoformat(),
        "decision_due_at": iso(report.decision_due_at),
        "clock_note": report.clock_note,
    }


@router.get("/reports", tags=["trust"])
def list_reports(principal: ApiPrincipal, svc: ServicesDep) -> list[Json]:
    return trust_reports.list_reports(svc, principal=principal)


@router.get("/reports/export", tags=["trust"])
def export_reports(principal: ApiPrincipal, svc: ServicesDep) -> list[Json]:
    return trust_reports.export_reports(svc, principal=principal)


@router.get("/reports/{report_id}", tags=["trust"])
def get_report(report_id: str, principal: ApiPrincipal, svc: ServicesDep) -> Json:
    return trust_reports.get_report(svc, report_id, principal=principal)


@router.get("/reports/{report_id}/evidence/{upload_id}", tags=["trust"])
def report_evidence(
    report_id: str, upload_id: str, principal: ApiPrincipal, svc: ServicesDep, now: NowDep
) -> StreamingResponse:
    """Staff and the reporter only: the merchant never receives the reporter's files. The
    read is recorded in the file's custody."""
    return _stream(
        trust_reports.open_report_evidence(svc, report_id, upload_id, principal=principal, now=now)
    )


@router.post("/reports/{report_id}/extend", tags=["trust"])
def extend_report(
    report_id: str, body: ReasonIn, principal: ApiPrincipal, svc: ServicesDep, now: NowDep
) -> Json:
    return trust_reports.extend_report(
        svc, report_id, principal=principal, reason=body.reason, now=now
    )


@router.post("/reports/{report_id}/decision", tags=["trust"])
def decide_report(
    report_id: str, body: DecisionIn, principal: ApiPrincipal, svc: ServicesDep, now: NowDep
) -> Json:
    return trust_reports.decide_report(
        svc, report_id, principal=principal, finding=body.finding, reason=body.reason, now=now
    )


@router.post("/reports/{report_id}/notify", tags=["trust"])
def notify_reporter(
    report_id: str, body: MessageIn, principal: ApiPrincipal, svc: ServicesDep, now: NowDep
) -> Json:
    return trust_reports.notify_reporter(
        svc, report_id, principal=principal, message=body.message, now=now
    )


# --- reviews ----------------------------------------------------------------------------------


class ReviewIn(BaseModel):
    merchant_id: str
    stars: int = Field(ge=1, le=5)
    text: str = Field(max_length=2_000)
    case_id: str | None = None
    order_no: str = Field(default="", max_length=64)


class AppealIn(BaseModel):
    ground: rv.AppealGround
    statement: str = Field(max_length=2_000)


class AppealDecisionIn(BaseModel):
    uphold: bool
    reason: str = Field(max_length=2_000)


@router.post("/reviews", tags=["trust"], status_code=201)
def write_review(body: ReviewIn, principal: ApiPrincipal, svc: ServicesDep, now: NowDep) -> Json:
    review = trust_reviews.write_review(
        svc,
        principal=principal,
        merchant_id=body.merchant_id,
        stars=body.stars,
        text=body.text,
        case_id=body.case_id,
        order_no=body.order_no,
        now=now,
    )
    out = trust_reviews.public_view(review)
    out["civility"] = _civility(review.text)  # shown to the writer as a hint
    return out


@router.get("/merchants/{merchant_id}/reviews", tags=["trust"])
def merchant_reviews(merchant_id: str, svc: ServicesDep) -> list[Json]:
    """Public: every review; one hidden after an upheld appeal shows the notice saying why."""
    return trust_reviews.merchant_reviews(svc, merchant_id)


@router.get("/reviews/appeals", tags=["trust"])
def appeal_queue(principal: ApiPrincipal, svc: ServicesDep) -> list[Json]:
    """Mediators: reviews under appeal, each with a civility signal on its text."""
    return [
        {**item, "civility": _civility(item["original_text"])}
        for item in trust_reviews.appeal_queue(svc, principal=principal)
    ]


@router.get("/reviews/{review_id}", tags=["trust"])
def get_review(review_id: str, principal: MaybePrincipal, svc: ServicesDep) -> Json:
    return trust_reviews.get_review(svc, review_id, principal=principal)


@router.post("/reviews/{review_id}/appeal", tags=["trust"])
def appeal_review(
    review_id: str, body: AppealIn, principal: ApiPrincipal, svc: ServicesDep, now: NowDep
) -> Json:
    review = trust_reviews.appeal(
        svc, review_id, principal=principal, ground=body.ground, statement=body.statement, now=now
    )
    return trust_reviews.get_review(svc, review.id, principal=principal)


@router.post("/reviews/{review_id}/decision", tags=["trust"])
def decide_appeal(
    review_id: str, body: AppealDecisionIn, principal: ApiPrincipal, svc: ServicesDep, now: NowDep
) -> Json:
    review = trust_reviews.decide_appeal(
        svc, review_id, principal=principal, uphold=body.uphold, reason=body.reason, now=now
    )
    return trust_reviews.get_review(svc, review.id, principal=principal)


BURST_WINDOW = timedelta(hours=1)
BURST_MIN_REVIEWS = 5


@router.get("/merchants/{merchant_id}/review-signals", tags=["trust"])
def review_signals(merchant_id: str, principal: ApiPrincipal, svc: ServicesDep) -> list[Json]:
    """Mediators: review bursts and copy-paste reviews from several accounts (shill patterns),
    each with its reason. Signals to look at, never verdicts."""
    records = trust_reviews.review_records(svc, merchant_id, principal=principal)
    found = detect_review_bursts(records, window=BURST_WINDOW, min_count=BURST_MIN_REVIEWS)
    found += copy_paste_campaigns(records)
    return [
        {
            "kind": signal.kind.value,
            "reason": signal.reason,
            "review_ids": list(signal.record_ids),
            "strength": round(signal.strength, 3),
        }
        for signal in found
    ]


# --- merchant-initiated disputes ----------------------------------------------------------------


class DisputeIn(BaseModel):
    case_id: str
    kind: dp.DisputeKind
    text: str = Field(max_length=5_000)
    evidence: list[str] = Field(
        default_factory=list, max_length=20, description="`id`s returned by POST /trust-evidence"
    )


class StatementIn(BaseModel):
    text: str = Field(max_length=5_000)
    evidence: list[str] = Field(
        default_factory=list, max_length=20, description="`id`s returned by POST /trust-evidence"
    )


class DisputeDecisionIn(BaseModel):
    finding: dp.DisputeFinding
    reason: str = Field(max_length=2_000)


def _dispute_out(
    d: dp.MerchantDispute, principal: Principal, events: list[TrustEvent] | None = None
) -> Json:
    staff = principal.role.value in ("mediator", "admin")
    out: Json = {
        "id": d.id,
        "kind": d.kind.value,
        "kind_label": dp.DISPUTE_KIND_LABELS_ZH[d.kind],
        "status": str(d.status),
        "case_id": d.case_id,
        "merchant_id": d.merchant_id,
        "consumer_id": d.consumer_id,
        "filed_at": d.filed_at.isoformat(),
        "response_due_at": iso(d.response_due_at),
        "clock_note": d.clock_note,
        "mediator_id": d.mediator_id,
        "finding": d.finding.value if d.finding else None,
        "decision_reason": d.decision_reason,
        "statements": [
            {
                "party": s.party,
                "text": s.text,
                "evidence": list(s.evidence),
                "at": s.at.isoformat(),
                **({"civility": _civility(s.text)} if staff else {}),
            }
            for s in d.statements
        ],
    }
    if events is not None:
        out["history"] = _events(events)
    return out


@router.post("/merchant-disputes", tags=["trust"], status_code=201)
def file_dispute(body: DisputeIn, principal: ApiPrincipal, svc: ServicesDep, now: NowDep) -> Json:
    """A merchant disputes a case: fake return, malicious complaint or extortion."""
    dispute = trust_disputes.file_dispute(
        svc,
        principal=principal,
        case_id=body.case_id,
        kind=body.kind,
        text=body.text,
        evidence=tuple(body.evidence),
        now=now,
    )
    return _dispute_out(dispute, principal)


@router.get("/merchant-disputes", tags=["trust"])
def list_disputes(principal: ApiPrincipal, svc: ServicesDep) -> list[Json]:
    return [
        _dispute_out(d, principal) for d in trust_disputes.list_disputes(svc, principal=principal)
    ]


@router.get("/merchant-disputes/{dispute_id}", tags=["trust"])
def get_dispute(dispute_id: str, principal: ApiPrincipal, svc: ServicesDep) -> Json:
    dispute, events = trust_disputes.get_dispute(svc, dispute_id, principal=principal)
    return _dispute_out(dispute, principal, events)


@router.get("/merchant-disputes/{dispute_id}/evidence/{upload_id}", tags=["trust"])
def dispute_evidence(
    dispute_id: str, upload_id: str, principal: ApiPrincipal, svc: ServicesDep, now: NowDep
) -> StreamingResponse:
    """Both parties and staff; the read is recorded in the file's custody."""
    return _stream(
        trust_disputes.open_dispute_evidence(
            svc, dispute_id, upload_id, principal=principal, now=now
        )
    )


@router.get("/trust-evidence/{upload_id}/custody", tags=["trust"])
def trust_upload_custody(upload_id: str, principal: ApiPrincipal, svc: ServicesDep) -> list[Json]:
    """Staff: who uploaded, attached and read an uploaded file, and when."""
    return [
        {
            "action": event.action.value,
            "actor_role": event.actor.role.value if event.actor else "anonymous",
            "actor_id": event.actor.user_id if event.actor else None,
            "at": iso(event.at),
            "context": event.context,
        }
        for event in trust_access.upload_custody(svc, upload_id, principal=principal)
    ]


@router.post("/merchant-disputes/{dispute_id}/statements", tags=["trust"])
def add_dispute_statement(
    dispute_id: str, body: StatementIn, principal: ApiPrincipal, svc: ServicesDep, now: NowDep
) -> Json:
    dispute = trust_disputes.add_statement(
        svc, dispute_id, principal=principal, text=body.text, evidence=tuple(body.evidence), now=now
    )
    return _dispute_out(dispute, principal)


@router.post("/merchant-disputes/{dispute_id}/assign", tags=["trust"])
def assign_dispute(dispute_id: str, principal: ApiPrincipal, svc: ServicesDep, now: NowDep) -> Json:
    return _dispute_out(
        trust_disputes.assign(svc, dispute_id, principal=principal, now=now), principal
    )


@router.post("/merchant-disputes/{dispute_id}/decision", tags=["trust"])
def decide_dispute(
    dispute_id: str, body: DisputeDecisionIn, principal: ApiPrincipal, svc: ServicesDep, now: NowDep
) -> Json:
    dispute = trust_disputes.decide(
        svc, dispute_id, principal=principal, finding=body.finding, reason=body.reason, now=now
    )
    return _dispute_out(dispute, principal)


@router.post("/merchant-disputes/{dispute_id}/withdraw", tags=["trust"])
def withdraw_dispute(
    dispute_id: str, body: ReasonIn, principal: ApiPrincipal, svc: ServicesDep, now: NowDep
) -> Json:
    dispute = trust_disputes.withdraw(
        svc, dispute_id, principal=principal, reason=body.reason, now=now
    )
    return _dispute_out(dispute, principal)


# --- self-regulation pledges --------------------------------------------------------------------


class TermIn(BaseModel):
    kind: TermKind
    value: int = Field(default=0, ge=0, le=1_000)


class PledgeIn(BaseModel):
    body_name: str = Field(max_length=200)
    title: str = Field(max_length=200)
    terms: list[TermIn] = Field(min_length=1, max_length=len(TermKind))


def _pledge_out(pledge: Pledge) -> Json:
    return {
        "id": pledge.id,
        "body_name": pledge.body_name,
        "title": pledge.title,
        "terms": [
            {"kind": t.kind.value, "value": t.value, "label": t.label_zh} for t in pledge.terms
        ],
        "published_at": pledge.published_at.isoformat(),
    }


def _standing(pledge: Pledge, membership: Membership) -> Json:
    return {
        **_pledge_out(pledge),
        "merchant_id": membership.merchant_id,
        "joined_at": membership.joined_at.isoformat(),
        "left_at": iso(membership.left_at),
        "checks": membership.checks,
        "kept": membership.kept,
        "keeping_rate": membership.keeping_rate,
    }


@router.post("/pledges", tags=["trust"], status_code=201)
def publish_pledge(body: PledgeIn, principal: ApiPrincipal, svc: ServicesDep, now: NowDep) -> Json:
    terms = tuple(PledgeTerm(t.kind, t.value) for t in body.terms)
    pledge = trust_pledges.publish(
        svc, principal=principal, body_name=body.body_name, title=body.title, terms=terms, now=now
    )
    return _pledge_out(pledge)


@router.get("/pledges", tags=["trust"])
def list_pledges(svc: ServicesDep) -> list[Json]:
    """Public: every pledge, its members and how well each keeps it."""
    return [
        {**_pledge_out(p), "members": [_standing(p, m) for m in members]}
        for p, members in trust_pledges.list_pledges(svc)
    ]


@router.post("/pledges/{pledge_id}/join", tags=["trust"])
def join_pledge(pledge_id: str, principal: ApiPrincipal, svc: ServicesDep, now: NowDep) -> Json:
    membership = trust_pledges.join(svc, pledge_id, principal=principal, now=now)
    return {
        "pledge_id": membership.pledge_id,
        "merchant_id": membership.merchant_id,
        "joined_at": membership.joined_at.isoformat(),
    }


@router.post("/pledges/{pledge_id}/leave", tags=["trust"])
def leave_pledge(pledge_id: str, principal: ApiPrincipal, svc: ServicesDep, now: NowDep) -> Json:
    membership = trust_pledges.leave(svc, pledge_id, principal=principal, now=now)
    return {
        "pledge_id": membership.pledge_id,
        "merchant_id": membership.merchant_id,
        "left_at": iso(membership.left_at),
    }
