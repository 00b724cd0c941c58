"""The complaint form's fields, as typed, and what they become: a command and rules facts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import date, datetime, time
from typing import Any

from weiquan.domain.calendar import CHINA_TZ
from weiquan.domain.cases import (
    MAX_TEXT,
    MAX_TITLE,
    Category,
    Claim,
    ClaimKind,
    OrderItem,
    OrderRecord,
)
from weiquan.domain.errors import ValidationFailed
from weiquan.domain.money import yuan_to_fen
from weiquan.services.commands import Caller, FileComplaint
from weiquan.web.i18n import gettext, n_
from weiquan.web.messages import page_message, too_long

# The rules engine's word for what went wrong, by complaint category.
PROBLEM_OF_CATEGORY = {
    Category.QUALITY: "quality_defect",
    Category.NOT_AS_DESCRIBED: "not_as_described",
    Category.COUNTERFEIT: "fraud",
    Category.FALSE_ADVERTISING: "fraud",
    Category.PRICE_FRAUD: "fraud",
    Category.DELIVERY_DELAY: "late_delivery",
}
GOODS_KINDS = (
    ("general", n_("一般商品")),
    ("food", n_("食品")),
    ("durable", n_("耐用消费品（家电、数码等）")),
    ("custom_made", n_("定制商品")),
    ("fresh_perishable", n_("鲜活易腐商品")),
    ("digital_unsealed", n_("已拆封的音像制品、软件等数字商品")),
)
# Domain field names → the input that shows the message.
FIELD_INPUTS = {
    "claims": "claim_kind",
    "claims.amount_fen": "claim_amount",
    "claims.note": "claim_note",
    "order.order_no": "order_no",
    "order.platform": "shop_id",
    "order.amount_paid_fen": "amount",
    "order.signed_at": "signed_on",
    "order.ordered_at": "ordered_on",
    "order.items.name": "item_name",
    "caller.name": "caller_name",
    "caller": "caller_name",
    "phone": "caller_phone",
    "signed_at": "signed_on",
    "knew_of_harm_at": "noticed_on",
    "price_paid_fen": "amount",
}


@dataclass(frozen=True, slots=True)
class ComplaintForm:
    category: str = ""
    title: str = ""
    description: str = ""
    noticed_on: str = ""
    shop_id: str = ""
    order_no: str = ""
    item_name: str = ""
    amount: str = ""
    ordered_on: str = ""
    signed_on: str = ""
    goods: str = "general"
    claim_kind: str = ""
    claim_amount: str = ""
    claim_note: str = ""
    business: str = ""
    handled_elsewhere: str = ""
    caller_name: str = ""
    caller_phone: str = ""
    keep_screenshot: str = ""

    @classmethod
    def from_raw(cls, raw: dict[str, str]) -> ComplaintForm:
        """The fields exactly as typed (trimmed): nothing is cut here; too long is refused."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v.strip() for k, v in raw.items() if k in names})


REQUIRED = (
    ("category", n_("请选择问题类型")),
    ("title", n_("请用一句话概括问题")),
    ("description", n_("请写下事情的经过")),
    ("shop_id", n_("请选择被投诉的店铺")),
    ("claim_kind", n_("请选择您的诉求")),
)
HOTLINE_REQUIRED = (
    ("caller_name", n_("请填写来电人姓名")),
    ("caller_phone", n_("请填写来电人电话")),
)


# The longest each typed field may be, as the case and its order record accept them.
TEXT_LIMITS = {
    "title": MAX_TITLE,
    "description": MAX_TEXT,
    "order_no": 64,
    "item_name": 200,
    "claim_note": 500,
    "caller_name": 100,
    "caller_phone": 40,
}


def missing_fields(form: ComplaintForm, *, hotline: bool) -> dict[str, str]:
    """Every required field left empty, so the person sees all of them at once."""
    required = REQUIRED + (HOTLINE_REQUIRED if hotline else ())
    return {name: gettext(message) for name, message in required if not getattr(form, name)}


def form_errors(form: ComplaintForm, today: date, *, hotline: bool) -> dict[str, str]:
    """Every problem with the form, by input, all at once. Review and submit both check this,
    so what the person reviewed is exactly what is filed, and nothing typed is left out."""
    errors = missing_fields(form, hotline=hotline)
    for name, limit in TEXT_LIMITS.items():
        problem = too_long(getattr(form, name), limit)
        if problem and name not in errors:
            errors[name] = problem
    if form.category and form.category not in {c.value for c in Category}:
        errors["category"] = gettext("请选择问题类型")
    if form.claim_kind and form.claim_kind not in {k.value for k in ClaimKind}:
        errors["claim_kind"] = gettext("请选择您的诉求")
    for name in ("amount", "claim_amount"):
        with _collect(errors, name):
            _fen(getattr(form, name), name)
    errors.update(date_errors(form, today))
    return errors


def date_errors(form: ComplaintForm, today: date) -> dict[str, str]:
    """Dates that cannot be read, lie in the future, or contradict each other."""
    errors: dict[str, str] = {}
    days: dict[str, date] = {}
    for name in ("noticed_on", "ordered_on", "signed_on"):
        with _collect(errors, name):
            day = _day(getattr(form, name), name)
            if day is not None and day > today:
                raise ValidationFailed(gettext("这个日期还没到，请填写已经发生的日期"), field=name)
            if day is not None:
                days[name] = day
    ordered, signed = days.get("ordered_on"), days.get("signed_on")
    if ordered and signed and signed < ordered:
        errors["signed_on"] = gettext("签收日期不能早于下单日期")
    return errors


@contextmanager
def _collect(errors: dict[str, str], name: str) -> Iterator[None]:
    """Records a field's refusal in ``errors`` and goes on, so every wrong field is flagged."""
    try:
        yield
    except ValidationFailed as exc:
        errors.setdefault(name, page_message(exc))


def _day(text: str, field: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(gettext("日期格式应为 年-月-日"), field=field) from None


def _moment(text: str, field: str) -> datetime | None:
    day = _day(text, field)
    return datetime.combine(day, time(12), tzinfo=CHINA_TZ) if day else None


def _fen(text: str, field: str) -> int | None:
    return yuan_to_fen(text, field=field) if text else None


def _category(form: ComplaintForm) -> Category:
    try:
        return Category(form.category)
    except ValueError:
        raise ValidationFailed(gettext("请选择问题类型"), field="category") from None


def _claim(form: ComplaintForm) -> Claim:
    try:
        kind = ClaimKind(form.claim_kind)
    except ValueError:
        raise ValidationFailed(gettext("请选择您的诉求"), field="claim_kind") from None
    return Claim(kind, _fen(form.claim_amount, "claim_amount"), form.claim_note)


def _order(form: ComplaintForm, platform: str) -> OrderRecord | None:
    """The purchase, whenever any part of it was typed (a date alone is kept too)."""
    typed = (form.order_no, form.amount, form.item_name, form.ordered_on, form.signed_on)
    if not any(typed):
        return None
    items = (OrderItem(form.item_name, 1, _fen(form.amount, "amount")),) if form.item_name else ()
    return OrderRecord(
        platform=platform,
        order_no=form.order_no,
        items=items,
        amount_paid_fen=_fen(form.amount, "amount"),
        ordered_at=_moment(form.ordered_on, "ordered_on"),
        signed_at=_moment(form.signed_on, "signed_on"),
    )


def to_command(form: ComplaintForm, *, platform: str, hotline: bool) -> FileComplaint:
    if not form.shop_id:
        raise ValidationFailed(gettext("请选择被投诉的店铺"), field="shop_id")
    caller = Caller(form.caller_name, form.caller_phone) if hotline else None
    if hotline and not (form.caller_name and form.caller_phone):
        field = "caller_name" if not form.caller_name else "caller_phone"
        raise ValidationFailed(gettext("热线受理须填写来电人姓名和电话"), field=field)
    return FileComplaint(
        shop_id=form.shop_id,
        category=_category(form),
        title=form.title,
        description=form.description,
        claims=(_claim(form),),
        order=_order(form, platform),
        noticed_on=_day(form.noticed_on, "noticed_on"),
        handled_elsewhere=form.handled_elsewhere == "on",
        caller=caller,
    )


def claims_body(form: ComplaintForm, facts: dict[str, Any]) -> dict[str, Any] | None:
    """The claim check's input, once a claim is chosen: the facts and the one claim as typed."""
    if form.claim_kind not in {k.value for k in ClaimKind}:
        return None
    claim = {"kind": form.claim_kind, "amount_fen": _fen(form.claim_amount, "claim_amount")}
    return {"facts": facts, "claims": [claim]}


def rules_facts(form: ComplaintForm, today: date) -> dict[str, Any]:
    """What the rules engine needs from the form; only the fields the person has filled in."""
    facts: dict[str, Any] = {"today": today.isoformat(), "channel": "online"}
    facts["purpose"] = "business" if form.business == "on" else "personal"
    facts["goods"] = form.goods if form.goods in dict(GOODS_KINDS) else "general"
    try:
        problem = PROBLEM_OF_CATEGORY.get(Category(form.category))
    except ValueError:
        problem = None
    if problem:
        facts["problem"] = problem
    paid = _fen(form.amount, "amount")
    if paid is not None:
        facts["price_paid_fen"] = paid
    for key, text, name in (
        ("signed_at", form.signed_on, "signed_on"),
        ("knew_of_harm_at", form.noticed_on, "noticed_on"),
    ):
        day = _day(text, name)
        if day is not None and day <= today:  # a future date is the form's error, not a fact
            facts[key] = day.isoformat()
    if form.handled_elsewhere == "on":
        facts["handled_elsewhere"] = True
    return facts
