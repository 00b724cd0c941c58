"""assess(facts, calendar) → Assessment: every rule family over one set of facts, and nothing else.

Pure: no I/O and no clock; ``facts.today`` is the only notion of now.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

from weiquan.domain.calendar import WorkdayCalendar
from weiquan.domain.errors import CalendarOutOfRange
from weiquan.domain.rules.brand import rpm_risk, trademark_damages
from weiquan.domain.rules.complaints import admissibility, limitation
from weiquan.domain.rules.delay import wilful_delay
from weiquan.domain.rules.facts import Facts
from weiquan.domain.rules.model import ArticleRef, Assessment, Caveat, Finding
from weiquan.domain.rules.periods import RuleContext
from weiquan.domain.rules.platform import ip_counter_notice, platform_liability
from weiquan.domain.rules.prepaid import prepaid_refund
from weiquan.domain.rules.punitive import punitive_food, punitive_fraud, punitive_injury
from weiquan.domain.rules.quality import quality_remedy
from weiquan.domain.rules.returns import refund_due, seven_day_return


def _require_today_covered(facts: Facts, calendar: WorkdayCalendar) -> None:
    first, last = calendar.covered_years()
    if not first <= facts.today.year <= last:
        raise CalendarOutOfRange(
            f"today（{facts.today.isoformat()}）超出节假日日历覆盖范围（{first}–{last} 年），期限无法计算；"
            f"today is outside the holiday calendar ({first}–{last}), so no deadline can be computed",
            field="today",
        )


def assess(facts: Facts, calendar: WorkdayCalendar) -> Assessment:
    _require_today_covered(facts, calendar)
    try:
        return _assess(facts, calendar)
    except CalendarOutOfRange as exc:
        # The calendar names only the day it lacks; the person needs the fact to correct.
        field = _fact_outside_calendar(facts, calendar)
        if field is None or exc.field not in (None, "date"):
            raise
        raise CalendarOutOfRange(exc.message, field=field) from None


def _fact_outside_calendar(
    facts: object, calendar: WorkdayCalendar, prefix: str = ""
) -> str | None:
    """The first date among the facts (nested ones too) in a year the calendar does not hold."""
    first, last = calendar.covered_years()
    for item in dataclasses.fields(facts):  # type: ignore[arg-type]
        value = getattr(facts, item.name)
        path = prefix + item.name
        if isinstance(value, date) and not first <= value.year <= last:
            return path
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            found = _fact_outside_calendar(value, calendar, path + ".")
            if found is not None:
                return found
    return None


def _assess(facts: Facts, calendar: WorkdayCalendar) -> Assessment:
    ctx = RuleContext(facts=facts, calendar=calendar)
    seven_day = seven_day_return(ctx)
    candidates = (
        seven_day,
        refund_due(ctx, seven_day),
        quality_remedy(ctx),
        punitive_fraud(ctx),
        punitive_injury(ctx),
        punitive_food(ctx),
        admissibility(ctx),
        limitation(ctx),
        platform_liability(ctx),
        ip_counter_notice(ctx),
        trademark_damages(ctx),
        rpm_risk(ctx),
        prepaid_refund(ctx),
        wilful_delay(ctx, return_right=seven_day is not None and seven_day.applies),
    )
    findings = tuple(finding for finding in candidates if finding is not None)
    return Assessment(findings=findings, caveats=(*ctx.caveats, *_unverified_bases(findings)))


def _unverified_bases(findings: tuple[Finding, ...]) -> list[Caveat]:
    caveats: list[Caveat] = []
    for finding in findings:
        for article in finding.articles:
            if not article.unverified:
                continue
            caveats.append(
                Caveat(
                    code="unverified_article",
                    message_zh=f"【未核实】{article.citation} 的条文编号或文本未能与权威文本核对，请以官方文本为准。",
                    message_en=f"[UNVERIFIED] {article.citation}: the article number or text was not "
                    "checked against an official text.",
                    rule=finding.rule,
                )
            )
    return caveats


def _article_dict(article: ArticleRef) -> dict[str, Any]:
    return {
        "law": article.law,
        "article": article.article,
        "citation": article.citation,
        "unverified": article.unverified,
    }


def assessment_to_dict(assessment: Assessment) -> dict[str, Any]:
    """The public output schema (docs/rules.md): plain JSON types only."""
    return {
        "findings": [
            {
                "rule": finding.rule.value,
                "applies": finding.applies,
                "articles": [_article_dict(a) for a in finding.articles],
                "remedy": finding.remedy,
                "amount_fen": finding.amount_fen,
                "deadline": finding.deadline.isoformat() if finding.deadline else None,
                "explanation_zh": finding.explanation_zh,
                "explanation_en": finding.explanation_en,
            }
            for finding in assessment.findings
        ],
        "warnings": [
            {
                "code": caveat.code,
                "rule": caveat.rule.value if caveat.rule else None,
                "message_zh": caveat.message_zh,
                "message_en": caveat.message_en,
            }
            for caveat in assessment.caveats
        ],
    }
