"""The rights and rules engine (法律规则引擎): facts about a purchase in, cited findings out.

    facts = parse_facts(json_mapping)          # ValidationFailed(field=...) on bad input
    result = assess(facts, calendar)           # pure; the calendar is the working-day port
    body = assessment_to_dict(result)          # the public JSON schema (docs/rules.md)

One module per rule family: returns (R1), quality (R2), punitive (R3–R5), complaints (R6, R8),
platform (R9, R10), brand (R11, R12), prepaid (R13), delay (R14, with R7's report clock).
"""

from weiquan.domain.rules.engine import assess, assessment_to_dict
from weiquan.domain.rules.facts import Facts
from weiquan.domain.rules.memo import MemoisedCalendar
from weiquan.domain.rules.model import ArticleRef, Assessment, Caveat, Finding, RuleId
from weiquan.domain.rules.parsing import parse_facts
from weiquan.domain.rules.periods import mediation_deadline, report_clock

__all__ = [
    "ArticleRef",
    "Assessment",
    "Caveat",
    "Facts",
    "Finding",
    "MemoisedCalendar",
    "RuleId",
    "assess",
    "assessment_to_dict",
    "mediation_deadline",
    "parse_facts",
    "report_clock",
]
