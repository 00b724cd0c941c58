"""The trust clocks, run by the deadline worker's sweep: re-verification, 举报 decision and
notification deadlines, merchant-dispute reply deadlines, and closed cases not yet graded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from weiquan.services import (
    trust_access,
    trust_disputes,
    trust_grades,
    trust_reports,
    trust_vetting,
)
from weiquan.services.context import Services


@dataclass(frozen=True, slots=True)
class TrustStep:
    kind: str  # "vetting" | "report" | "dispute" | "grade" | "uploads"
    subject_id: str
    rule: str


def sweep_trust(svc: Services, *, now: datetime) -> list[TrustStep]:
    steps = [TrustStep("vetting", i, r) for i, r in trust_vetting.sweep_vetting(svc, now=now)]
    steps += [TrustStep("report", i, r) for i, r in trust_reports.sweep_reports(svc, now=now)]
    steps += [TrustStep("dispute", i, r) for i, r in trust_disputes.sweep_disputes(svc, now=now)]
    counted = trust_grades.count_uncounted(svc, now=now)
    if counted:
        steps.append(TrustStep("grade", str(counted), "closed_cases_graded"))
    swept = trust_access.sweep_unattached_uploads(svc, now=now)
    if swept:
        steps.append(TrustStep("uploads", str(swept), "unattached_uploads_removed"))
    return steps
