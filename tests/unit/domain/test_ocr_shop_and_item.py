"""The shop and the item on an order page, from OCR lines in reading order (with boxes)."""

from __future__ import annotations

import pytest

from weiquan.domain.ocr_fields import OcrLine, extract_order_fields


def _lines(*rows: str) -> list[OcrLine]:
    """One box per row, 40 px apart, as an OCR engine reports a simple order page."""
    return [
        OcrLine(text, 0.98, ((30.0, 20.0 + 40 * n), (600.0, 20.0 + 40 * n),
                             (600.0, 50.0 + 40 * n), (30.0, 50.0 + 40 * n)))
        for n, text in enumerate(rows)
    ]  # fmt: skip


TAOBAO = (
    "交易成功",
    "张三 138****5678",
    "北京市海淀区中关村大街27号",
    "声悦数码",  # alone on its line: no 店铺 label, no 旗舰店 suffix
    "无线蓝牙耳机 降噪入耳式",
    "颜色分类：曜石黑",
    "¥299.00",
    "x1",
    "实付款 ¥299.00",
    "订单编号：2026112012345678901",
)


def test_a_shop_name_alone_on_the_line_above_the_item_is_found_and_the_item_read() -> None:
    fields = extract_order_fields(_lines(*TAOBAO))
    assert fields.shop_name is not None
    assert fields.shop_name.value == "声悦数码"
    assert fields.item_name is not None
    assert fields.item_name.value == "无线蓝牙耳机降噪入耳式"


def test_a_shop_with_a_chevron_and_an_item_title_on_two_lines() -> None:
    rows = (
        "订单详情",
        "老街坊杂货 >",
        "九阳豆浆机家用全自动",
        "破壁免滤 1.2L",
        "规格：标准版",
        "x1",
    )
    fields = extract_order_fields(_lines(*rows))
    assert fields.shop_name is not None
    assert fields.shop_name.value == "老街坊杂货"
    assert fields.item_name is not None
    assert fields.item_name.value == "九阳豆浆机家用全自动破壁免滤1.2L"


def test_a_labelled_shop_is_kept_and_the_line_above_the_options_is_the_item() -> None:
    rows = ("店铺：华为官方旗舰店", "HUAWEI FreeBuds 5", "颜色：冰霜银", "¥999.00")
    fields = extract_order_fields(_lines(*rows))
    assert fields.shop_name is not None
    assert fields.shop_name.value == "华为官方旗舰店"
    assert fields.item_name is not None
    assert fields.item_name.value == "HUAWEIFreeBuds5"


@pytest.mark.parametrize("above", ["交易成功", "北京市海淀区中关村大街27号", "张三 138****5678"])
def test_an_order_state_an_address_or_a_phone_is_never_taken_for_the_shop(above: str) -> None:
    fields = extract_order_fields(_lines(above, "无线蓝牙耳机", "颜色分类：黑色", "x1"))
    assert fields.shop_name is None
    assert fields.item_name is not None
    assert fields.item_name.value == "无线蓝牙耳机"
