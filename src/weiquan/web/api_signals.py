"""/api/v1/cases/{id}/signals: what a mediator should look at twice, with reasons."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from weiquan.adapters.text.civility import default_checker
from weiquan.adapters.text.integrity_signals import case_detector
from weiquan.services import signals
from weiquan.web.deps import ApiPrincipal, ServicesDep

router = APIRouter(prefix="/api/v1", tags=["cases"])


def civility_hint(text: str) -> str | None:
    verdict = default_checker().assess(text)
    return (verdict.hint or "措辞可能过激，建议客观陈述事实。") if verdict.flagged else None


def signals_for(svc: Any, case_id: str, principal: Any) -> signals.CaseSignals:
    return signals.case_signals(
        svc, case_id, principal=principal, detect=case_detector, civility=civility_hint
    )


@router.get("/cases/{case_id}/signals")
def case_signals(case_id: str, principal: ApiPrincipal, svc: ServicesDep) -> dict[str, Any]:
    """For the case's mediator: near-duplicate complaints, copy-paste campaigns, serial claimants,
    and statements whose wording may inflame. Signals, never verdicts."""
    found = signals_for(svc, case_id, principal)
    return {
        "signals": [
            {
                "kind": s.kind.value,
                "reason": s.reason,
                "related": list(s.record_ids),
                "strength": round(s.strength, 3),
            }
            for s in found.signals
        ],
        "statements": [
            {"seq": f.seq, "author_role": f.author_role, "hint": f.hint} for f in found.statements
        ],
    }
