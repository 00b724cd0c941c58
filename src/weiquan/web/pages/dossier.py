"""When mediation fails: the case dossier for the regulator, an arbitrator or a court, as a PDF."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from weiquan.adapters.pdf import ChineseDocument
from weiquan.domain.calendar import CHINA_TZ
from weiquan.domain.cases import CaseEvent
from weiquan.domain.errors import NotFound
from weiquan.domain.lifecycle import ACTION_LABELS_ZH, Action
from weiquan.domain.money import format_fen
from weiquan.services import views
from weiquan.web.deps import NowDep, PagePrincipal, ServicesDep
from weiquan.web.i18n import gettext
from weiquan.web.pages.case_findings import case_findings
from weiquan.web.pages.common import mask_phone, require_login
from weiquan.web.pages.documents import claim_text

router = APIRouter(include_in_schema=False)


def failure_event(events: list[CaseEvent]) -> CaseEvent | None:
    return next((e for e in reversed(events) if e.action is Action.RECORD_FAILURE), None)


def _when(moment: datetime) -> str:
    return f"{moment.astimezone(CHINA_TZ):%Y年%m月%d日 %H:%M}"


def render_dossier(view: views.CaseView, findings: dict[str, Any], now: datetime) -> bytes:
    case, parties = view.case, view.parties
    failure = failure_event(view.events)
    if failure is None:
        raise NotFound(gettext("该案件没有调解未成的记录"))
    referred = any(e.action is Action.REFER for e in view.events)
    title = "案件材料（移交市场监管部门）" if referred else "案件材料（供仲裁或诉讼使用）"
    doc = ChineseDocument(title=title, created_at=now, footer=f"案件编号 {case.number}")
    doc.subtitle(f"案件编号 {case.number}    出具时间 {_when(now)}")
    doc.heading("当事人")
    merchant = parties.merchant_name + (
        f"（统一社会信用代码 {parties.merchant_uscc}）" if parties.merchant_uscc else ""
    )
    doc.key_values(
        [
            ("消费者", f"{parties.consumer_name}  {mask_phone(parties.consumer_phone)}"),
            ("经营者", merchant),
            ("店铺", f"{parties.shop_name}（{parties.platform}）"),
            ("调解员", parties.mediator_name or "—"),
            ("地区代码", case.region_code or "—"),
        ]
    )
    doc.heading("一、投诉事实")
    doc.paragraph(f"{case.title}。{case.description}")
    if case.order and case.order.order_no:
        paid = case.order.amount_paid_fen
        doc.paragraph(
            f"订单号 {case.order.order_no}" + (f"，实付 {format_fen(paid)}" if paid else "")
        )
    doc.heading("二、消费者的请求")
    doc.numbered([claim_text(c.kind, c.amount_fen, c.note) for c in case.claims])
    doc.heading("三、协商与调解经过")
    doc.numbered([_event_line(e) for e in view.events])
    doc.heading("四、调解未成的原因")
    doc.paragraph(failure.reason)
    doc.heading("五、法律意见（自动生成，供参考）")
    doc.numbered(_finding_lines(findings))
    return doc.output()


def _event_line(event: CaseEvent) -> str:
    text = str(event.payload.get("text") or event.reason)
    return f"{_when(event.at)} {ACTION_LABELS_ZH[event.action]}：{text}"


def _finding_lines(findings: dict[str, Any]) -> list[str]:
    result = findings.get("result")
    if not result:
        return [str(findings.get("error") or "无")]
    lines = []
    for finding in result["findings"]:
        if finding["applies"]:
            cites = "、".join(a["citation"] for a in finding["articles"])
            lines.append(f"{finding['explanation_zh']}（{cites}）")
    return lines or ["无"]


@router.get("/cases/{case_id}/dossier.pdf")
async def dossier_pdf(
    case_id: str, principal: PagePrincipal, svc: ServicesDep, now: NowDep
) -> Response:
    who = require_login(principal)
    view = await run_in_threadpool(views.case_view, svc, case_id, principal=who)
    findings = case_findings(view.case, now, svc.calendar)
    pdf = await run_in_threadpool(render_dossier, view, findings, now)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="dossier-{view.case.number}.pdf"'},
    )
