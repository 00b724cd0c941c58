"""Merchant-initiated disputes: a fake return (退货掉包), a malicious complaint, or extortion
(消费者权益保护法实施条例 Art 49(2)). Each rests on a case against the merchant, hears both sides
with evidence, and has the complaint's lifecycle shape with its own table.

    filed → mediation (the consumer answered, or stayed silent past the reply deadline)
          → decided   (a mediator finds for or against the merchant, with reasons)
    filed | mediation → withdrawn (by the merchant)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from weiquan.domain.accounts import Actor, Role
from weiquan.domain.calendar import WorkdayCalendar, add_working_days, china_date, due_or_note
from weiquan.domain.cases import require_text
from weiquan.domain.errors import PermissionDenied, ValidationFailed
from weiquan.domain.trust.tracking import Move, Tracked, roles

RESPONSE_WORKING_DAYS = 3


class DisputeKind(StrEnum):
    FAKE_RETURN = "fake_return"  # the returned item is not the one sent
    MALICIOUS_COMPLAINT = "malicious_complaint"
    EXTORTION = "extortion"


DISPUTE_KIND_LABELS_ZH = {
    DisputeKind.FAKE_RETURN: "虚假退货（退货掉包）",
    DisputeKind.MALICIOUS_COMPLAINT: "恶意投诉",
    DisputeKind.EXTORTION: "敲诈勒索",
}


class DisputeStatus(StrEnum):
    FILED = "filed"
    MEDIATION = "mediation"
    DECIDED = "decided"
    WITHDRAWN = "withdrawn"


class DisputeAction(StrEnum):
    ADD_STATEMENT = "add_statement"
    RESPOND = "respond"
    ESCALATE = "escalate"
    ASSIGN_MEDIATOR = "assign_mediator"
    DECIDE = "decide"
    WITHDRAW = "withdraw"


class DisputeFinding(StrEnum):
    FOR_MERCHANT = "for_merchant"
    FOR_CONSUMER = "for_consumer"


F, DA = DisputeStatus, DisputeAction
_PARTIES = roles(Role.MERCHANT, Role.CONSUMER)
TRANSITIONS: dict[tuple[str, str], Move] = {
    (F.FILED, DA.ADD_STATEMENT): Move(F.FILED, roles(Role.MERCHANT)),
    (F.FILED, DA.RESPOND): Move(F.MEDIATION, roles(Role.CONSUMER)),
    (F.FILED, DA.ESCALATE): Move(F.MEDIATION, roles(Role.SYSTEM)),
    (F.MEDIATION, DA.ADD_STATEMENT): Move(F.MEDIATION, _PARTIES),
    (F.MEDIATION, DA.ASSIGN_MEDIATOR): Move(F.MEDIATION, roles(Role.MEDIATOR, Role.ADMIN)),
    (F.MEDIATION, DA.DECIDE): Move(F.DECIDED, roles(Role.MEDIATOR)),
    (F.FILED, DA.WITHDRAW): Move(F.WITHDRAWN, roles(Role.MERCHANT)),
    (F.MEDIATION, DA.WITHDRAW): Move(F.WITHDRAWN, roles(Role.MERCHANT)),
}


@dataclass(frozen=True, slots=True)
class Statement:
    party: str  # "merchant" | "consumer"
    text: str
    evidence: tuple[str, ...]
    at: datetime


@dataclass(kw_only=True, slots=True)
class MerchantDispute(Tracked):
    merchant_id: str
    consumer_id: str
    case_id: str
    kind: DisputeKind
    filed_at: datetime
    statements: list[Statement] = field(default_factory=list)
    response_due_at: datetime | None = None
    clock_note: str = ""
    mediator_id: str | None = None
    finding: DisputeFinding | None = None
    decision_reason: str = ""
    next_check_at: datetime | None = None

    def apply(
        self,
        action: DisputeAction,
        *,
        actor: Actor,
        at: datetime,
        reason: str,
        payload: dict[str, object] | None = None,
    ) -> None:
        self._apply(TRANSITIONS, action, actor=actor, at=at, reason=reason, payload=payload)


def _statement(party: str, text: str, evidence: tuple[str, ...], at: datetime) -> Statement:
    require_text(text, field="text", limit=5_000)
    if len(evidence) > 20:
        raise ValidationFailed("证据最多 20 份", field="evidence")
    return Statement(party, text.strip(), evidence, at)


def file(
    *,
    dispute_id: str,
    merchant_id: str,
    consumer_id: str,
    case_id: str,
    kind: DisputeKind,
    text: str,
    evidence: tuple[str, ...],
    at: datetime,
    cal: WorkdayCalendar,
) -> MerchantDispute:
    if kind is DisputeKind.FAKE_RETURN and not evidence:
        raise ValidationFailed(
            "主张退货掉包须附证据（如发货与退回商品的照片、序列号）", field="evidence"
        )
    dispute = MerchantDispute(
        id=dispute_id,
        status=DisputeStatus.FILED,
        merchant_id=merchant_id,
        consumer_id=consumer_id,
        case_id=case_id,
        kind=kind,
        filed_at=at,
        updated_at=at,
        statements=[_statement("merchant", text, evidence, at)],
    )
    dispute.response_due_at, dispute.clock_note = due_or_note(
        lambda: add_working_days(china_date(at), RESPONSE_WORKING_DAYS, cal)
    )
    schedule(dispute)
    return dispute


def _party(dispute: MerchantDispute, actor: Actor) -> str:
    if actor.role is Role.MERCHANT:
        return "merchant"
    if actor.role is Role.CONSUMER and actor.user_id == dispute.consumer_id:
        return "consumer"
    raise PermissionDenied("只有争议双方可以陈述")


def add_statement(
    dispute: MerchantDispute, *, actor: Actor, at: datetime, text: str, evidence: tuple[str, ...]
) -> None:
    statement = _statement(_party(dispute, actor), text, evidence, at)
    action = DisputeAction.ADD_STATEMENT
    if actor.role is Role.CONSUMER and dispute.status == DisputeStatus.FILED:
        action = DisputeAction.RESPOND
    dispute.apply(
        action,
        actor=actor,
        at=at,
        reason="提交陈述与证据",
        payload={"party": statement.party, "evidence": list(evidence)},
    )
    dispute.statements.append(statement)
    schedule(dispute)


def escalate_if_silent(dispute: MerchantDispute, now: datetime) -> bool:
    due = dispute.response_due_at
    if dispute.status != DisputeStatus.FILED or due is None or now < due:
        return False
    dispute.apply(
        DisputeAction.ESCALATE,
        actor=Actor.system("consumer_silent_past_deadline"),
        at=now,
        reason="消费者逾期未陈述，转入调解",
    )
    schedule(dispute)
    return True


def assign_mediator(
    dispute: MerchantDispute, *, actor: Actor, at: datetime, mediator_id: str
) -> None:
    dispute.apply(
        DisputeAction.ASSIGN_MEDIATOR,
        actor=actor,
        at=at,
        reason="指派调解员",
        payload={"mediator_id": mediator_id},
    )
    dispute.mediator_id = mediator_id


def decide(
    dispute: MerchantDispute, *, actor: Actor, at: datetime, finding: DisputeFinding, reason: str
) -> None:
    if dispute.mediator_id != actor.user_id:
        raise PermissionDenied("请先认领该争议再作出决定")
    require_text(reason, field="reason", limit=2_000)
    dispute.apply(
        DisputeAction.DECIDE, actor=actor, at=at, reason=reason, payload={"finding": finding.value}
    )
    dispute.finding, dispute.decision_reason = finding, reason.strip()
    schedule(dispute)


def withdraw(dispute: MerchantDispute, *, actor: Actor, at: datetime, reason: str) -> None:
    dispute.apply(DisputeAction.WITHDRAW, actor=actor, at=at, reason=reason)
    schedule(dispute)


def refresh_clock(dispute: MerchantDispute, cal: WorkdayCalendar) -> None:
    if dispute.clock_note and dispute.status == DisputeStatus.FILED:
        filed = dispute.filed_at
        dispute.response_due_at, dispute.clock_note = due_or_note(
            lambda: add_working_days(china_date(filed), RESPONSE_WORKING_DAYS, cal)
        )
        schedule(dispute)


def schedule(dispute: MerchantDispute) -> None:
    filed = dispute.status == DisputeStatus.FILED
    dispute.next_check_at = dispute.response_due_at if filed else None
