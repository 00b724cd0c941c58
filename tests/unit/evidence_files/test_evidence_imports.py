"""Order and chat-log imports: Chinese and English headers, exact money, located errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from weiquan.domain.calendar import CHINA_TZ
from weiquan.domain.errors import ValidationFailed
from weiquan.domain.imports import (
    ChatMessage,
    ImportRejected,
    parse_chat_json,
    parse_chat_text,
    parse_local_datetime,
    parse_orders_csv,
    parse_orders_json,
    parse_yuan_to_fen,
    render_transcript,
)

# ── amounts ───────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("¥1,299.50", 129950),
        ("￥1299.5", 129950),
        ("1299.50元", 129950),
        ("RMB 12", 1200),
        ("人民币8.08元", 808),
        ("０.０１", 1),
        ("¥12,345,678.90", 1234567890),
        ("0", 0),
    ],
)
def test_yuan_amounts_become_exact_fen(text: str, fen: int) -> None:
    assert parse_yuan_to_fen(text) == fen


@pytest.mark.parametrize(
    "text", ["1.234", "12,99.50", "abc", "", "¥", "1e3", "1,2", "99999999999999"]
)
def test_malformed_amounts_are_refused_rather_than_guessed(text: str) -> None:
    with pytest.raises(ValidationFailed):
        parse_yuan_to_fen(text)


def test_negative_amounts_need_explicit_permission() -> None:
    with pytest.raises(ValidationFailed, match="负"):
        parse_yuan_to_fen("-¥100.00")
    assert parse_yuan_to_fen("-¥100.00", allow_negative=True) == -10000


@given(st.integers(min_value=0, max_value=10**12))
def test_formatted_fen_parse_back_to_the_same_fen(fen: int) -> None:
    yuan, cents = divmod(fen, 100)
    assert parse_yuan_to_fen(f"¥{yuan:,}.{cents:02d}") == fen
    assert parse_yuan_to_fen(f"{yuan}.{cents:02d}元") == fen


# ── times ─────────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    "text",
    ["2026-11-20 14:03:22", "2026/11/20 14:03:22", "2026年11月20日 14:03:22", "2026-11-2014:03:22"],
)
def test_export_time_formats_mean_beijing_time(text: str) -> None:
    assert parse_local_datetime(text) == datetime(2026, 11, 20, 14, 3, 22, tzinfo=CHINA_TZ)


def test_an_explicit_offset_wins_over_the_default_zone() -> None:
    moment = parse_local_datetime("2026-11-20T06:03:22Z")
    assert moment == datetime(2026, 11, 20, 14, 3, 22, tzinfo=CHINA_TZ)


def test_a_bare_promised_date_ends_at_the_following_midnight() -> None:
    deadline = parse_local_datetime("2026-11-22", date_only_end=True)
    assert deadline == datetime(2026, 11, 23, tzinfo=CHINA_TZ)


def test_impossible_dates_are_refused() -> None:
    with pytest.raises(ValidationFailed, match="日期不存在"):
        parse_local_datetime("2026-02-30 10:00")


# ── orders ────────────────────────────────────────────────────────────────────────────────

CHINESE_CSV = """\ufeff订单号,店铺,商品,实付金额,下单时间,承诺送达时间,签收时间,备注
="2026112012345678901",小米官方旗舰店,Redmi Note 13 手机,"¥1,299.50",2026-11-20 14:03:22,2026-11-22,2026-11-25 09:10:00,年货
2026112012345678902,华为官方旗舰店,FreeBuds,399,2026/11/21 08:00,,,
"""


def test_orders_import_from_a_chinese_csv_with_exact_amounts() -> None:
    first, second = parse_orders_csv(CHINESE_CSV)
    assert first.order_no == "2026112012345678901"
    assert first.shop == "小米官方旗舰店"
    assert first.amount_paid_fen == 129950
    assert first.ordered_at == datetime(2026, 11, 20, 14, 3, 22, tzinfo=CHINA_TZ)
    assert first.promised_delivery_by == datetime(2026, 11, 23, tzinfo=CHINA_TZ)
    assert first.received_at is not None
    assert first.received_at > first.promised_delivery_by  # late: the claim builder's input
    assert first.extra == {"备注": "年货"}
    assert (second.amount_paid_fen, second.received_at, second.source_line) == (39900, None, 3)


def test_orders_import_from_an_english_tab_separated_export() -> None:
    text = "order_no\tshop\tamount\tordered_at\nA-1001\tAcme Store\t12.5\t2026-11-20 10:00\n"
    (order,) = parse_orders_csv(text)
    assert (order.order_no, order.shop, order.amount_paid_fen) == ("A-1001", "Acme Store", 1250)


def test_the_amount_paid_column_is_preferred_over_the_list_price() -> None:
    text = "订单号,订单金额,实付金额\n1,100.00,88.00\n"
    assert parse_orders_csv(text)[0].amount_paid_fen == 8800


def test_every_bad_row_is_reported_with_its_line_and_column() -> None:
    text = "订单号,实付金额,下单时间\n1,12.345,2026-11-20 10:00\n2,10,昨天\n,5,\n"
    with pytest.raises(ImportRejected) as caught:
        parse_orders_csv(text)
    problems = [(p.line, p.column) for p in caught.value.problems]
    assert problems == [(2, "实付金额"), (3, "下单时间"), (4, "订单号")]
    assert "第 2 行「实付金额」" in caught.value.message


def test_an_order_number_mangled_by_excel_is_explained() -> None:
    with pytest.raises(ImportRejected, match="科学计数法"):
        parse_orders_csv("订单号,实付金额\n2.02611E+18,10\n")


def test_a_csv_without_the_required_columns_names_them() -> None:
    with pytest.raises(ImportRejected) as caught:
        parse_orders_csv("店铺,商品\n小米,手机\n")
    assert {p.column for p in caught.value.problems} == {"订单号 / order_no", "实付金额 / amount"}


def test_orders_import_from_json_without_passing_amounts_through_float() -> None:
    document = '{"orders": [{"订单号": 2026112012345678901, "实付金额": 0.1, "店铺": "小店"}]}'
    (order,) = parse_orders_json(document)
    assert order.order_no == "2026112012345678901"  # 19 digits survive: no float on the way
    assert order.amount_paid_fen == 10


def test_json_orders_may_give_the_amount_in_whole_fen() -> None:
    (order,) = parse_orders_json(json.dumps([{"order_no": "X1", "amount_fen": 129950}]))
    assert order.amount_paid_fen == 129950


def test_invalid_json_reports_its_line() -> None:
    with pytest.raises(ImportRejected) as caught:
        parse_orders_json('[\n{"order_no": "1",\n}]')
    assert caught.value.problems[0].line == 3


# ── chat logs ─────────────────────────────────────────────────────────────────────────────

ONE_LINE_CHAT = """2026-11-20 14:03:22 店小二: 您好，有什么可以帮您？
2026-11-20 14:04:01 买家：我的快递三天没动了
能帮我查一下吗
[2026-11-21 09:00:00] 店小二: 已催促快递
"""

TWO_LINE_CHAT = """店小二 2026-11-20 14:03:22
您好，有什么可以帮您？

买家 2026-11-20 14:04:01
我的快递三天没动了
能帮我查一下吗
"""


def test_one_line_chat_exports_keep_speaker_time_and_multi_line_messages() -> None:
    messages = parse_chat_text(ONE_LINE_CHAT)
    assert [m.speaker for m in messages] == ["店小二", "买家", "店小二"]
    assert messages[1].text == "我的快递三天没动了\n能帮我查一下吗"
    assert messages[1].sent_at == datetime(2026, 11, 20, 14, 4, 1, tzinfo=CHINA_TZ)
    assert messages[2].source_line == 4


def test_two_line_chat_exports_read_the_same_as_one_line_ones() -> None:
    two_line = parse_chat_text(TWO_LINE_CHAT)
    one_line = parse_chat_text(ONE_LINE_CHAT)[:2]
    assert [(m.speaker, m.sent_at, m.text) for m in two_line] == [
        (m.speaker, m.sent_at, m.text) for m in one_line
    ]


def test_time_first_headers_as_qq_writes_them_are_understood() -> None:
    messages = parse_chat_text("2026-11-20 14:03:22 客服小美(123456)\n亲，在的\n")
    assert (messages[0].speaker, messages[0].text) == ("客服小美(123456)", "亲，在的")


def test_text_before_any_header_is_reported_with_its_line() -> None:
    with pytest.raises(ImportRejected) as caught:
        parse_chat_text("聊天记录导出\n2026-11-20 14:03:22 店小二: 您好\n")
    assert (caught.value.problems[0].line, caught.value.problems[0].column) == (1, "speaker")


def test_a_header_without_a_clock_time_is_not_taken_for_a_message() -> None:
    with pytest.raises(ImportRejected) as caught:
        parse_chat_text("2026-11-20 店小二: 您好\n")
    assert caught.value.problems[0].line == 1


SENT_MS = int(datetime(2026, 11, 20, 6, 4, 1, tzinfo=UTC).timestamp()) * 1000


def test_json_chat_logs_accept_iso_times_and_unix_milliseconds() -> None:
    document = json.dumps(
        [
            {"speaker": "店小二", "time": "2026-11-20 14:03:22", "message": "您好"},
            {"sender": "买家", "timestamp": SENT_MS, "content": "在吗"},
        ],
        ensure_ascii=False,
    )
    first, second = parse_chat_json(document)
    assert first.sent_at == datetime(2026, 11, 20, 14, 3, 22, tzinfo=CHINA_TZ)
    assert second.sent_at == datetime(2026, 11, 20, 6, 4, 1, tzinfo=UTC)
    assert second.speaker == "买家"


def test_json_chat_problems_name_the_item_and_field() -> None:
    document = json.dumps([{"speaker": "a", "time": "x", "message": "m"}, {"speaker": "b"}])
    with pytest.raises(ImportRejected) as caught:
        parse_chat_json(document)
    assert [(p.line, p.column) for p in caught.value.problems] == [(1, "time"), (2, "time")]


def test_a_transcript_reads_as_a_conversation_grouped_by_day() -> None:
    transcript = render_transcript(parse_chat_text(ONE_LINE_CHAT))
    assert transcript.splitlines() == [
        "──── 2026-11-20 ────",
        "14:03:22 店小二：您好，有什么可以帮您？",
        "14:04:01 买家：我的快递三天没动了",
        "         能帮我查一下吗",
        "",
        "──── 2026-11-21 ────",
        "09:00:00 店小二：已催促快递",
    ]


def test_a_transcript_shows_beijing_time_whatever_zone_the_messages_carry() -> None:
    utc_message = ChatMessage("a", datetime(2026, 11, 20, 23, 30, tzinfo=UTC), "hi")
    assert "07:30:00 a：hi" in render_transcript([utc_message])
    assert "2026-11-21" in render_transcript([utc_message])
    other_zone = timezone(timedelta(hours=-5))
    assert "18:30:00" in render_transcript([utc_message], tz=other_zone)


speakers = st.text(
    st.characters(categories=("L", "N"), include_characters="_()"), min_size=1, max_size=12
)
message_texts = st.text(
    st.characters(categories=("L", "N", "P", "Zs"), exclude_characters="\n\r\x85\u2028\u2029"),
    max_size=40,
).map(str.strip)
# Hypothesis takes naive bounds and attaches the zone itself.
moments = st.datetimes(
    min_value=datetime(2000, 1, 1),  # noqa: DTZ001
    max_value=datetime(2099, 12, 31),  # noqa: DTZ001
    timezones=st.just(CHINA_TZ),
).map(lambda moment: moment.replace(microsecond=0))


@given(st.lists(st.tuples(moments, speakers, message_texts), min_size=1, max_size=20))
def test_a_one_line_export_parses_back_to_the_messages_it_was_written_from(
    rows: list[tuple[datetime, str, str]],
) -> None:
    export = "\n".join(f"{when:%Y-%m-%d %H:%M:%S} {who}: {text}" for when, who, text in rows)
    parsed = parse_chat_text(export)
    assert [(m.sent_at, m.speaker, m.text) for m in parsed] == rows
