"""Object-level authorisation: who may see and act on which case.

A case the principal may not see is reported as *not found*, so its existence does not leak.
"""

from __future__ import annotations

from collections.abc import Callable

from weiquan.domain.accounts import Principal, Role
from weiquan.domain.cases import Case
from weiquan.domain.errors import NotFound, PermissionDenied
from weiquan.domain.identifiers import region_contains
from weiquan.domain.lifecycle import Action, CaseStatus
from weiquan.services.ports import CaseFilter

_MEDIATOR_QUEUE = frozenset({CaseStatus.MEDIATION})
_REFERRED = frozenset({CaseStatus.REFERRED, CaseStatus.CLOSED})


def case_scope(principal: Principal, **narrowing: object) -> CaseFilter:
    """The listing filter that shows a principal exactly the cases they may see."""
    role = principal.role
    base: dict[str, object] = {}
    if role is Role.CONSUMER:
        base["consumer_id"] = principal.user_id
    elif role is Role.MERCHANT:
        base["merchant_id"] = principal.merchant_id or "-"
    elif role is Role.MEDIATOR:
        base["mediator_or_queue"] = principal.user_id
    elif role is Role.REGULATOR:
        base["region_prefix"] = region_prefix(principal.region_code or "-")
    elif role is Role.OPERATOR:
        raise PermissionDenied("热线坐席只能查看自己受理的投诉")
    return CaseFilter(**{**base, **narrowing})  # type: ignore[arg-type]


def region_prefix(region_code: str) -> str:
    """The code prefix shared by a division and everything inside it (GB/T 2260 levels)."""
    if region_code.endswith("0000"):
        return region_code[:2]
    if region_code.endswith("00"):
        return region_code[:4]
    return region_code


def can_view(principal: Principal, case: Case, *, was_referred: bool) -> bool:
    rule = _VIEW_RULES.get(principal.role)
    return rule is not None and rule(principal, case, was_referred)


def _regulator_sees(principal: Principal, case: Case, was_referred: bool) -> bool:
    return (
        was_referred
        and case.status in _REFERRED
        and principal.region_code is not None
        and region_contains(principal.region_code, case.region_code)
    )


_VIEW_RULES: dict[Role, Callable[[Principal, Case, bool], bool]] = {
    Role.ADMIN: lambda _p, _c, _r: True,
    Role.CONSUMER: lambda p, c, _r: c.consumer_id == p.user_id,
    Role.MERCHANT: lambda p, c, _r: (
        c.merchant_id == p.merchant_id and c.status is not CaseStatus.DRAFT
    ),
    Role.MEDIATOR: lambda p, c, _r: (
        c.mediator_id == p.user_id or (c.mediator_id is None and c.status in _MEDIATOR_QUEUE)
    ),
    Role.REGULATOR: _regulator_sees,
    Role.OPERATOR: lambda p, c, _r: c.filed_by_id == p.user_id,
}


def require_view(principal: Principal, case: Case | None, *, was_referred: bool) -> Case:
    if case is None or not can_view(principal, case, was_referred=was_referred):
        raise NotFound("找不到该案件，或您无权查看 (case not found)")
    return case


def require_act(principal: Principal, case: Case, action: Action) -> None:
    """On top of the lifecycle table's role check: the principal must be *this* case's party."""
    role = principal.role
    if (
        role is Role.MEDIATOR
        and action is not Action.ASSIGN_MEDIATOR
        and case.mediator_id != principal.user_id
    ):
        raise PermissionDenied("请先认领该案件（指派给自己）再进行调解操作")
    if role is Role.REGULATOR and action is not Action.CLOSE:
        raise PermissionDenied("监管人员只能对移交的案件办结")
