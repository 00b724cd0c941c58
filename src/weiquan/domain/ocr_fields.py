"""Order facts read out of the text of an order or chat screenshot.

OCR gives text boxes.  Apps lay an order page out as label/value rows (``订单编号 … 复制``,
``实付款 ¥1,299.50``) which OCR returns either as one box or as a label box with the value
box to its right; both are handled, using the box positions when there are any.  Each field
carries a confidence: the OCR score times how sure the rule is (a value after its label is
surer than a long number found on its own).  Nothing here decides a claim: the fields only
pre-fill a form the shopper checks.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Final, Generic, TypeVar

from weiquan.domain.calendar import CHINA_TZ
from weiquan.domain.errors import ValidationFailed
from weiquan.domain.imports import (
    DATETIME_PATTERN,
    datetime_from_match,
    normalize_text,
    parse_yuan_to_fen,
)

T = TypeVar("T")

Point = tuple[float, float]


@dataclass(frozen=True, slots=True)
class OcrLine:
    text: str
    confidence: float  # 0..1, from the recogniser
    box: tuple[Point, ...] = ()  # corners in image pixels, clockwise from top-left, if known

    @property
    def top(self) -> float:
        return min(y for _, y in self.box)

    @property
    def bottom(self) -> float:
        return max(y for _, y in self.box)

    @property
    def left(self) -> float:
        return min(x for x, _ in self.box)

    @property
    def right(self) -> float:
        return max(x for x, _ in self.box)


@dataclass(frozen=True, slots=True)
class FieldValue(Generic[T]):
    value: T
    confidence: float
    source_text: str  # the OCR text it came from, shown next to the pre-filled value


@dataclass(frozen=True, slots=True)
class LabeledAmount:
    label: str | None  # 实付款, 合计, … or None for a bare ¥ amount
    fen: int
    confidence: float
    source_text: str


_AnyField = FieldValue[str] | FieldValue[int] | FieldValue[date] | FieldValue[datetime]


@dataclass(frozen=True, slots=True)
class ExtractedFields:
    order_no: FieldValue[str] | None = None
    amount_paid_fen: FieldValue[int] | None = None
    shop_name: FieldValue[str] | None = None
    invoice_no: FieldValue[str] | None = None  # 发票号码, on receipts of offline purchases
    invoice_date: FieldValue[date] | None = None  # 开票日期
    item_name: FieldValue[str] | None = None  # the goods, as the order lists them
    platform: FieldValue[str] | None = None
    ordered_at: FieldValue[datetime] | None = None
    paid_at: FieldValue[datetime] | None = None
    shipped_at: FieldValue[datetime] | None = None
    received_at: FieldValue[datetime] | None = None
    amounts: tuple[LabeledAmount, ...] = ()
    times: tuple[FieldValue[datetime], ...] = ()

    def prefill(self, *, min_confidence: float = 0.5) -> dict[str, str | int]:
        """Values sure enough to pre-fill the complaint form, keyed by form field."""
        candidates: dict[str, _AnyField | None] = {
            "order_no": self.order_no,
            "amount_paid_fen": self.amount_paid_fen,
            "shop_name": self.shop_name,
            "item_name": self.item_name,
            "invoice_no": self.invoice_no,
            "invoice_date": self.invoice_date,
            "platform": self.platform,
            "ordered_at": self.ordered_at,
            "paid_at": self.paid_at,
            "shipped_at": self.shipped_at,
            "received_at": self.received_at,
        }
        prefill: dict[str, str | int] = {}
        for name, found in candidates.items():
            if found is not None and found.confidence >= min_confidence:
                value = found.value
                prefill[name] = value.isoformat() if isinstance(value, date) else value
        return prefill


# ── rules ─────────────────────────────────────────────────────────────────────────────────

_ORDER_LABEL = re.compile(
    r"(?:订单编号|订单号码|订单号|订单ID|ORDERNO|ORDERID|ORDERNUMBER)[:：]?", re.I
)
_ORDER_VALUE = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{5,39}")
_BARE_ORDER_NO = re.compile(r"(?<![\d.,:-])\d{12,24}(?![\d.,:])")

# Label → how strongly it means "what the shopper paid", best first.
_AMOUNT_LABELS: Final = (
    ("实付款", 1.0), ("实付金额", 1.0), ("实付", 1.0), ("实收", 0.95), ("付款金额", 0.95),
    ("需付款", 0.9), ("应付", 0.85), ("合计", 0.85), ("总计", 0.85), ("订单总价", 0.7),
    ("订单金额", 0.7), ("总价", 0.6), ("商品总价", 0.5), ("金额", 0.5),
    ("小写", 1.0), ("价税合计", 0.95),  # 发票: 价税合计（大写）…（小写）¥…
)  # fmt: skip
_AMOUNT_LABEL = re.compile(
    "|".join(sorted((re.escape(lbl) for lbl, _ in _AMOUNT_LABELS), key=len, reverse=True))
)
_MONEY = re.compile(
    r"(?P<sign>-?)\s*(?P<currency>¥|RMB)?\s*(?P<number>\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|\d+(?:\.\d{1,2})?)\s*(?P<yuan>元)?"
)

_TIME_LABELS: Final = (
    ("ordered_at", ("下单时间", "创建时间", "成交时间", "订单时间")),
    ("paid_at", ("付款时间", "支付时间")),
    ("shipped_at", ("发货时间",)),
    ("received_at", ("签收时间", "收货时间", "确认收货时间", "完成时间")),
)

_SHOP_LABEL = re.compile(
    r"(?:店铺名称|店铺|商家名称|商家|卖家|商户|销售方名称)[:：]\s*(?P<name>.+)"
)
_INVOICE_NO_LABEL = re.compile(r"发票号码[:：]?")
_INVOICE_NO_VALUE = re.compile(r"\d{8,20}")
_INVOICE_DATE_LABEL = re.compile(r"开票日期[:：]?")
_SHOP_SUFFIX = re.compile(
    r".{2,30}(?:旗舰店|专卖店|专营店|官方店|企业店|自营店|京东自营|小店|超市|商行)"
)
_NOT_A_SHOP: Final = ("进店", "关注", "客服", "联系", "评价", "推荐", "逛逛")

_PLATFORM_HINTS: Final = (
    ("tmall", ("天猫", "TMALL")),
    ("taobao", ("淘宝", "TAOBAO", "旺旺")),
    ("jd", ("京东", "JD.COM", "京豆")),
    ("pinduoduo", ("拼多多", "多多买菜")),
    ("douyin", ("抖音", "DOUYIN", "抖店")),
    ("kuaishou", ("快手",)),
    ("meituan", ("美团",)),
    ("eleme", ("饿了么",)),
    ("vip", ("唯品会",)),
    ("suning", ("苏宁",)),
    ("xiaohongshu", ("小红书",)),
    ("xianyu", ("闲鱼",)),
)

_COPY_BUTTON = re.compile(r"(?:复制|COPY)$", re.I)


def extract_order_fields(lines: Sequence[OcrLine], *, tz: tzinfo = CHINA_TZ) -> ExtractedFields:
    """All order facts the text supports; fields absent from the text are None."""
    ordered = _reading_order(lines)
    normalized = [_normalized(line) for line in ordered]
    amounts = _amounts(normalized)
    labelled_times, all_times = _times(normalized, tz=tz)
    shop_name, item_name = _shop_and_item(normalized)
    return ExtractedFields(
        order_no=_order_no(normalized),
        amount_paid_fen=_amount_paid(amounts),
        shop_name=shop_name,
        item_name=item_name,
        invoice_no=_labelled_value(normalized, _INVOICE_NO_LABEL, _INVOICE_NO_VALUE),
        invoice_date=_invoice_date(normalized, tz=tz),
        platform=_platform(normalized),
        ordered_at=labelled_times.get("ordered_at"),
        paid_at=labelled_times.get("paid_at"),
        shipped_at=labelled_times.get("shipped_at"),
        received_at=labelled_times.get("received_at"),
        amounts=tuple(amounts),
        times=tuple(all_times),
    )


def _normalized(line: OcrLine) -> OcrLine:
    # OCR drops or invents spaces at random; compare without them.
    text = normalize_text(line.text).replace(" ", "")
    return OcrLine(text, line.confidence, line.box)


def _reading_order(lines: Sequence[OcrLine]) -> list[OcrLine]:
    """Row by row, left to right: boxes whose vertical centres are close share a row."""
    if not all(line.box for line in lines):
        return list(lines)
    rows: list[list[OcrLine]] = []
    for line in sorted(lines, key=lambda item: (item.top + item.bottom) / 2):
        centre = (line.top + line.bottom) / 2
        if rows and abs(centre - _row_centre(rows[-1])) <= _row_tolerance(rows[-1][0]):
            rows[-1].append(line)
        else:
            rows.append([line])
    return [line for row in rows for line in sorted(row, key=lambda item: item.left)]


def _row_centre(row: list[OcrLine]) -> float:
    return sum((item.top + item.bottom) / 2 for item in row) / len(row)


def _row_tolerance(line: OcrLine) -> float:
    return max(4.0, (line.bottom - line.top) * 0.5)


def _same_row(first: OcrLine, second: OcrLine) -> bool:
    if not first.box or not second.box:
        return False
    return abs((first.top + first.bottom) / 2 - (second.top + second.bottom) / 2) <= _row_tolerance(
        first
    )


def _value_text(lines: Sequence[OcrLine], index: int, label_end: int) -> tuple[str, float]:
    """The text after a label: the rest of its box, else the next box on the same row or below."""
    line = lines[index]
    rest = _text_after_label(line.text, label_end)
    if rest:
        return rest, line.confidence
    if index + 1 < len(lines):
        following = lines[index + 1]
        same_row = _same_row(line, following) if line.box else True
        # A value on the next row is a weaker reading than one beside its label.
        weight = 1.0 if same_row else 0.8
        return following.text, min(line.confidence, following.confidence) * weight
    return "", 0.0


def _text_after_label(text: str, label_end: int) -> str:
    """What follows a label in its own box; a lone ``¥`` or colon is not a value yet."""
    rest = text[label_end:].lstrip(":：")
    return rest if any(ch.isalnum() for ch in rest) else ""


def _labelled_value(
    lines: Sequence[OcrLine], label_pattern: re.Pattern[str], value_pattern: re.Pattern[str]
) -> FieldValue[str] | None:
    for index, line in enumerate(lines):
        label = label_pattern.search(line.text)
        if label is None:
            continue
        text, confidence = _value_text(lines, index, label.end())
        match = value_pattern.match(_COPY_BUTTON.sub("", text))
        if match is not None:
            return FieldValue(match[0], round(confidence, 3), line.text)
    return None


def _order_no(lines: Sequence[OcrLine]) -> FieldValue[str] | None:
    labelled = _labelled_value(lines, _ORDER_LABEL, _ORDER_VALUE)
    if labelled is not None:
        return labelled
    for line in lines:
        bare = _BARE_ORDER_NO.search(line.text)
        if bare is not None and DATETIME_PATTERN.search(line.text) is None:
            return FieldValue(bare[0], round(line.confidence * 0.5, 3), line.text)
    return None


def _amounts(lines: Sequence[OcrLine]) -> list[LabeledAmount]:
    weights = dict(_AMOUNT_LABELS)
    found: list[LabeledAmount] = []
    value_boxes: set[int] = set()  # boxes already read as the value of a label on their left
    for index, line in enumerate(lines):
        if index in value_boxes:
            continue
        label = _AMOUNT_LABEL.search(line.text)
        if label is not None:
            text, confidence = _value_text(lines, index, label.end())
            money = _first_money(text)
            if money is not None:
                found.append(
                    LabeledAmount(
                        label[0], money, round(confidence * weights[label[0]], 3), line.text
                    )
                )
                if not _text_after_label(line.text, label.end()):
                    value_boxes.add(index + 1)
                continue
        found.extend(
            LabeledAmount(None, fen, round(line.confidence * 0.4, 3), line.text)
            for fen in _marked_money(line.text)
        )
    return found


def _first_money(text: str) -> int | None:
    for match in _MONEY.finditer(text):
        if match["sign"]:
            continue  # a discount line such as 优惠 -¥100.00 is never the amount paid
        try:
            return parse_yuan_to_fen(match["number"])
        except ValidationFailed:
            continue
    return None


def _marked_money(text: str) -> list[int]:
    """Amounts written with ¥ or 元 outside any label; a bare number could be anything."""
    return [
        parse_yuan_to_fen(match["number"])
        for match in _MONEY.finditer(text)
        if (match["currency"] or match["yuan"]) and not match["sign"]
    ]


def _amount_paid(amounts: Sequence[LabeledAmount]) -> FieldValue[int] | None:
    labelled = [amount for amount in amounts if amount.label is not None]
    if not labelled:
        return None
    best = max(labelled, key=lambda amount: amount.confidence)
    return FieldValue(best.fen, best.confidence, best.source_text)


def _times(
    lines: Sequence[OcrLine], *, tz: tzinfo
) -> tuple[dict[str, FieldValue[datetime]], list[FieldValue[datetime]]]:
    labelled: dict[str, FieldValue[datetime]] = {}
    every: list[FieldValue[datetime]] = []
    for index, line in enumerate(lines):
        label_name, label_end = _time_label(line.text)
        text, confidence = (
            _value_text(lines, index, label_end) if label_name else (line.text, line.confidence)
        )
        moment = _first_datetime(text, tz=tz)
        if moment is None:
            continue
        value = FieldValue(moment, round(confidence, 3), line.text)
        every.append(value)
        if label_name and label_name not in labelled:
            labelled[label_name] = value
    return labelled, every


def _time_label(text: str) -> tuple[str | None, int]:
    for name, labels in _TIME_LABELS:
        for label in labels:
            position = text.find(label)
            if position >= 0:
                return name, position + len(label)
    return None, 0


def _first_datetime(text: str, *, tz: tzinfo) -> datetime | None:
    for match in DATETIME_PATTERN.finditer(text):
        if match["hour"] is None:
            continue  # a bare date on a screenshot is usually a delivery estimate, not an event
        try:
            return datetime_from_match(match, tz=tz)
        except ValidationFailed:
            continue
    return None


def _invoice_date(lines: Sequence[OcrLine], *, tz: tzinfo) -> FieldValue[date] | None:
    for index, line in enumerate(lines):
        label = _INVOICE_DATE_LABEL.search(line.text)
        if label is None:
            continue
        text, confidence = _value_text(lines, index, label.end())
        for match in DATETIME_PATTERN.finditer(text):
            try:
                issued = datetime_from_match(match, tz=tz).date()
            except ValidationFailed:
                continue
            return FieldValue(issued, round(confidence, 3), line.text)
    return None


def _shop_name(lines: Sequence[OcrLine]) -> FieldValue[str] | None:
    for index, line in enumerate(lines):
        labelled = _SHOP_LABEL.match(line.text)
        if labelled is not None:
            return FieldValue(labelled["name"], round(line.confidence * 0.95, 3), line.text)
        if line.text in {"店铺", "商家", "卖家", "店铺名称", "商家名称"}:
            text, confidence = _value_text(lines, index, len(line.text))
            if text:
                return FieldValue(text, round(confidence * 0.9, 3), line.text)
    for line in lines:
        suffixed = _SHOP_SUFFIX.fullmatch(_strip_shop_chrome(line.text))
        if suffixed is not None and not any(word in line.text for word in _NOT_A_SHOP):
            return FieldValue(suffixed[0], round(line.confidence * 0.85, 3), line.text)
    return None


# What starts the goods block of an order page: the item's options, its quantity, or its price.
_ITEM_DETAIL = re.compile(
    r"^(?:颜色分类|颜色|规格|型号|尺码|尺寸|款式|套餐类型|套餐|版本|分类|口味|容量|数量)[:：]"
    r"|^[x×X*]\s*\d{1,3}$|^[¥￥]\s*\d"
)
# Page chrome and order states: never a shop or an item.
_NOT_NAME_WORDS: Final = (
    "交易成功", "交易关闭", "待付款", "待发货", "待收货", "待评价", "已签收", "已完成", "已发货",
    "订单详情", "订单信息", "物流", "快递", "收货地址", "收货人", "退款", "售后", "再买一单",
    "确认收货", "查看", "联系", "客服", "进店", "复制", "评价", "服务", "保障", "退换",
)  # fmt: skip
_ADDRESS_MARKS = re.compile(r"[省市区县镇乡路街巷号楼室]")
_PHONE = re.compile(r"1\d{2}[*\d]{4}\d{4}")


def _shop_and_item(
    lines: Sequence[OcrLine],
) -> tuple[FieldValue[str] | None, FieldValue[str] | None]:
    """The shop and the item. A labelled or suffixed shop name wins; otherwise, on the common
    layout where the shop name stands alone on the line above the item, the name lines just
    above the item's options, quantity or price are the shop (first) and the item (the rest;
    a long title wraps onto two lines)."""
    shop = _shop_name(lines)
    block = _name_block(lines)
    if shop is not None:
        block = [line for line in block if line.text not in shop.source_text]
    elif len(block) >= 2:
        first = block.pop(0)
        name = _strip_shop_chrome(first.text)
        shop = FieldValue(name, round(first.confidence * 0.7, 3), first.text)
    if not block:
        return shop, None
    item = "".join(line.text for line in block)
    confidence = round(min(line.confidence for line in block) * 0.8, 3)
    return shop, FieldValue(item, confidence, " ".join(line.text for line in block))


def _name_block(lines: Sequence[OcrLine]) -> list[OcrLine]:
    """The name-like lines directly above the first line that starts the goods block."""
    start = next((i for i, line in enumerate(lines) if _ITEM_DETAIL.search(line.text)), None)
    if start is None:
        return []
    block: list[OcrLine] = []
    for line in reversed(lines[:start]):
        if not _looks_like_a_name(line.text) or len(block) == 3:
            break
        block.insert(0, line)
    return block


def _looks_like_a_name(text: str) -> bool:
    text = _strip_shop_chrome(text)
    letters = sum(ch.isalpha() for ch in text)
    if not 2 <= len(text) <= 80 or letters < 2:
        return False
    if any(mark in text for mark in (":", "：", "¥", "￥")) or _PHONE.search(text):
        return False
    if DATETIME_PATTERN.search(text) or any(word in text for word in _NOT_NAME_WORDS):
        return False
    return len(set(_ADDRESS_MARKS.findall(text))) < 3  # 北京市海淀区…路…号 is an address


def _strip_shop_chrome(text: str) -> str:
    """Drop the arrows and badges apps draw next to a shop name (``小米官方旗舰店 >``)."""
    return text.rstrip(">›〉 ").removeprefix("天猫").removeprefix("TMALL")


def _platform(lines: Sequence[OcrLine]) -> FieldValue[str] | None:
    text = "\n".join(line.text.upper() for line in lines)
    scores = {
        platform: sum(text.count(hint.upper()) for hint in hints)
        for platform, hints in _PLATFORM_HINTS
    }
    platform, hits = max(scores.items(), key=lambda item: item[1])
    if hits == 0:
        return None
    confidence = min(0.9, 0.5 + 0.2 * hits)
    return FieldValue(platform, confidence, f"{hits} 处平台特征 / platform hints")
