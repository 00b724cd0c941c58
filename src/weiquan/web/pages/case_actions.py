"""The action forms on a case page: which ones a person sees, and form fields → a command."""

from __future__ import annotations

from dataclasses import dataclass

from weiquan.domain.accounts import Principal, Role
from weiquan.domain.cases import Case, Claim, ClaimKind, OfferKind
from weiquan.domain.errors import ValidationFailed
from weiquan.domain.lifecycle import Action, CaseStatus, allowed_actions, target_status
from weiquan.domain.money import yuan_to_fen
from weiquan.services.commands import CaseCommand
from weiquan.web.i18n import gettext
from weiquan.web.messages import too_long

# Form name → lifecycle action. "accept"/"reject" resolve to the settlement actions in the service
# when the open offer is a mediator's proposal.
FORM_ACTIONS: dict[str, Action] = {
    "reply": Action.REPLY,
    "offer": Action.MAKE_OFFER,
    "accept": Action.ACCEPT_OFFER,
    "reject": Action.REJECT_OFFER,
    "refuse": Action.REFUSE,
    "escalate": Action.ESCALATE,
    "withdraw": Action.WITHDRAW,
    "assign": Action.ASSIGN_MEDIATOR,
    "propose": Action.PROPOSE_SETTLEMENT,
    "conclude": Action.CONCLUDE_AGREEMENT,
    "fail": Action.RECORD_FAILURE,
    "confirm": Action.CONFIRM_FULFILMENT,
    "reopen": Action.REOPEN,
    "close": Action.CLOSE,
    "statement": Action.ADD_STATEMENT,
    "request_evidence": Action.REQUEST_EVIDENCE,
    "rate": Action.RATE,
}
_ORDER = list(FORM_ACTIONS)

# Domain field names → the form input that shows the message.
FIELD_INPUTS = {
    "claims.amount_fen": "amount",
    "amount": "amount",
    "claims.note": "note",
    "note": "note",
    "comment": "text",
    "text": "text",
    "reason": "reason",
    "stars": "stars",
    "fulfil_within_days": "days",
    "kind": "kind",
}


@dataclass(frozen=True, slots=True)
class ActionForm:
    action: str = ""
    text: str = ""
    reason: str = ""
    offer_id: str = ""
    kind: str = ""
    amount: str = ""
    note: str = ""
    days: str = "15"
    stars: str = ""
    refer: str = ""


def visible_forms(case: Case, principal: Principal) -> list[str]:
    """The forms to show, in a stable order; the service still checks every submission."""
    allowed = set(allowed_actions(case.status, principal.role))
    if principal.role is Role.MEDIATOR and case.mediator_id != principal.user_id:
        allowed &= {Action.ASSIGN_MEDIATOR}
    elif principal.role is Role.MEDIATOR:
        allowed.discard(Action.ASSIGN_MEDIATOR)
    if case.rating is not None:  # rated once; the rating is shown on the case instead
        allowed.discard(Action.RATE)
    names = [n for n in _ORDER if FORM_ACTIONS[n] in allowed]
    return _offer_forms(case, principal, names)


def reject_leads_to(case: Case) -> str | None:
    """What rejecting the open offer will do, said before the click: from negotiation the case
    moves on to mediation, which the person may not expect of a plain "no"."""
    offer = case.open_offer
    if offer is None or offer.kind is OfferKind.PROPOSAL:
        return None
    target = target_status(case.status, Action.REJECT_OFFER)
    if target is CaseStatus.MEDIATION and case.status is not CaseStatus.MEDIATION:
        return gettext(
            "拒绝后，协商即告结束，本案将转入平台调解：由调解员介入，双方可继续提出方案。"
        )
    return None


def _offer_forms(case: Case, principal: Principal, names: list[str]) -> list[str]:
    offer = case.open_offer
    party = {Role.CONSUMER: "consumer", Role.MERCHANT: "merchant"}.get(principal.role)
    can_answer = offer is not None and party is not None and party not in offer.accepted_by
    if can_answer and offer is not None and principal.role is Role.MERCHANT:
        can_answer = offer.kind is OfferKind.PROPOSAL
    names = [n for n in names if n not in ("accept", "reject")]
    if can_answer:
        names[:0] = ["accept", "reject"]
    return names


# The longest text each field takes; longer is refused with the count, never cut.
TEXT_LIMITS = {"text": 5_000, "reason": 2_000, "note": 500}


def to_command(case_id: str, form: ActionForm, offer_id: str) -> CaseCommand:
    action = FORM_ACTIONS.get(form.action)
    if action is None:
        raise ValidationFailed(gettext("不认识的操作"), field="action")
    limits = {**TEXT_LIMITS, "text": 1_000} if form.action == "rate" else TEXT_LIMITS
    for name, limit in limits.items():
        problem = too_long(getattr(form, name).strip(), limit)
        if problem:
            raise ValidationFailed(problem, field=name)
    terms: tuple[Claim, ...] = ()
    if form.action in ("offer", "propose"):
        terms = (_term(form),)
    return CaseCommand(
        case_id=case_id,
        action=action,
        reason=form.reason.strip(),
        text=(form.note if form.action in ("offer", "propose") else form.text).strip(),
        offer_id=form.offer_id or offer_id,
        terms=terms,
        fulfil_within_days=_days(form.days),
        stars=_stars(form.stars, required=form.action == "rate"),
        refer=form.refer == "on",
    )


def _term(form: ActionForm) -> Claim:
    try:
        kind = ClaimKind(form.kind)
    except ValueError:
        raise ValidationFailed(gettext("请选择方案类型"), field="kind") from None
    amount = yuan_to_fen(form.amount, field="amount") if form.amount.strip() else None
    if kind in (ClaimKind.REFUND, ClaimKind.COMPENSATION) and amount is None:
        raise ValidationFailed(gettext("退款或赔偿须写明金额"), field="amount")
    return Claim(kind, amount, form.note.strip())


def _days(text: str) -> int:
    if not text.strip().isdigit() or not 1 <= int(text) <= 90:
        raise ValidationFailed(gettext("履行期限应为 1 到 90 天"), field="days")
    return int(text)


def _stars(text: str, *, required: bool) -> int:
    if not required:
        return 0
    if text not in {"1", "2", "3", "4", "5"}:
        raise ValidationFailed(gettext("请选择 1 到 5 星"), field="stars")
    return int(text)
