"""Unsaved domain objects for unit tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from weiquan.domain.cases import Case, Category, Claim, ClaimKind
from weiquan.domain.lifecycle import CaseStatus

AT = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


def a_case(status: CaseStatus = CaseStatus.DRAFT, **overrides: Any) -> Case:
    values: dict[str, Any] = {
        "id": "case-1",
        "number": "WQ-20261125-AAAAAA",
        "consumer_id": "alice",
        "merchant_id": "m-1",
        "shop_id": "s-1",
        "category": Category.QUALITY,
        "title": "耳机右耳无声",
        "description": "右耳无声",
        "region_code": "110108",
        "claims": (Claim(ClaimKind.REFUND, 29900),),
        "created_at": AT,
        "status": status,
    }
    values.update(overrides)
    return Case(**values)
