"""Case rows in bulk, straight into the table, for query plans and the read benchmark.

Filing a complaint through the service costs about a millisecond (admission, deadlines, events);
a list read needs only the case rows. These are written with one multi-row INSERT per chunk, in
one transaction, shaped like a grown record: most cases of one consumer and one merchant (the
busiest accounts are the ones whose lists grow), states spread as a year of complaints spreads,
deadlines at the end of a Beijing day so that many cases share one (ties the list order must
break), mediation cases with and without a mediator, and referred cases in two regions.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from weiquan.adapters.db import tables as t
from weiquan.domain.lifecycle import CaseStatus

CHUNK = 5_000
# (status, share, has a deadline the worker watches)
_STATES: tuple[tuple[CaseStatus, float, bool], ...] = (
    (CaseStatus.NEGOTIATION, 0.30, True),
    (CaseStatus.MEDIATION, 0.10, True),
    (CaseStatus.SETTLED, 0.10, True),
    (CaseStatus.FULFILLED, 0.10, False),
    (CaseStatus.CLOSED, 0.20, False),
    (CaseStatus.REFERRED, 0.05, False),
    (CaseStatus.WITHDRAWN, 0.10, False),
    (CaseStatus.DRAFT, 0.05, False),
)


@dataclass(frozen=True, slots=True)
class Parties:
    """Who the rows are filed by and against: the first consumer and shop get most of them."""

    consumers: Sequence[str]
    shops: Sequence[tuple[str, str, str]]  # (shop id, merchant id, merchant region code)
    mediators: Sequence[str]


def _pick(rng: random.Random, items: Sequence[Any], busiest_share: float) -> Any:
    return items[0] if rng.random() < busiest_share or len(items) == 1 else rng.choice(items[1:])


def case_rows(
    parties: Parties, count: int, *, start: datetime, seed: int = 18, first: int = 0
) -> Iterator[dict[str, Any]]:
    """``count`` rows numbered from ``first`` (a record grows by calling again from where the
    last call ended), filed one every 30 seconds or so from ``start``."""
    rng = random.Random(seed * 1_000_003 + first)  # noqa: S311 - reproducible, not secrets
    weights = [share for _, share, _ in _STATES]
    for n in range(first, first + count):
        status, _, watched = rng.choices(_STATES, weights)[0]
        created = start + timedelta(seconds=n * 30 + rng.randrange(30))
        shop_id, merchant_id, region = _pick(rng, parties.shops, 0.7)
        day_end = created.replace(hour=15, minute=59, second=59, microsecond=999_999)
        due = day_end + timedelta(days=3 if status is CaseStatus.NEGOTIATION else 45)
        mediator = None
        if status is CaseStatus.MEDIATION and rng.random() < 0.6:
            mediator = _pick(rng, parties.mediators, 0.7)
        referred = status is CaseStatus.REFERRED or (
            status is CaseStatus.CLOSED and rng.random() < 0.2
        )
        yield {
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "number": f"WQ-BULK-{seed}-{n:08d}",
            "consumer_id": _pick(rng, parties.consumers, 0.7),
            "merchant_id": merchant_id,
            "shop_id": shop_id,
            "filed_by_id": None,
            "channel": "web",
            "category": "quality",
            "title": f"批量案件 {n}",
            "description": "批量生成的投诉，用于查询计划与读取基准。",
            "claims": [{"kind": "refund", "amount_fen": 29_900, "note": ""}],
            "order_record": None,
            "purpose": "personal",
            "noticed_on": None,
            "handled_elsewhere": False,
            "region_code": region,
            "status": status.value,
            "mediator_id": mediator,
            "inadmissible_ground": None,
            "rating": None,
            "merchant_replied_at": None,
            "reply_due_at": due if status is CaseStatus.NEGOTIATION else None,
            "negotiation_due_at": None,
            "mediation_due_at": due if status is CaseStatus.MEDIATION else None,
            "fulfilment_due_at": due if status is CaseStatus.SETTLED else None,
            "next_due_at": due if watched else None,
            "deadline_note": "",
            "created_at": created,
            "submitted_at": None if status is CaseStatus.DRAFT else created,
            "updated_at": created,
            "closed_at": created if status is CaseStatus.CLOSED else None,
            "version": 1,
            "last_seq": 0,
            "referred_province": region[:2] if referred else None,
            "referred_city": region[:4] if referred else None,
            "referred_district": region if referred else None,
        }


def insert_cases(engine: sa.Engine, rows: Iterator[dict[str, Any]]) -> int:
    """Writes the rows chunk by chunk in one transaction; returns how many."""
    written = 0
    with engine.begin() as conn:
        chunk: list[dict[str, Any]] = []
        for row in rows:
            chunk.append(row)
            if len(chunk) == CHUNK:
                conn.execute(t.cases.insert(), chunk)
                written += len(chunk)
                chunk = []
        if chunk:
            conn.execute(t.cases.insert(), chunk)
            written += len(chunk)
    return written
