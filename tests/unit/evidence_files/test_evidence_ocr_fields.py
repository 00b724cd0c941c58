"""Order facts from OCR text lines, with and without box positions."""

from __future__ import annotations

from datetime import date, datetime

from weiquan.domain.calendar import CHINA_TZ
from weiquan.domain.ocr_fields import OcrLine, extract_order_fields


def boxed(text: str, left: float, top: float, width: float = 200, height: float = 30) -> OcrLine:
    corners = ((left, top), (left + width, top), (left + width, top + height), (left, top + height))
    return OcrLine(text, 0.98, corners)


def plain(*texts: str) -> list[OcrLine]:
    return [OcrLine(text, 0.99) for text in texts]


def test_one_box_per_row_order_page_yields_every_field() -> None:
    fields = extract_order_fields(
        plain(
            "订单详情",
            "店铺：小米官方旗舰店",
            "订单编号：2026112012345678901",
            "商品总价￥1,399.00",
            "优惠-￥100.00",
            "实付款￥1,299.50",
            "下单时间：2026-11-2014:03:22",
            "付款时间：2026-11-20 14:05:10",
        )
    )
    assert fields.order_no is not None
    assert fields.order_no.value == "2026112012345678901"
    assert fields.amount_paid_fen is not None
    assert fields.amount_paid_fen.value == 129950
    assert fields.shop_name is not None
    assert fields.shop_name.value == "小米官方旗舰店"
    assert fields.ordered_at is not None
    assert fields.ordered_at.value == datetime(2026, 11, 20, 14, 3, 22, tzinfo=CHINA_TZ)
    assert fields.paid_at is not None
    assert fields.paid_at.value == datetime(2026, 11, 20, 14, 5, 10, tzinfo=CHINA_TZ)


def test_labels_and_values_in_separate_boxes_on_one_row_are_paired_by_position() -> None:
    # Listed out of order, as a detector may return them: rows are rebuilt from the boxes.
    lines = [
        boxed("¥88.00", 500, 302),
        boxed("订单编号", 20, 100),
        boxed("实付款", 20, 300),
        boxed("240512-398765432101234复制", 400, 101),
        boxed("¥120.00", 500, 201),
        boxed("商品总价", 20, 200),
    ]
    fields = extract_order_fields(lines)
    assert fields.order_no is not None
    assert fields.order_no.value == "240512-398765432101234"
    assert fields.amount_paid_fen is not None
    assert fields.amount_paid_fen.value == 8800
    assert {(a.label, a.fen) for a in fields.amounts} == {("商品总价", 12000), ("实付款", 8800)}


def test_a_discount_is_never_taken_for_the_amount_paid() -> None:
    fields = extract_order_fields(plain("店铺优惠 -¥30.00", "合计：¥70.00"))
    assert fields.amount_paid_fen is not None
    assert fields.amount_paid_fen.value == 7000


def test_the_amount_paid_label_outranks_the_list_price() -> None:
    fields = extract_order_fields(plain("总价 ¥200.00", "实付 ¥180.00", "合计 ¥190.00"))
    assert fields.amount_paid_fen is not None
    assert fields.amount_paid_fen.value == 18000


def test_a_long_number_without_a_label_is_an_order_number_with_low_confidence() -> None:
    fields = extract_order_fields(plain("物流详情", "2026112012345678901", "¥59.90"))
    assert fields.order_no is not None
    assert fields.order_no.value == "2026112012345678901"
    assert fields.order_no.confidence < 0.5
    assert fields.amount_paid_fen is None  # a bare ¥ amount is listed but not assumed paid
    assert [a.fen for a in fields.amounts] == [5990]


def test_a_shop_is_recognised_by_its_suffix_when_unlabelled() -> None:
    fields = extract_order_fields(plain("天猫", "华为官方旗舰店 >", "进店逛逛"))
    assert fields.shop_name is not None
    assert fields.shop_name.value == "华为官方旗舰店"
    assert fields.platform is not None
    assert fields.platform.value == "tmall"


def test_platform_hints_pick_the_most_mentioned_platform() -> None:
    fields = extract_order_fields(plain("拼多多", "多多买菜", "京东快递"))
    assert fields.platform is not None
    assert fields.platform.value == "pinduoduo"


def test_nothing_recognisable_yields_empty_fields_and_no_prefill() -> None:
    fields = extract_order_fields(plain("你好", "谢谢"))
    assert fields.order_no is None
    assert fields.amount_paid_fen is None
    assert fields.prefill() == {}


def test_prefill_offers_only_confident_fields_in_form_shape() -> None:
    fields = extract_order_fields(
        plain(
            "订单号：A12345678",
            "实付款：¥10.00",
            "下单时间 2026-11-20 14:03",
            "2026112012345678901",
        )
    )
    assert fields.prefill() == {
        "order_no": "A12345678",
        "amount_paid_fen": 1000,
        "ordered_at": "2026-11-20T14:03:00+08:00",
    }


def test_chat_screenshot_times_are_collected_in_order() -> None:
    fields = extract_order_fields(
        plain("2026-11-20 14:03", "亲，在的", "2026-11-20 14:05", "已经发货了")
    )
    assert [t.value.minute for t in fields.times] == [3, 5]


def test_a_currency_sign_left_in_the_label_box_does_not_hide_the_value_beside_it() -> None:
    fields = extract_order_fields(
        [boxed("合计：¥", 30, 26, 95, 32), boxed("¥356.80", 110, 31, 104, 24)]
    )
    assert fields.amount_paid_fen is not None
    assert fields.amount_paid_fen.value == 35680
    assert [a.label for a in fields.amounts] == ["合计"]


def test_an_invoice_yields_its_number_date_seller_and_total() -> None:
    fields = extract_order_fields(
        plain(
            "电子发票（普通发票）",
            "发票号码：24112000000012345678",
            "开票日期：2026年11月20日",
            "销售方名称：北京某某电器有限公司",
            "价税合计（大写）壹仟贰佰玖拾玖圆伍角整（小写）¥1,299.50",
        )
    )
    assert fields.invoice_no is not None
    assert fields.invoice_no.value == "24112000000012345678"
    assert fields.invoice_date is not None
    assert fields.invoice_date.value == date(2026, 11, 20)
    assert fields.shop_name is not None
    assert fields.shop_name.value == "北京某某电器有限公司"
    assert fields.amount_paid_fen is not None
    assert fields.amount_paid_fen.value == 129950
    assert fields.prefill()["invoice_date"] == "2026-11-20"
