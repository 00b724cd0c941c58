"""/api/v1: accounts, catalogue and the whole case lifecycle."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request, Response

from weiquan.adapters.crypto import token_digest
from weiquan.domain.accounts import Principal
from weiquan.domain.cases import Case, Claim, OrderItem, OrderRecord
from weiquan.domain.lifecycle import Action, CaseStatus, allowed_actions
from weiquan.services import accounts, merchants, privacy, throttling
from weiquan.services import cases as case_service
from weiquan.services.commands import Caller, CaseCommand, FileComplaint
from weiquan.web.deps import ApiPrincipal, NowDep, ServicesDep, TokenCache
from weiquan.web.intake import IntakeQueue
from weiquan.web.schemas import (
    ActionIn,
    CaseListOut,
    CaseOut,
    ClaimIn,
    ComplaintIn,
    EraseIn,
    EventOut,
    OrderIn,
    TokenIn,
    TokenOut,
    case_out,
)
from weiquan.web.sessions import client_address

router = APIRouter(prefix="/api/v1")
# Complaint intake is by far the busiest route: the app matches its own router before all others.
intake_router = APIRouter(prefix="/api/v1")

ACTION_PATHS: dict[str, Action] = {
    "submit": Action.SUBMIT,
    "reply": Action.REPLY,
    "offer": Action.MAKE_OFFER,
    "accept": Action.ACCEPT_OFFER,
    "reject": Action.REJECT_OFFER,
    "refuse": Action.REFUSE,
    "escalate": Action.ESCALATE,
    "withdraw": Action.WITHDRAW,
    "assign": Action.ASSIGN_MEDIATOR,
    "propose": Action.PROPOSE_SETTLEMENT,
    "record-outcome": Action.RECORD_FAILURE,
    "confirm-fulfilment": Action.CONFIRM_FULFILMENT,
    "reopen": Action.REOPEN,
    "refer": Action.REFER,
    "issue-dossier": Action.ISSUE_DOSSIER,
    "close": Action.CLOSE,
    "statements": Action.ADD_STATEMENT,
    "request-evidence": Action.REQUEST_EVIDENCE,
    "rate": Action.RATE,
}
ActionPath = Literal[
    "submit",
    "reply",
    "offer",
    "accept",
    "reject",
    "refuse",
    "escalate",
    "withdraw",
    "assign",
    "propose",
    "record-outcome",
    "confirm-fulfilment",
    "reopen",
    "refer",
    "issue-dossier",
    "close",
    "statements",
    "request-evidence",
    "rate",
]


@router.post("/auth/token", tags=["auth"])
def create_token(body: TokenIn, request: Request, svc: ServicesDep, now: NowDep) -> TokenOut:
    """Exchange a username and password for a bearer token (valid 90 days). Attempts are
    throttled per address and wrong passwords per account: 429 with `Retry-After`."""
    principal = throttling.sign_in(
        svc,
        username=body.username,
        password=body.password,
        address=client_address(request.scope),
        now=now,
    )
    token = svc.ids.token()
    _, expires = accounts.issue_token(
        svc, principal=principal, name=body.name, now=now, digest=token_digest(token), token=token
    )
    return TokenOut(access_token=token, expires_at=expires)


@router.get("/me", tags=["auth"])
def me(principal: ApiPrincipal, svc: ServicesDep) -> dict[str, str | None]:
    """Your own account; personal data is masked (see /me/data for an export)."""
    user = accounts.my_data(svc, principal=principal)
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role.value,
        "merchant_id": user.merchant_id,
        "region_code": user.region_code,
        "phone": mask_phone(user.phone),
    }


@router.get("/me/data", tags=["auth"])
def export_my_data(principal: ApiPrincipal, svc: ServicesDep, now: NowDep) -> dict[str, Any]:
    """Everything held about you, unmasked, for you alone (个人信息保护法 Art 45)."""
    return privacy.export_my_data(svc, principal=principal, now=now)


@router.post("/me/erase", tags=["auth"], status_code=204)
def erase_my_data(
    body: EraseIn, request: Request, principal: ApiPrincipal, svc: ServicesDep, now: NowDep
) -> Response:
    """Erase your contact data and close your account (Art 47); case records are kept for the
    legally required period with you shown as a neutral label. Needs your password."""
    privacy.erase_my_data(svc, principal=principal, password=body.password, now=now)
    request.app.state.token_cache = TokenCache()  # drop cached tokens at once
    return Response(status_code=204)


def mask_phone(phone: str | None) -> str | None:
    if not phone:
        return None
    return phone[:3] + "*" * max(len(phone) - 7, 0) + phone[-4:] if len(phone) > 7 else "****"


@router.get("/shops", tags=["catalogue"])
def list_shops(svc: ServicesDep, _principal: ApiPrincipal) -> list[dict[str, str | None]]:
    """Shops a complaint can be filed against, with their merchant and its region."""
    return [
        {
            "shop_id": s.id,
            "shop_name": s.name,
            "platform": s.platform,
            "merchant_id": m.id,
            "merchant_name": m.name,
            "region_code": m.region_code,
        }
        for m, s in merchants.list_shops(svc)
    ]


# The largest complaint the schema admits (5,000 characters of description, ten claims with
# notes, fifty order lines) is well under 200 KB even with every character \u-escaped.
MAX_COMPLAINT_BYTES = 256 * 1024


@intake_router.post(
    "/cases",
    status_code=201,
    tags=["cases"],
    response_model=CaseOut,
    max_body_size=MAX_COMPLAINT_BYTES,
)
async def file_case(
    body: ComplaintIn,
    request: Request,
    principal: ApiPrincipal,
    now: NowDep,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> Response:
    """File a complaint (submitted at once unless `submit` is false).

    Send an `Idempotency-Key` header so a retried request returns the first case (HTTP 200)
    instead of creating a duplicate.
    """
    # Served by weiquan.web.fast_intake in a running app; this route documents the endpoint in
    # OpenAPI and is the reference the fast path is tested against.
    intake: IntakeQueue = request.app.state.intake
    submission = case_service.Submission(complaint_command(body), principal, now, idempotency_key)
    case, created = await intake.file(submission)
    return Response(
        filed_json(case, principal), status_code=201 if created else 200, media_type=JSON
    )


JSON = "application/json"


def complaint_command(body: ComplaintIn) -> FileComplaint:
    return FileComplaint(
        shop_id=body.shop_id,
        category=body.category,
        title=body.title,
        description=body.description,
        claims=_claims(body.claims),
        order=_order(body.order),
        purpose=body.purpose,
        noticed_on=body.noticed_on,
        handled_elsewhere=body.handled_elsewhere,
        submit=body.submit,
        caller=Caller(body.caller.name, body.caller.phone) if body.caller else None,
        consumer_id=body.consumer_id,
    )


def filed_json(case: Case, principal: Principal) -> bytes:
    """The filed case as the answer's body, serialised once: returning the model would have
    FastAPI validate it all over again."""
    return case_out(case, _allowed(case.status, principal)).model_dump_json().encode()


@router.get("/cases", tags=["cases"])
def list_cases(
    principal: ApiPrincipal,
    svc: ServicesDep,
    status: Annotated[list[CaseStatus] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[
        str | None, Query(max_length=400, description="`next` of the previous page")
    ] = None,
    offset: Annotated[
        int, Query(ge=0, description=f"at most {case_service.MAX_OFFSET}; deeper pages by cursor")
    ] = 0,
) -> CaseListOut:
    """Cases you may see, soonest deadline first (then those without one, newest first), a page
    at a time: follow `next` as `cursor` until it is null. Pages stay put as cases are added."""
    page = case_service.case_page(
        svc,
        principal=principal,
        statuses=tuple(status or ()),
        limit=limit,
        cursor=cursor,
        offset=offset,
    )
    return CaseListOut(
        items=[case_out(c, _allowed(c.status, principal)) for c in page.items],
        next=page.next_cursor,
    )


@router.get("/cases/{case_id}", tags=["cases"])
def get_case(case_id: str, principal: ApiPrincipal, svc: ServicesDep) -> CaseOut:
    case, _ = case_service.get_case(svc, case_id, principal=principal)
    return case_out(case, _allowed(case.status, principal))


@router.get("/cases/{case_id}/events", tags=["cases"])
def case_events(case_id: str, principal: ApiPrincipal, svc: ServicesDep) -> list[EventOut]:
    """The case history: every transition and statement with actor, time and reason."""
    _, events = case_service.get_case(svc, case_id, principal=principal)
    return [
        EventOut(
            seq=e.seq,
            action=e.action.value,
            from_status=e.from_status.value,
            to_status=e.to_status.value,
            actor_role=e.actor.role.value,
            actor_id=e.actor.user_id,
            rule=e.actor.rule,
            reason=e.reason,
            at=e.at,
            payload=e.payload,
        )
        for e in events
    ]


@router.post("/cases/{case_id}/{action}", tags=["cases"])
def case_action(
    case_id: str,
    action: ActionPath,
    body: ActionIn,
    principal: ApiPrincipal,
    svc: ServicesDep,
    now: NowDep,
) -> CaseOut:
    """Act on a case. Which actions are open to you is listed in `allowed_actions`.

    `accept`/`reject` apply to the open offer or mediation proposal named by `offer_id`;
    `record-outcome` takes `outcome` (`agreement` or `failed`) and, when failed, `refer`.
    """
    resolved = ACTION_PATHS[action]
    if action == "record-outcome" and body.outcome == "agreement":
        resolved = Action.CONCLUDE_AGREEMENT
    cmd = CaseCommand(
        case_id=case_id,
        action=resolved,
        reason=body.reason,
        text=body.text,
        offer_id=body.offer_id,
        terms=_claims(body.terms),
        fulfil_within_days=body.fulfil_within_days,
        mediator_id=body.mediator_id,
        stars=body.stars,
        refer=body.refer,
    )
    case = case_service.act(svc, cmd, principal=principal, now=now)
    return case_out(case, _allowed(case.status, principal))


_PATH_OF = {
    **{action: path for path, action in ACTION_PATHS.items()},
    Action.ACCEPT_SETTLEMENT: "accept",
    Action.REJECT_SETTLEMENT: "reject",
    Action.CONCLUDE_AGREEMENT: "record-outcome",
}


def _allowed(status: CaseStatus, principal: Principal) -> list[str]:
    return sorted({_PATH_OF[a] for a in allowed_actions(status, principal.role) if a in _PATH_OF})


def _claims(items: list[ClaimIn]) -> tuple[Claim, ...]:
    return tuple(Claim(c.kind, c.amount_fen, c.note) for c in items)


def _order(order: OrderIn | None) -> OrderRecord | None:
    if order is None:
        return None
    return OrderRecord(
        platform=order.platform,
        order_no=order.order_no,
        items=tuple(OrderItem(i.name, i.quantity, i.unit_price_fen) for i in order.items),
        amount_paid_fen=order.amount_paid_fen,
        ordered_at=order.ordered_at,
        promised_delivery_at=order.promised_delivery_at,
        signed_at=order.signed_at,
    )
