"""What the engine answers: findings that cite their articles, and caveats for the reader."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


class RuleId(StrEnum):
    """The public rule identifiers; the web pages and the API speak these."""

    RETURN_7DAY = "return_7day"
    REFUND_DUE = "refund_due"
    QUALITY_REMEDY = "quality_remedy"
    PUNITIVE_FRAUD = "punitive_fraud"
    PUNITIVE_INJURY = "punitive_injury"
    PUNITIVE_FOOD = "punitive_food"
    ADMISSIBILITY = "admissibility"
    LIMITATION = "limitation"
    PLATFORM_LIABILITY = "platform_liability"
    IP_COUNTER_NOTICE = "ip_counter_notice"
    TRADEMARK_DAMAGES = "trademark_damages"
    RPM_RISK = "rpm_risk"
    PREPAID_REFUND = "prepaid_refund"
    WILFUL_DELAY = "wilful_delay"


@dataclass(frozen=True, slots=True)
class ArticleRef:
    """One article of one law, as keyed in the statute knowledge base (statutes.yaml).

    ``unverified`` repeats the knowledge base's flag so that a finding resting on an article not
    confirmed against a primary text can say so without the domain reading files; a test keeps the
    two in step.
    """

    law: str
    article: str
    citation: str
    unverified: bool = False


@dataclass(frozen=True, slots=True)
class Finding:
    rule: RuleId
    applies: bool
    articles: tuple[ArticleRef, ...]
    explanation_zh: str
    explanation_en: str
    remedy: str | None = None
    amount_fen: int | None = None
    deadline: date | None = None


@dataclass(frozen=True, slots=True)
class Caveat:
    """Something the reader must know about the findings: an unverified basis, a lower-bound date."""

    code: str
    message_zh: str
    message_en: str
    rule: RuleId | None = None


@dataclass(frozen=True, slots=True)
class Assessment:
    findings: tuple[Finding, ...]
    caveats: tuple[Caveat, ...] = field(default=())

    def finding(self, rule: RuleId) -> Finding | None:
        return next((f for f in self.findings if f.rule is rule), None)
