"""RapidOCR on screenshots rendered with a CJK font: the order facts come back right."""

from __future__ import annotations

import io
import socket
import threading
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import pytest
import rapidocr_onnxruntime
from PIL import Image

from weiquan.adapters.ocr import RapidOcrReader, bundled_model_paths
from weiquan.domain.calendar import CHINA_TZ
from weiquan.domain.errors import ValidationFailed

ScreenRenderer = Callable[..., bytes]  # the render_screen fixture from conftest.py

pytestmark = pytest.mark.slow

ORDER_PAGE = [
    "订单详情",
    "店铺：小米官方旗舰店",
    "订单编号：2026112012345678901",
    "商品：Redmi Note 13 手机 x1",
    "商品总价 ¥1,399.00",
    "优惠 -¥100.00",
    "实付款 ¥1,299.50",
    "下单时间：2026-11-20 14:03:22",
]


@pytest.fixture(scope="module")
def reader() -> RapidOcrReader:
    ocr = RapidOcrReader()
    ocr.warm_up()
    return ocr


def test_the_models_ship_inside_the_installed_wheel() -> None:
    package_dir = Path(rapidocr_onnxruntime.__file__).parent
    for model in bundled_model_paths():
        assert model.is_file()
        assert model.stat().st_size > 100_000
        assert package_dir in model.parents


def test_the_engine_loads_and_reads_with_the_network_cut_off(
    monkeypatch: pytest.MonkeyPatch, render_screen: ScreenRenderer
) -> None:
    def no_network(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("OCR tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    result = RapidOcrReader().read(render_screen(["实付款 ¥88.00"]))
    assert result.fields.amount_paid_fen is not None
    assert result.fields.amount_paid_fen.value == 8800


def test_an_order_screenshot_yields_order_number_amount_shop_and_time(
    reader: RapidOcrReader, render_screen: ScreenRenderer
) -> None:
    result = reader.read(render_screen(ORDER_PAGE))
    fields = result.fields
    assert fields.order_no is not None
    assert fields.order_no.value == "2026112012345678901"
    assert fields.amount_paid_fen is not None
    assert fields.amount_paid_fen.value == 129950
    assert fields.shop_name is not None
    assert fields.shop_name.value == "小米官方旗舰店"
    assert fields.ordered_at is not None
    assert fields.ordered_at.value == datetime(2026, 11, 20, 14, 3, 22, tzinfo=CHINA_TZ)
    assert fields.order_no.confidence > 0.9
    assert result.elapsed_ms < 10_000


def test_labels_on_the_left_and_values_on_the_right_are_paired(
    reader: RapidOcrReader, render_screen: ScreenRenderer
) -> None:
    screen = render_screen(
        [
            "天猫  华为官方旗舰店 >",
            ("订单编号", "4012345678901234567"),
            ("商品总价", "¥2,499.00"),
            ("实付款", "¥2,299.00"),
            ("付款时间", "2026-11-11 00:01:05"),
        ]
    )
    fields = reader.read(screen).fields
    assert fields.order_no is not None
    assert fields.order_no.value == "4012345678901234567"
    assert fields.amount_paid_fen is not None
    assert fields.amount_paid_fen.value == 229900
    assert fields.paid_at is not None
    assert fields.paid_at.value == datetime(2026, 11, 11, 0, 1, 5, tzinfo=CHINA_TZ)
    assert fields.shop_name is not None
    assert fields.shop_name.value == "华为官方旗舰店"
    assert fields.platform is not None
    assert fields.platform.value == "tmall"


def test_a_long_chat_screenshot_is_read_in_slices_without_losing_or_doubling_lines(
    reader: RapidOcrReader, render_screen: ScreenRenderer
) -> None:
    rows = []
    for minute in range(20):
        rows += [f"2026-11-20 14:{minute:02d}", f"第{minute + 1}条消息：快递到哪了"]
    rows += ["订单号：2026112098765432100"]
    screen = render_screen(rows, width=600)
    assert Image.open(io.BytesIO(screen)).height > 3 * 600  # tall enough to need slicing
    result = reader.read(screen)
    assert [t.value.minute for t in result.fields.times] == list(range(20))
    assert result.fields.order_no is not None
    assert result.fields.order_no.value == "2026112098765432100"


def test_a_phone_photo_is_turned_upright_from_its_exif_orientation(
    reader: RapidOcrReader, render_screen: ScreenRenderer
) -> None:
    upright = Image.open(io.BytesIO(render_screen(["合计：¥356.80", "商家：老王超市"])))
    stored_sideways = upright.rotate(90, expand=True)  # as a camera writes it before EXIF
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    buffer = io.BytesIO()
    stored_sideways.save(buffer, format="JPEG", quality=92, exif=exif)
    fields = reader.read(buffer.getvalue()).fields
    assert fields.amount_paid_fen is not None
    assert fields.amount_paid_fen.value == 35680
    assert fields.shop_name is not None
    assert fields.shop_name.value == "老王超市"


def test_images_over_the_limits_are_refused_before_decoding(reader: RapidOcrReader) -> None:
    huge = io.BytesIO()
    Image.new("1", (8000, 6000)).save(huge, format="PNG")
    with pytest.raises(ValidationFailed, match="像素"):
        reader.read(huge.getvalue())
    with pytest.raises(ValidationFailed, match="无法识别的图片"):
        reader.read(b"not an image at all")
    small_limit = RapidOcrReader(max_bytes=1000)
    with pytest.raises(ValidationFailed, match="1000 B"):
        small_limit.read(bytes(2000))


def test_two_threads_share_one_engine_safely(
    reader: RapidOcrReader, render_screen: ScreenRenderer
) -> None:
    screen = render_screen(ORDER_PAGE)
    texts: list[str] = []

    def work() -> None:
        texts.append(reader.read(screen).text)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(texts) == 2
    assert texts[0] == texts[1]


def test_an_electronic_invoice_of_an_offline_purchase_is_read(
    reader: RapidOcrReader, render_screen: ScreenRenderer
) -> None:
    screen = render_screen(
        [
            "电子发票（普通发票）",
            "发票号码：24112000000012345678",
            "开票日期：2026年11月20日",
            "销售方名称：北京某某电器有限公司",
            "价税合计（小写）¥1,299.50",
        ],
        width=760,
    )
    fields = reader.read(screen).fields
    assert fields.invoice_no is not None
    assert fields.invoice_no.value == "24112000000012345678"
    assert fields.invoice_date is not None
    assert fields.invoice_date.value == date(2026, 11, 20)
    assert fields.shop_name is not None
    assert fields.shop_name.value == "北京某某电器有限公司"
    assert fields.amount_paid_fen is not None
    assert fields.amount_paid_fen.value == 129950
