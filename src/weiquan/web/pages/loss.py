"""商标侵权损失评估: a merchant or brand estimates trademark damages (商标法 Art 63–64, rule R11)
with the rules engine, and sees how the amount is reached. A calculator: nothing is stored."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from weiquan.domain.accounts import Role
from weiquan.domain.calendar import china_date
from weiquan.domain.errors import DomainError, ValidationFailed
from weiquan.domain.money import yuan_to_fen
from weiquan.services.rules import assess_facts
from weiquan.web.api_rules import rules_calendar
from weiquan.web.deps import NowDep, PagePrincipal
from weiquan.web.i18n import gettext
from weiquan.web.messages import page_message
from weiquan.web.pages.common import render, require_role

router = APIRouter(include_in_schema=False)
_AMOUNTS = ("actual_loss", "infringer_profit", "licence_fee", "enforcement_costs")
_FLAGS = ("bad_faith_serious", "lawful_source_proven", "mark_unused_three_years")


@dataclass(frozen=True, slots=True)
class LossForm:
    actual_loss: str = ""
    infringer_profit: str = ""
    licence_fee: str = ""
    licence_fee_multiple: str = ""
    bad_faith_serious: str = ""
    punitive_multiple: str = ""
    enforcement_costs: str = ""
    lawful_source_proven: str = ""
    mark_unused_three_years: str = ""

    @classmethod
    def from_query(cls, query: dict[str, str]) -> LossForm:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v.strip()[:40] for k, v in query.items() if k in names})


def _number(text: str, field: str, low: float, high: float) -> float | None:
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not low <= value <= high:
        raise ValidationFailed(
            gettext("应为 %(low)s–%(high)s 之间的数") % {"low": low, "high": high}, field=field
        )
    return value


def trademark_facts(form: LossForm) -> dict[str, Any]:
    """The rules engine's trademark facts from the form (amounts typed in yuan)."""
    facts: dict[str, Any] = {}
    for name in _AMOUNTS:
        text = getattr(form, name)
        if text:
            facts[f"{name}_fen"] = yuan_to_fen(text, field=name)
    multiple = _number(form.licence_fee_multiple, "licence_fee_multiple", 0, 100)
    if multiple is not None:
        facts["licence_fee_multiple"] = multiple
    punitive = _number(form.punitive_multiple, "punitive_multiple", 1, 5)
    if punitive is not None:
        facts["punitive_multiple"] = punitive
    for name in _FLAGS:
        facts[name] = getattr(form, name) == "on"
    return facts


_FIELD_OF = {f"{name}_fen": name for name in _AMOUNTS}


@router.get("/merchant/loss-assessment")
def loss_assessment(request: Request, principal: PagePrincipal, now: NowDep) -> Response:
    who = require_role(principal, Role.MERCHANT, Role.MEDIATOR)
    query = dict(request.query_params)
    form = LossForm.from_query(query)
    context: dict[str, Any] = {"form": form, "errors": {}, "finding": None, "computed": False}
    if "calc" in query:
        context["computed"] = True
        try:
            facts = {"today": china_date(now).isoformat(), "trademark": trademark_facts(form)}
            result = assess_facts(facts, calendar=rules_calendar(request))
            context["finding"] = next(
                (f for f in result["findings"] if f["rule"] == "trademark_damages"), None
            )
        except DomainError as exc:
            field = (exc.field or "").removeprefix("trademark.")
            context["errors"] = {_FIELD_OF.get(field, field) or "form": page_message(exc)}
    status = 422 if context["errors"] else 200
    return render(request, "merchant/loss.html", who, status_code=status, **context)
