"""Bad-faith signals over plain records: copy-paste campaigns, serial claimants, repeat filings.

Each function takes :class:`TextRecord` values (who wrote what about whom, when) and returns
:class:`Signal` values whose ``reason`` a mediator can read. They point at something worth a
look; whether it is a campaign, a coincidence or a legitimate group complaint (the same fault
hits many buyers, who then copy one another's wording) is the mediator's call.
Review bursts need no text and live in the domain: :func:`detect_review_bursts`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence

from weiquan.adapters.text.near_duplicates import (
    DEFAULT_THRESHOLD,
    NearDuplicateIndex,
    group_pairs,
)
from weiquan.domain.text_signals import Signal, SignalKind, TextRecord, detect_review_bursts

__all__ = [
    "case_detector",
    "copy_paste_campaigns",
    "detect_review_bursts",
    "near_duplicate_signal",
    "serial_claimants",
]


def _percent(similarity: float) -> str:
    return f"{similarity:.0%}"


def near_duplicate_signal(
    index: NearDuplicateIndex, record: TextRecord, *, limit: int = 5
) -> Signal | None:
    """A new complaint against those already stored: is it one of them again?"""
    matches = [m for m in index.query(record.text) if m.key != record.record_id][:limit]
    if not matches:
        return None
    reason = (
        f"与已提交的 {len(matches)} 件投诉文字高度相似（最高 {_percent(matches[0].similarity)}，"
        f"阈值 {_percent(index.threshold)}）。可能是重复提交，也可能是同一问题的多名受害者，请核对。"
    )
    return Signal(
        kind=SignalKind.NEAR_DUPLICATE,
        subject_id=record.record_id,
        reason=reason,
        record_ids=tuple(match.key for match in matches),
        strength=matches[0].similarity,
        details={"best_similarity": f"{matches[0].similarity:.4f}"},
    )


def copy_paste_campaigns(
    records: Sequence[TextRecord],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    min_authors: int = 3,
) -> list[Signal]:
    """Groups of near-identical texts sent by at least ``min_authors`` different accounts."""
    by_id = {record.record_id: record for record in records}
    index = NearDuplicateIndex(threshold=threshold)
    index.add_many((record.record_id, record.text) for record in records)
    signals = []
    for group in index.groups():
        members = [by_id[key] for key in group]
        authors = {member.author_id for member in members}
        if len(authors) < min_authors:
            continue
        subjects = Counter(member.subject_id for member in members)
        first, last = min(m.at for m in members), max(m.at for m in members)
        reason = (
            f"{len(authors)} 个账号提交了 {len(members)} 条文字高度相似的内容"
            f"（相似度≥{_percent(threshold)}），涉及 {len(subjects)} 家商家，"
            f"时间 {first:%Y-%m-%d %H:%M} 至 {last:%Y-%m-%d %H:%M}。"
            "可能是组织投诉或刷评，也可能是同一问题的众多受害者，请核对。"
        )
        signals.append(
            Signal(
                kind=SignalKind.COPY_PASTE_CAMPAIGN,
                subject_id=subjects.most_common(1)[0][0],
                reason=reason,
                record_ids=tuple(group),
                strength=min(1.0, len(authors) / (3 * min_authors)),
                details={"authors": str(len(authors)), "merchants": str(len(subjects))},
            )
        )
    return signals


def serial_claimants(
    records: Sequence[TextRecord],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    min_merchants: int = 3,
) -> list[Signal]:
    """Accounts that filed near-identical claims against at least ``min_merchants`` merchants.

    One buyer with the same fault from three shops is possible; the same wording against ten
    is the pattern of 职业索赔 (claims made for the payout), which the law treats differently.
    """
    by_author: dict[str, list[TextRecord]] = defaultdict(list)
    for record in records:
        by_author[record.author_id].append(record)
    signals = []
    for author_id, claims in by_author.items():
        if len({claim.subject_id for claim in claims}) < min_merchants:
            continue
        signals.extend(_similar_claims_of(author_id, claims, threshold, min_merchants))
    return signals


def _similar_claims_of(
    author_id: str, claims: Sequence[TextRecord], threshold: float, min_merchants: int
) -> list[Signal]:
    by_id = {claim.record_id: claim for claim in claims}
    index = NearDuplicateIndex(threshold=threshold)
    index.add_many((claim.record_id, claim.text) for claim in claims)
    pairs = ((a, b) for a, b, _ in index.pairs())
    signals = []
    for group in group_pairs(pairs, (claim.record_id for claim in claims)):
        merchants = {by_id[key].subject_id for key in group}
        if len(merchants) < min_merchants:
            continue
        reason = (
            f"该账号向 {len(merchants)} 家商家提交了 {len(group)} 件文字高度相似的投诉"
            f"（相似度≥{_percent(threshold)}）。请核对是否为同一问题，或是否属于以索赔为业的投诉。"
        )
        signals.append(
            Signal(
                kind=SignalKind.SERIAL_CLAIMANT,
                subject_id=author_id,
                reason=reason,
                record_ids=tuple(group),
                strength=min(1.0, len(merchants) / (3 * min_merchants)),
                details={"merchants": str(len(merchants)), "claims": str(len(group))},
            )
        )
    return signals


def case_detector(target: TextRecord, around: Sequence[TextRecord]) -> list[Signal]:
    """The signals about one complaint among the complaints around it (same consumer or same
    merchant): a near-duplicate of another, a campaign it belongs to, a serial claimant."""
    index = NearDuplicateIndex()
    index.add_many((r.record_id, r.text) for r in around if r.record_id != target.record_id)
    found: list[Signal] = []
    duplicate = near_duplicate_signal(index, target)
    if duplicate is not None:
        found.append(duplicate)
    found.extend(s for s in copy_paste_campaigns(around) if target.record_id in s.record_ids)
    mine = [r for r in around if r.author_id == target.author_id]
    found.extend(s for s in serial_claimants(mine) if target.record_id in s.record_ids)
    return found
