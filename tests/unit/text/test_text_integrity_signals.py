"""Bad-faith signals over plain records, each with a reason a mediator can read."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from weiquan.adapters.text.integrity_signals import (
    copy_paste_campaigns,
    near_duplicate_signal,
    serial_claimants,
)
from weiquan.adapters.text.near_duplicates import NearDuplicateIndex
from weiquan.domain.errors import ValidationFailed
from weiquan.domain.text_signals import SignalKind, TextRecord, detect_review_bursts

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 11, 11, 9, 0, tzinfo=SHANGHAI)
TEMPLATE = (
    "该店铺销售的{item}是假货，专柜鉴定不是正品，商家拒绝退款，大家千万不要上当，要求退一赔三。"
)


def record(record_id: str, author: str, subject: str, text: str, minutes: int = 0) -> TextRecord:
    return TextRecord(record_id, author, subject, text, START + timedelta(minutes=minutes))


def test_the_same_text_from_three_accounts_is_a_copy_paste_campaign() -> None:
    records = [
        record("r1", "alice", "shop-1", TEMPLATE.format(item="运动鞋")),
        record("r2", "bob", "shop-1", TEMPLATE.format(item="运动鞋") + "！"),
        record("r3", "carol", "shop-1", TEMPLATE.format(item="运动鞋 ")),
        record("r4", "dave", "shop-1", "鞋子尺码偏大，申请换小一码。"),
    ]
    [signal] = copy_paste_campaigns(records, min_authors=3)
    assert signal.kind is SignalKind.COPY_PASTE_CAMPAIGN
    assert signal.record_ids == ("r1", "r2", "r3")
    assert signal.subject_id == "shop-1"
    assert "3 个账号" in signal.reason


def test_the_same_text_from_one_account_is_not_a_campaign() -> None:
    records = [record(f"r{i}", "alice", "shop-1", TEMPLATE.format(item="运动鞋")) for i in range(4)]
    assert copy_paste_campaigns(records, min_authors=3) == []


def test_one_claimant_with_near_identical_claims_against_three_merchants_is_flagged() -> None:
    records = [
        record("k1", "zhang", "shop-1", TEMPLATE.format(item="保温杯")),
        record("k2", "zhang", "shop-2", TEMPLATE.format(item="保温壶")),
        record("k3", "zhang", "shop-3", TEMPLATE.format(item="保温瓶")),
        record("k4", "li", "shop-1", TEMPLATE.format(item="保温杯")),
    ]
    [signal] = serial_claimants(records, min_merchants=3)
    assert signal.kind is SignalKind.SERIAL_CLAIMANT
    assert signal.subject_id == "zhang"
    assert set(signal.record_ids) == {"k1", "k2", "k3"}
    assert "3 家商家" in signal.reason


def test_different_claims_against_many_merchants_are_not_flagged() -> None:
    texts = ["手机屏幕有划痕。", "外卖晚到一小时，饭菜凉了。", "酒店房型与预订不符。"]
    records = [record(f"k{i}", "zhang", f"shop-{i}", text) for i, text in enumerate(texts)]
    assert serial_claimants(records, min_merchants=3) == []


def test_a_new_complaint_matching_a_stored_one_gets_a_near_duplicate_signal() -> None:
    index = NearDuplicateIndex()
    index.add("old-1", TEMPLATE.format(item="电饭煲"))
    signal = near_duplicate_signal(
        index, record("new-1", "bob", "shop-1", TEMPLATE.format(item="电饭锅"))
    )
    assert signal is not None
    assert signal.record_ids == ("old-1",)
    assert "高度相似" in signal.reason
    assert near_duplicate_signal(index, record("new-2", "bob", "shop-1", "物流太慢。")) is None


def test_forty_reviews_in_an_hour_for_a_quiet_shop_are_a_burst() -> None:
    history = [
        record(f"h{d}", f"user{d}", "shop-1", "好", minutes=-d * 24 * 60) for d in range(1, 29)
    ]
    burst = [record(f"b{i}", f"buyer{i}", "shop-1", "好评", minutes=i) for i in range(40)]
    [signal] = detect_review_bursts([*history, *burst], window=timedelta(hours=1), min_count=20)
    assert signal.kind is SignalKind.REVIEW_BURST
    assert signal.record_ids == tuple(f"b{i}" for i in range(40))
    assert "40 条评价" in signal.reason


def test_a_busy_shop_at_its_usual_pace_has_no_burst_after_its_opening_hour() -> None:
    steady = [
        record(f"s{i}", f"u{i}", "big-shop", "好", minutes=i * 2) for i in range(30 * 24 * 10)
    ]
    signals = detect_review_bursts(steady, window=timedelta(hours=1), min_count=20)
    # With no history the first hour's thirty reviews are a burst; every later hour is usual.
    assert [signal.record_ids[0] for signal in signals] == ["s0"]


def test_review_times_without_a_time_zone_are_refused() -> None:
    naive = TextRecord("r", "a", "s", "好", datetime(2026, 11, 11, 9, 0))  # noqa: DTZ001
    with pytest.raises(ValidationFailed):
        detect_review_bursts([naive], window=timedelta(hours=1), min_count=2)
