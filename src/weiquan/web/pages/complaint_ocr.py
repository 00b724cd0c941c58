"""Reading an order screenshot into the complaint form; the person then confirms every value."""

from __future__ import annotations

from dataclasses import replace
from functools import cache

from weiquan.adapters.ocr import RapidOcrReader
from weiquan.domain.calendar import CHINA_TZ
from weiquan.domain.money import format_fen
from weiquan.domain.ocr_fields import ExtractedFields
from weiquan.web.i18n import gettext
from weiquan.web.pages.complaint_form import ComplaintForm


@cache
def reader() -> RapidOcrReader:
    return RapidOcrReader()


def read_screenshot(
    form: ComplaintForm, image: bytes, shops: list[tuple[str, str, str]]
) -> tuple[ComplaintForm, list[tuple[str, str]]]:
    """The form with what the screenshot shows filled in, and (label, value) pairs to confirm."""
    fields = reader().read(image).fields
    updates: dict[str, str] = {}
    read: list[tuple[str, str]] = []
    if fields.order_no:
        updates["order_no"] = fields.order_no.value
        read.append((gettext("订单号"), fields.order_no.value))
    if fields.amount_paid_fen:
        fen = fields.amount_paid_fen.value
        updates["amount"] = f"{fen // 100}.{fen % 100:02d}"
        read.append((gettext("实付金额"), format_fen(fen)))
    if fields.item_name and not form.item_name:
        updates["item_name"] = fields.item_name.value
        read.append((gettext("商品名称"), fields.item_name.value))
    shop = _matching_shop(fields, shops)
    if shop:
        updates["shop_id"] = shop[0]
        read.append((gettext("店铺"), shop[1]))
    elif fields.shop_name:
        # Read but not on the platform: said, never dropped, so the person knows what was seen.
        label = gettext("店铺（平台上还没有这家店，请在下方选择或在经过里写明）")
        read.append((label, fields.shop_name.value))
    _dates(fields, updates, read)
    return replace(form, **updates), read


def _matching_shop(
    fields: ExtractedFields, shops: list[tuple[str, str, str]]
) -> tuple[str, str, str] | None:
    if not fields.shop_name:
        return None
    seen = fields.shop_name.value.replace(" ", "")
    return next((s for s in shops if s[1] in seen or seen in s[1]), None)


def _dates(fields: ExtractedFields, updates: dict[str, str], read: list[tuple[str, str]]) -> None:
    for found, name, label in (
        (fields.ordered_at, "ordered_on", gettext("下单日期")),
        (fields.received_at, "signed_on", gettext("签收日期")),
    ):
        if found:
            day = found.value.astimezone(CHINA_TZ).date().isoformat()
            updates[name] = day
            read.append((label, day))
