"""The rules engine as the entrypoints use it: decoded JSON in, the public output dict out."""

from __future__ import annotations

from typing import Any

from weiquan.domain.calendar import WorkdayCalendar
from weiquan.domain.errors import ValidationFailed
from weiquan.domain.rules import assess, assessment_to_dict, parse_facts
from weiquan.domain.rules.claims import ClaimedRemedy, check_claims


def assess_facts(mapping: object, *, calendar: WorkdayCalendar) -> dict[str, Any]:
    """Parse, assess and serialise; raises ValidationFailed (or CalendarOutOfRange) naming the field."""
    return assessment_to_dict(assess(parse_facts(mapping), calendar))


def assess_claims(body: object, *, calendar: WorkdayCalendar) -> dict[str, Any]:
    """``{"facts": {...}, "claims": [{"kind", "amount_fen"}]}`` → the findings plus, for each
    claim, whether the law supports it, its ceiling and why."""
    if not isinstance(body, dict) or set(body) - {"facts", "claims"}:
        raise ValidationFailed('请求体应为 {"facts": {...}, "claims": [...]}', field="body")
    facts = parse_facts(body.get("facts"))
    claims = [_claim(item, index) for index, item in enumerate(_claim_list(body.get("claims")))]
    assessment = assess(facts, calendar)
    checks = check_claims(
        claims, assessment, price_paid_fen=facts.price_paid_fen, loss_fen=facts.loss_fen
    )
    return {
        **assessment_to_dict(assessment),
        "claims": [
            {
                "kind": c.kind,
                "amount_fen": c.amount_fen,
                "within_law": c.within_law,
                "ceiling_fen": c.ceiling_fen,
                "rules": [r.value for r in c.rules],
                "reason_zh": c.reason_zh,
                "reason_en": c.reason_en,
            }
            for c in checks
        ],
    }


def _claim_list(value: object) -> list[object]:
    if not isinstance(value, list) or not value or len(value) > 10:
        raise ValidationFailed("claims 应为 1–10 项的列表", field="claims")
    return value


def _claim(item: object, index: int) -> ClaimedRemedy:
    field = f"claims.{index}"
    if not isinstance(item, dict) or set(item) - {"kind", "amount_fen"}:
        raise ValidationFailed("每项诉求只含 kind 和 amount_fen", field=field)
    kind, amount = item.get("kind"), item.get("amount_fen")
    if not isinstance(kind, str):
        raise ValidationFailed("kind 应为文本", field=f"{field}.kind")
    if amount is not None and (isinstance(amount, bool) or not isinstance(amount, int)):
        raise ValidationFailed("amount_fen 应为整数（分）", field=f"{field}.amount_fen")
    return ClaimedRemedy(kind, amount)
