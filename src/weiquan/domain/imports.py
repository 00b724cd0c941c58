"""Imports of order records and chat logs a shopper exported from a platform.

Orders come as CSV (headers in Chinese or English, as platforms and Excel write them) or JSON;
chat logs as plain text in the common export shapes or JSON.  Parsing is strict about meaning
(amounts are exact integer fen, times are timezone-aware) and lenient about form (full-width
characters, ``¥``/``￥``/``元``, thousands separators, Excel's ``="…"`` wrapping).  Every problem
names the line or row and the column, and all problems are reported together.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Final

from weiquan.domain.calendar import CHINA_TZ
from weiquan.domain.errors import ValidationFailed

MAX_IMPORT_ROWS: Final = 20_000
MAX_REPORTED_PROBLEMS: Final = 20
MAX_AMOUNT_DIGITS: Final = 13  # ¥99,999,999,999.99 — far above any consumer purchase


# ── errors ────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True, slots=True)
class ImportProblem:
    line: int  # text or CSV line (the header is line 1), or the JSON item counted from 1
    column: str  # as written in the file, or the canonical field name
    message: str

    def describe(self) -> str:
        return f"第 {self.line} 行「{self.column}」：{self.message}"


class ImportRejected(ValidationFailed):
    """The file cannot be imported; ``problems`` lists every row that failed."""

    code = "import_rejected"

    def __init__(self, problems: Sequence[ImportProblem]) -> None:
        shown = "；".join(p.describe() for p in problems[:MAX_REPORTED_PROBLEMS])
        more = len(problems) - MAX_REPORTED_PROBLEMS
        suffix = f"；另有 {more} 处问题" if more > 0 else ""
        super().__init__(f"导入失败 / import failed: {shown}{suffix}", field=problems[0].column)
        self.problems = tuple(problems)


class _FieldError(ValueError):
    """A single value failed to parse; turned into an ImportProblem with its position."""

    def __init__(self, message: str, *, column: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.column = column


# ── amounts ───────────────────────────────────────────────────────────────────────────────

_CURRENCY_MARKS = re.compile(r"^(?:RMB|CNY|人民币|¥)|(?:元|RMB|CNY)$", re.IGNORECASE)
_AMOUNT = re.compile(r"(?P<sign>-?)(?P<whole>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<cents>\d{1,2}))?")


def normalize_text(text: str) -> str:
    """NFKC: full-width digits, letters, ``￥`` and punctuation become their ASCII forms."""
    return unicodedata.normalize("NFKC", text)


def parse_yuan_to_fen(text: str, *, allow_negative: bool = False) -> int:
    """``"¥1,299.50"`` → ``129950``; exact, with at most two decimals and no floats.

    Accepts ``¥``/``￥``/``RMB``/``人民币`` before and ``元`` after, full-width digits and correct
    thousands grouping.  Raises ValidationFailed on anything else.
    """
    cleaned = normalize_text(text).replace(" ", "").strip()
    sign = ""
    if cleaned.startswith(("-", "+")):
        sign, cleaned = cleaned[0], cleaned[1:]
    for _ in range(2):  # a mark at each end: "¥12元"
        cleaned = _CURRENCY_MARKS.sub("", cleaned)
    match = _AMOUNT.fullmatch(sign.replace("+", "") + cleaned)
    if match is None or len(match["whole"].replace(",", "")) > MAX_AMOUNT_DIGITS:
        raise ValidationFailed(
            f"金额「{text}」无法识别，应为如 1299.50 的元金额，最多两位小数 / "
            f"not an amount in yuan with at most two decimals: {text!r}",
            field="amount",
        )
    negative = match["sign"] == "-"
    if negative and not allow_negative:
        raise ValidationFailed(f"金额不能为负 / negative amount: {text!r}", field="amount")
    fen = int(match["whole"].replace(",", "")) * 100 + int((match["cents"] or "0").ljust(2, "0"))
    return -fen if negative else fen


# ── times ─────────────────────────────────────────────────────────────────────────────────

_DATE = r"(?P<year>\d{4})\s*[-/.年]\s*(?P<month>1[0-2]|0?[1-9])\s*[-/.月]\s*(?P<day>3[01]|[12]\d|0?[1-9])\s*日?"
_TIME = r"(?P<hour>2[0-3]|[01]?\d)\s*[:：时]\s*(?P<minute>[0-5]\d)(?:\s*[:：分]\s*(?P<second>[0-5]\d)(?:\.(?P<fraction>\d{1,6}))?)?"
_OFFSET = r"(?P<offset>Z|[+-]\d{2}:?\d{2})?"
DATETIME_PATTERN: Final = re.compile(rf"{_DATE}(?:\s*[T ]?\s*{_TIME}\s*{_OFFSET})?")


def parse_local_datetime(
    text: str, *, tz: tzinfo = CHINA_TZ, date_only_end: bool = False
) -> datetime:
    """A timezone-aware datetime from the ways exports and screenshots write one.

    ``2026-11-20 14:03:22``, ``2026/11/20 14:03``, ``2026年11月20日 14:03``, ISO 8601 with an
    offset.  Times without an offset are local to ``tz``.  A bare date means its start, or —
    with ``date_only_end``, for deadlines such as a promised delivery date — the midnight after
    it (民法典 Art 203: a period ends at 24:00).
    """
    match = DATETIME_PATTERN.fullmatch(normalize_text(text).strip())
    if match is None:
        raise ValidationFailed(f"时间「{text}」无法识别 / unrecognised time {text!r}", field="time")
    return datetime_from_match(match, tz=tz, date_only_end=date_only_end)


def datetime_from_match(
    match: re.Match[str], *, tz: tzinfo = CHINA_TZ, date_only_end: bool = False
) -> datetime:
    """The datetime a :data:`DATETIME_PATTERN` match spells."""
    try:
        day = date(int(match["year"]), int(match["month"]), int(match["day"]))
    except ValueError:
        raise ValidationFailed(f"日期不存在 / no such date: {match[0]!r}", field="time") from None
    if match["hour"] is None:
        if date_only_end:
            return datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)
        return datetime.combine(day, time.min, tzinfo=tz)
    clock = time(
        int(match["hour"]),
        int(match["minute"]),
        int(match["second"] or 0),
        int((match["fraction"] or "0").ljust(6, "0")),
    )
    return datetime.combine(day, clock, tzinfo=_offset_zone(match["offset"]) or tz)


def _offset_zone(offset: str | None) -> tzinfo | None:
    if not offset:
        return None
    if offset == "Z":
        return datetime.fromisoformat("2000-01-01T00:00:00+00:00").tzinfo
    digits = offset.replace(":", "")
    return datetime.fromisoformat(f"2000-01-01T00:00:00{digits[:3]}:{digits[3:]}").tzinfo


# ── orders ────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True, slots=True)
class OrderRecord:
    order_no: str
    amount_paid_fen: int
    shop: str | None = None
    items: str | None = None
    platform: str | None = None
    ordered_at: datetime | None = None
    paid_at: datetime | None = None
    promised_ship_by: datetime | None = None
    shipped_at: datetime | None = None
    promised_delivery_by: datetime | None = None
    received_at: datetime | None = None
    source_line: int = 0
    extra: Mapping[str, str] = field(default_factory=dict)


# Canonical field → header spellings, best first: a file with both 实付金额 and 订单金额 means
# the former, what the shopper actually paid.
ORDER_COLUMNS: Final[Mapping[str, tuple[str, ...]]] = {
    "order_no": ("订单号", "订单编号", "订单号码", "订单id", "order_no", "order_id", "order number"),
    "amount_paid_fen": (
        "实付金额", "实付款", "实付", "买家实付", "实收款", "付款金额", "amount_paid", "amount",
        "paid", "订单金额", "总金额", "金额",
    ),
    "amount_paid_fen_in_fen": ("amount_fen", "amount_paid_fen"),
    "shop": ("店铺", "店铺名称", "商家", "商家名称", "卖家", "shop", "store", "seller"),
    "items": ("商品", "商品名称", "宝贝标题", "商品标题", "items", "item", "product"),
    "platform": ("平台", "platform"),
    "ordered_at": ("下单时间", "订单创建时间", "创建时间", "成交时间", "ordered_at", "order_time", "created_at"),
    "paid_at": ("付款时间", "支付时间", "paid_at", "payment_time"),
    "promised_ship_by": ("承诺发货时间", "最晚发货时间", "promised_ship_by", "ship_by"),
    "shipped_at": ("发货时间", "shipped_at"),
    "promised_delivery_by": ("承诺送达时间", "预计送达时间", "承诺到货时间", "promised_delivery_by", "deliver_by"),
    "received_at": ("签收时间", "收货时间", "received_at", "delivered_at"),
}  # fmt: skip

_TIME_FIELDS: Final = (
    "ordered_at", "paid_at", "promised_ship_by", "shipped_at", "promised_delivery_by", "received_at",
)  # fmt: skip
_DEADLINE_FIELDS: Final = frozenset({"promised_ship_by", "promised_delivery_by"})
_SCIENTIFIC = re.compile(r"\d(?:\.\d+)?[eE]\+?\d+")


def parse_orders_csv(text: str, *, tz: tzinfo = CHINA_TZ) -> list[OrderRecord]:
    """Orders from a CSV export (comma- or tab-separated); the first line is the header."""
    body = text.lstrip("\ufeff")
    first_line = body.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(body), delimiter=delimiter)
    header = next(reader, None)
    if header is None:
        raise ImportRejected([ImportProblem(1, "header", "文件是空的 / the file is empty")])
    columns = _resolve_columns(header)
    rows = ((reader.line_num, row) for row in reader if any(cell.strip() for cell in row))
    return _parse_order_rows(
        ((line, dict(zip(header, row, strict=False))) for line, row in rows), columns, tz=tz
    )


def parse_orders_json(text: str, *, tz: tzinfo = CHINA_TZ) -> list[OrderRecord]:
    """Orders from ``[{...}, ...]`` or ``{"orders": [...]}`` with the same keys as the CSV."""
    document = _load_json(text)
    if isinstance(document, dict) and isinstance(document.get("orders"), list):
        document = document["orders"]
    if not isinstance(document, list) or not all(isinstance(item, dict) for item in document):
        raise ImportRejected(
            [ImportProblem(1, "orders", "应为订单对象的数组 / expected a list of order objects")]
        )
    headers = sorted({str(key) for item in document for key in item})
    columns = _resolve_columns(headers)
    items = (
        (index + 1, {str(k): "" if v is None else str(v) for k, v in item.items()})
        for index, item in enumerate(document)
    )
    return _parse_order_rows(items, columns, tz=tz)


def _resolve_columns(header: Sequence[str]) -> dict[str, str]:
    """Canonical field → the header actually used for it."""
    by_normalized = {normalize_text(name).strip().lower(): name for name in header}
    columns: dict[str, str] = {}
    for canonical, spellings in ORDER_COLUMNS.items():
        for spelling in spellings:
            if spelling in by_normalized:
                columns[canonical] = by_normalized[spelling]
                break
    if "amount_paid_fen_in_fen" in columns:
        columns.pop("amount_paid_fen", None)
    missing = [
        name
        for name, present in (
            ("订单号 / order_no", "order_no" in columns),
            (
                "实付金额 / amount",
                "amount_paid_fen" in columns or "amount_paid_fen_in_fen" in columns,
            ),
        )
        if not present
    ]
    if missing:
        raise ImportRejected(
            [ImportProblem(1, name, "缺少此列 / required column missing") for name in missing]
        )
    return columns


def _parse_order_rows(
    rows: Iterator[tuple[int, dict[str, str]]], columns: Mapping[str, str], *, tz: tzinfo
) -> list[OrderRecord]:
    records: list[OrderRecord] = []
    problems: list[ImportProblem] = []
    used_headers = set(columns.values())
    for count, (line, row) in enumerate(rows, start=1):
        if count > MAX_IMPORT_ROWS:
            problems.append(
                ImportProblem(line, "rows", f"超过 {MAX_IMPORT_ROWS} 行上限 / too many rows")
            )
            break
        record = _parse_order_row(line, row, columns, used_headers, tz=tz, problems=problems)
        if record is not None:
            records.append(record)
    if problems:
        raise ImportRejected(problems)
    return records


def _parse_order_row(
    line: int,
    row: Mapping[str, str],
    columns: Mapping[str, str],
    used_headers: set[str],
    *,
    tz: tzinfo,
    problems: list[ImportProblem],
) -> OrderRecord | None:
    values: dict[str, object] = {}
    before = len(problems)
    for canonical, header in columns.items():
        raw = _unwrap_spreadsheet_cell(row.get(header) or "")
        try:
            values[canonical] = _parse_order_value(canonical, raw, tz=tz)
        except (_FieldError, ValidationFailed) as exc:
            problems.append(ImportProblem(line, header, exc.message))
    if len(problems) > before:
        return None
    if "amount_paid_fen_in_fen" in values:
        values["amount_paid_fen"] = values.pop("amount_paid_fen_in_fen")
    extra = {k: v for k, v in row.items() if k not in used_headers and k and v}
    return OrderRecord(**values, source_line=line, extra=extra)  # type: ignore[arg-type]


def _unwrap_spreadsheet_cell(raw: str) -> str:
    """Undo what spreadsheets add to keep long numbers as text: ``="123"``, a leading ``'``, tabs."""
    value = raw.strip().strip("\t")
    if value.startswith('="') and value.endswith('"'):
        value = value[2:-1]
    return value.removeprefix("'").strip()


def _parse_order_value(canonical: str, raw: str, *, tz: tzinfo) -> object:
    if canonical == "order_no":
        return _parse_order_no(raw)
    if canonical == "amount_paid_fen":
        _require(raw, "实付金额不能为空 / amount is empty")
        return parse_yuan_to_fen(raw)
    if canonical == "amount_paid_fen_in_fen":
        if not raw.isdigit():
            raise _FieldError(f"应为整数分 / expected whole fen, got {raw!r}")
        return int(raw)
    if canonical in _TIME_FIELDS:
        if not raw:
            return None
        return parse_local_datetime(raw, tz=tz, date_only_end=canonical in _DEADLINE_FIELDS)
    return raw or None


def _parse_order_no(raw: str) -> str:
    _require(raw, "订单号不能为空 / order number is empty")
    if _SCIENTIFIC.fullmatch(raw):
        raise _FieldError(
            f"订单号「{raw}」被表格软件改成了科学计数法，请以文本格式重新导出 / "
            "the spreadsheet turned the order number into scientific notation; export it as text"
        )
    return normalize_text(raw)


def _require(raw: str, message: str) -> None:
    if not raw:
        raise _FieldError(message)


def _load_json(text: str) -> object:
    try:
        # Numbers stay strings: amounts must not pass through float, order numbers keep digits.
        return json.loads(
            text.lstrip("\ufeff"), parse_float=str, parse_int=str, parse_constant=_refuse_constant
        )
    except json.JSONDecodeError as exc:
        raise ImportRejected(
            [ImportProblem(exc.lineno, "json", f"JSON 格式错误 / invalid JSON: {exc.msg}")]
        ) from None


def _refuse_constant(name: str) -> object:
    raise ImportRejected([ImportProblem(1, "json", f"不允许 {name} / {name} is not a number")])


# ── chat logs ─────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True, slots=True)
class ChatMessage:
    speaker: str
    sent_at: datetime
    text: str
    source_line: int = 0


# A chat header must give the clock time, or a date followed by "14:03:22 …" would split wrongly.
_BRACKETED_DATETIME = rf"\[?(?P<when>{_DATE}\s*[T ]?\s*{_TIME}\s*{_OFFSET})\]?"
# One line: time, speaker, colon, message (the time may be in brackets).
_ONE_LINE = re.compile(rf"{_BRACKETED_DATETIME}\s+(?P<speaker>[^:：]+?)\s*[:：]\s*(?P<text>.*)")
# "店小二 2026-11-20 14:03:22" then the message on the following lines
_SPEAKER_FIRST = re.compile(rf"(?P<speaker>\S.*?)\s+{_BRACKETED_DATETIME}")
# "2026-11-20 14:03:22 店小二" then the message (QQ-style exports)
_TIME_FIRST = re.compile(rf"{_BRACKETED_DATETIME}\s+(?P<speaker>\S.*?)")


def parse_chat_text(text: str, *, tz: tzinfo = CHINA_TZ) -> list[ChatMessage]:
    """Messages from a plain-text chat export, one-line or two-line form, in file order.

    Lines that are not a message header continue the previous message (multi-line messages).
    """
    messages: list[_OpenMessage] = []
    problems: list[ImportProblem] = []
    for number, raw_line in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        line = raw_line.rstrip()
        header = _match_header(line)
        if header is not None:
            try:
                sent_at = _message_time(header, tz=tz)
            except ValidationFailed as exc:
                problems.append(ImportProblem(number, "time", exc.message))
                continue
            speaker = header["speaker"].strip()
            first_text = header.groupdict().get("text") or ""
            messages.append(
                _OpenMessage(speaker, sent_at, number, [first_text] if first_text else [])
            )
        elif messages:
            messages[-1].lines.append(line)
        elif line.strip():
            problems.append(
                ImportProblem(
                    number, "speaker", "找不到发言人和时间 / no speaker and time before this line"
                )
            )
    if problems:
        raise ImportRejected(problems)
    if not messages:
        raise ImportRejected([ImportProblem(1, "message", "没有找到任何消息 / no messages found")])
    return [message.close() for message in messages]


@dataclass(slots=True)
class _OpenMessage:
    speaker: str
    sent_at: datetime
    line: int
    lines: list[str]

    def close(self) -> ChatMessage:
        return ChatMessage(self.speaker, self.sent_at, "\n".join(self.lines).strip(), self.line)


def _match_header(line: str) -> re.Match[str] | None:
    # Matched on the line as written: the message text is evidence and keeps its punctuation.
    for pattern in (_ONE_LINE, _SPEAKER_FIRST, _TIME_FIRST):
        match = pattern.fullmatch(line)
        if match is not None:
            return match
    return None


def _message_time(match: re.Match[str], *, tz: tzinfo) -> datetime:
    """A message's time must say at least the minute; a bare date is not enough to order it."""
    if match["hour"] is None:
        raise ValidationFailed(
            "消息时间缺少时分 / the message time has no hour and minute", field="time"
        )
    return datetime_from_match(match, tz=tz)


_CHAT_KEYS: Final[Mapping[str, tuple[str, ...]]] = {
    "speaker": ("speaker", "sender", "from", "nickname", "发言人", "发送者"),
    "time": ("time", "sent_at", "timestamp", "datetime", "时间", "发送时间"),
    "message": ("message", "text", "content", "消息", "内容"),
}


def parse_chat_json(text: str, *, tz: tzinfo = CHINA_TZ) -> list[ChatMessage]:
    """Messages from ``[{"speaker": …, "time": …, "message": …}]``.

    ``time`` is a date-time string, or Unix time in seconds or milliseconds.
    """
    document = _load_json(text)
    if isinstance(document, dict) and isinstance(document.get("messages"), list):
        document = document["messages"]
    if not isinstance(document, list) or not document:
        raise ImportRejected(
            [ImportProblem(1, "messages", "应为消息数组 / expected a list of messages")]
        )
    messages: list[ChatMessage] = []
    problems: list[ImportProblem] = []
    for index, item in enumerate(document[:MAX_IMPORT_ROWS], start=1):
        try:
            messages.append(_chat_message_from_json(item, index, tz=tz))
        except _FieldError as exc:
            problems.append(ImportProblem(index, exc.column, exc.message))
    if problems:
        raise ImportRejected(problems)
    return messages


def _chat_message_from_json(item: object, index: int, *, tz: tzinfo) -> ChatMessage:
    if not isinstance(item, dict):
        raise _FieldError("应为对象 / expected an object", column="message")
    values: dict[str, str] = {}
    for canonical, keys in _CHAT_KEYS.items():
        found = next((item[key] for key in keys if item.get(key) not in (None, "")), None)
        if found is None or isinstance(found, (dict, list)):
            raise _FieldError("缺少或为空 / missing or empty", column=canonical)
        values[canonical] = str(found)
    try:
        sent_at = _chat_time(values["time"], tz=tz)
    except ValidationFailed as exc:
        raise _FieldError(exc.message, column="time") from None
    return ChatMessage(values["speaker"].strip(), sent_at, values["message"].strip(), index)


def _chat_time(raw: str, *, tz: tzinfo) -> datetime:
    if raw.isdigit():
        seconds = int(raw) / 1000 if len(raw) >= 13 else int(raw)
        return datetime.fromtimestamp(seconds, tz=tz)
    match = DATETIME_PATTERN.fullmatch(normalize_text(raw).strip())
    if match is None:
        raise ValidationFailed(f"时间「{raw}」无法识别 / unrecognised time {raw!r}", field="time")
    return _message_time(match, tz=tz)


def render_transcript(messages: Sequence[ChatMessage], *, tz: tzinfo = CHINA_TZ) -> str:
    """A readable conversation: a line per day, then ``14:03:22 店小二：您好``.

    Continuation lines of a multi-line message are indented under its first line.
    """
    lines: list[str] = []
    current_day: date | None = None
    for message in messages:
        local = message.sent_at.astimezone(tz)
        if local.date() != current_day:
            current_day = local.date()
            if lines:
                lines.append("")
            lines.append(f"──── {current_day.isoformat()} ────")
        first, *rest = message.text.split("\n")
        lines.append(f"{local:%H:%M:%S} {message.speaker}：{first}")
        indent = " " * 9
        lines.extend(indent + continuation for continuation in rest)
    return "\n".join(lines)
