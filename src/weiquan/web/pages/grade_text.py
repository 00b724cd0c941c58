"""A merchant's credit grade in plain words, in the page's language.

The grade is shrunk toward the platform average while a merchant has few closed cases. Saying
"谨慎下单" of a merchant whose few cases all went well would blame it for the average, so such a
grade reads as "few cases" and says, in words a shopper understands, what it rests on.
"""

from __future__ import annotations

from dataclasses import dataclass

from weiquan.domain.trust.grade import CreditGrade, Grade
from weiquan.web.i18n import gettext, n_

GRADE_LABELS = {
    Grade.RECOMMENDED: n_("建议下单"),
    Grade.CAUTION: n_("谨慎下单"),
    Grade.NOT_RECOMMENDED: n_("不建议下单"),
}
FEW_CASES_LABEL = n_("案件较少，暂无定论")
COMPONENT_LABELS = {
    "response": n_("答复率"),
    "speed": n_("首次答复速度"),
    "resolution": n_("解决率"),
    "fulfilment": n_("履约率"),
    "satisfaction": n_("消费者满意度"),
    "pledges": n_("自律承诺履行率"),
}


@dataclass(frozen=True, slots=True)
class GradeText:
    label: str
    css: str  # the grade's style: its own value, or "few" for a record too short to judge
    reasons: list[str]


def grade_text(grade: CreditGrade) -> GradeText:
    few_and_clean = grade.few_cases and _no_worse_than_average(grade)
    if few_and_clean and grade.grade is not Grade.RECOMMENDED:
        label, css = gettext(FEW_CASES_LABEL), "few"
    else:
        label, css = gettext(GRADE_LABELS[grade.grade]), grade.grade.value
    return GradeText(label, css, _reasons(grade))


def _no_worse_than_average(grade: CreditGrade) -> bool:
    """Nothing in the merchant's own record is below the platform average it is shrunk to."""
    return grade.violations == 0 and all(
        line.observed is None or line.observed >= line.prior for line in grade.lines
    )


def _reasons(grade: CreditGrade) -> list[str]:
    reasons = []
    if grade.few_cases:
        reasons.append(
            gettext(
                "只有 %(num)s 个已结案件，评级暂按平台平均水平估计，案件多了会以商家自己的记录为准。"
            )
            % {"num": grade.cases}
        )
    reasons.extend(_line(line.name, line.observed, line.observations) for line in grade.lines)
    if grade.violations:
        reasons.append(
            gettext("经查实的违法违规 %(num)s 起，扣 %(points)s 分")
            % {"num": grade.violations, "points": f"{grade.penalty:.0f}"}
        )
    return reasons


def _line(name: str, observed: float | None, observations: int) -> str:
    label = gettext(COMPONENT_LABELS.get(name, name))
    if observed is None or observations == 0:
        return gettext("%(label)s：暂无记录") % {"label": label}
    if name == "satisfaction":  # the rate is (stars − 1) / 4, averaged
        return gettext("%(label)s：%(num)s 个评价，平均 %(stars)s 星") % {
            "label": label,
            "num": observations,
            "stars": f"{1 + 4 * observed:.1f}",
        }
    return gettext("%(label)s：%(rate)s（%(num)s 次）") % {
        "label": label,
        "rate": f"{observed:.0%}",
        "num": observations,
    }
