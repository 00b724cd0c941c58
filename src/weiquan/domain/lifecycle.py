"""The complaint lifecycle as one table: (status, action) → next status, and who may act.

    draft → submitted → inadmissible
                      → negotiation → settled → fulfilled → closed
                          │  (silent past deadline, refused, offer rejected, escalated)
                          └→ mediation → agreement → fulfilled → closed
                                       → mediation_failed → referred | dossier_issued → closed
    settled, unfulfilled → mediation;   agreement, unfulfilled → mediation_failed
    withdrawn from any state before closed (except inadmissible, which is final).

Nothing else in the code base assigns a case's status: :meth:`Case.apply` looks the move up here.
Actions that do not change the status (a reply, an offer) are listed too, so the table also says
*when* they are allowed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from weiquan.domain.accounts import Role


class CaseStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    INADMISSIBLE = "inadmissible"
    NEGOTIATION = "negotiation"
    SETTLED = "settled"
    MEDIATION = "mediation"
    AGREEMENT = "agreement"
    MEDIATION_FAILED = "mediation_failed"
    REFERRED = "referred"
    DOSSIER_ISSUED = "dossier_issued"
    FULFILLED = "fulfilled"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


STATUS_LABELS_ZH: dict[CaseStatus, str] = {
    CaseStatus.DRAFT: "草稿",
    CaseStatus.SUBMITTED: "已提交",
    CaseStatus.INADMISSIBLE: "不予受理",
    CaseStatus.NEGOTIATION: "协商中",
    CaseStatus.SETTLED: "已和解",
    CaseStatus.MEDIATION: "调解中",
    CaseStatus.AGREEMENT: "已达成调解协议",
    CaseStatus.MEDIATION_FAILED: "调解未成",
    CaseStatus.REFERRED: "已移交监管部门",
    CaseStatus.DOSSIER_ISSUED: "已出具诉讼/仲裁材料",
    CaseStatus.FULFILLED: "已履行",
    CaseStatus.CLOSED: "已结案",
    CaseStatus.WITHDRAWN: "已撤回",
}

FINAL_STATUSES = frozenset({CaseStatus.CLOSED, CaseStatus.WITHDRAWN, CaseStatus.INADMISSIBLE})


class Action(StrEnum):
    SUBMIT = "submit"
    ADMIT = "admit"
    DECLARE_INADMISSIBLE = "declare_inadmissible"
    REPLY = "reply"
    MAKE_OFFER = "make_offer"
    ACCEPT_OFFER = "accept_offer"
    REJECT_OFFER = "reject_offer"
    REFUSE = "refuse"
    ESCALATE = "escalate"
    ASSIGN_MEDIATOR = "assign_mediator"
    PROPOSE_SETTLEMENT = "propose_settlement"
    ACCEPT_SETTLEMENT = "accept_settlement"
    REJECT_SETTLEMENT = "reject_settlement"
    CONCLUDE_AGREEMENT = "conclude_agreement"
    RECORD_FAILURE = "record_failure"
    CONFIRM_FULFILMENT = "confirm_fulfilment"
    REOPEN = "reopen"
    REFER = "refer"
    ISSUE_DOSSIER = "issue_dossier"
    CLOSE = "close"
    WITHDRAW = "withdraw"
    ADD_STATEMENT = "add_statement"
    REQUEST_EVIDENCE = "request_evidence"
    RATE = "rate"


ACTION_LABELS_ZH: dict[Action, str] = {
    Action.SUBMIT: "提交投诉",
    Action.ADMIT: "受理",
    Action.DECLARE_INADMISSIBLE: "不予受理",
    Action.REPLY: "商家答复",
    Action.MAKE_OFFER: "提出解决方案",
    Action.ACCEPT_OFFER: "接受方案",
    Action.REJECT_OFFER: "拒绝方案",
    Action.REFUSE: "商家拒绝",
    Action.ESCALATE: "申请调解",
    Action.ASSIGN_MEDIATOR: "指派调解员",
    Action.PROPOSE_SETTLEMENT: "提出调解方案",
    Action.ACCEPT_SETTLEMENT: "同意调解方案",
    Action.REJECT_SETTLEMENT: "不同意调解方案",
    Action.CONCLUDE_AGREEMENT: "达成调解协议",
    Action.RECORD_FAILURE: "调解终止",
    Action.CONFIRM_FULFILMENT: "确认履行",
    Action.REOPEN: "重新处理",
    Action.REFER: "移交监管部门",
    Action.ISSUE_DOSSIER: "出具诉讼/仲裁材料",
    Action.CLOSE: "结案",
    Action.WITHDRAW: "撤回投诉",
    Action.ADD_STATEMENT: "补充陈述",
    Action.REQUEST_EVIDENCE: "请求补充证据",
    Action.RATE: "评价处理结果",
}


@dataclass(frozen=True, slots=True)
class Move:
    target: CaseStatus
    roles: frozenset[Role]


C, M, MED, REG, OP, ADM, SYS = (
    Role.CONSUMER,
    Role.MERCHANT,
    Role.MEDIATOR,
    Role.REGULATOR,
    Role.OPERATOR,
    Role.ADMIN,
    Role.SYSTEM,
)
S = CaseStatus


def _roles(*roles: Role) -> frozenset[Role]:
    return frozenset(roles)


_PARTIES = _roles(C, M)
_OPEN_STATUSES = [s for s in CaseStatus if s not in FINAL_STATUSES]

TRANSITIONS: dict[tuple[CaseStatus, Action], Move] = {
    (S.DRAFT, Action.SUBMIT): Move(S.SUBMITTED, _roles(C, OP)),
    (S.SUBMITTED, Action.ADMIT): Move(S.NEGOTIATION, _roles(SYS, MED, ADM)),
    (S.SUBMITTED, Action.DECLARE_INADMISSIBLE): Move(S.INADMISSIBLE, _roles(SYS, MED, ADM)),
    (S.NEGOTIATION, Action.REPLY): Move(S.NEGOTIATION, _roles(M)),
    (S.NEGOTIATION, Action.MAKE_OFFER): Move(S.NEGOTIATION, _roles(M)),
    (S.NEGOTIATION, Action.ACCEPT_OFFER): Move(S.SETTLED, _roles(C)),
    (S.NEGOTIATION, Action.REJECT_OFFER): Move(S.MEDIATION, _roles(C)),
    (S.NEGOTIATION, Action.REFUSE): Move(S.MEDIATION, _roles(M)),
    (S.NEGOTIATION, Action.REQUEST_EVIDENCE): Move(S.NEGOTIATION, _roles(M)),
    (S.MEDIATION, Action.REQUEST_EVIDENCE): Move(S.MEDIATION, _roles(M, MED)),
    (S.NEGOTIATION, Action.ESCALATE): Move(S.MEDIATION, _roles(C, SYS)),
    (S.MEDIATION, Action.REPLY): Move(S.MEDIATION, _roles(M)),
    (S.MEDIATION, Action.MAKE_OFFER): Move(S.MEDIATION, _roles(M)),
    (S.MEDIATION, Action.ACCEPT_OFFER): Move(S.AGREEMENT, _roles(C)),
    (S.MEDIATION, Action.REJECT_OFFER): Move(S.MEDIATION, _roles(C)),
    (S.MEDIATION, Action.ASSIGN_MEDIATOR): Move(S.MEDIATION, _roles(MED, ADM)),
    (S.MEDIATION, Action.PROPOSE_SETTLEMENT): Move(S.MEDIATION, _roles(MED)),
    (S.MEDIATION, Action.ACCEPT_SETTLEMENT): Move(S.MEDIATION, _PARTIES),
    (S.MEDIATION, Action.REJECT_SETTLEMENT): Move(S.MEDIATION, _PARTIES),
    (S.MEDIATION, Action.CONCLUDE_AGREEMENT): Move(S.AGREEMENT, _roles(SYS, MED)),
    (S.MEDIATION, Action.RECORD_FAILURE): Move(S.MEDIATION_FAILED, _roles(MED, SYS)),
    (S.SETTLED, Action.CONFIRM_FULFILMENT): Move(S.FULFILLED, _roles(C, MED)),
    (S.AGREEMENT, Action.CONFIRM_FULFILMENT): Move(S.FULFILLED, _roles(C, MED)),
    (S.SETTLED, Action.REOPEN): Move(S.MEDIATION, _roles(C, SYS)),
    (S.AGREEMENT, Action.REOPEN): Move(S.MEDIATION_FAILED, _roles(C, SYS)),
    (S.MEDIATION_FAILED, Action.REFER): Move(S.REFERRED, _roles(MED, SYS)),
    (S.MEDIATION_FAILED, Action.ISSUE_DOSSIER): Move(S.DOSSIER_ISSUED, _roles(MED, SYS)),
    (S.FULFILLED, Action.CLOSE): Move(S.CLOSED, _roles(C, MED, SYS)),
    (S.REFERRED, Action.CLOSE): Move(S.CLOSED, _roles(REG, SYS)),
    (S.DOSSIER_ISSUED, Action.CLOSE): Move(S.CLOSED, _roles(MED, SYS)),
    (S.FULFILLED, Action.RATE): Move(S.FULFILLED, _roles(C)),
    (S.CLOSED, Action.RATE): Move(S.CLOSED, _roles(C)),
    **{(status, Action.WITHDRAW): Move(S.WITHDRAWN, _roles(C, OP)) for status in _OPEN_STATUSES},
    **{
        (status, Action.ADD_STATEMENT): Move(status, _roles(C, M, MED, OP))
        for status in _OPEN_STATUSES
        if status is not S.DRAFT
    },
}


def target_status(status: CaseStatus, action: Action) -> CaseStatus | None:
    """Where ``action`` takes a case in ``status``, per the table; None when it may not."""
    move = TRANSITIONS.get((status, action))
    return move.target if move else None


def allowed_actions(status: CaseStatus, role: Role) -> list[Action]:
    """The actions a role may take on a case in ``status``, in table order."""
    return [
        action
        for (src, action), move in TRANSITIONS.items()
        if src is status and role in move.roles
    ]
