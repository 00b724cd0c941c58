"""OCR of order pages drawn with Pillow in several layouts and CJK fonts: the shop standing
alone above the item (no label, no suffix) is found, and the item name is read."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from weiquan.adapters.ocr import RapidOcrReader

pytestmark = pytest.mark.slow  # each image goes through the OCR models

NOTO = Path("/usr/share/fonts/opentype/noto")
FONTS = ("NotoSansCJK-Regular.ttc", "NotoSerifCJK-Regular.ttc", "NotoSansCJK-Bold.ttc")
SHOP, ITEM = "声悦数码", "无线蓝牙耳机主动降噪"


def _taobao(
    draw: ImageDraw.ImageDraw, font: ImageFont.FreeTypeFont, small: ImageFont.FreeTypeFont
) -> None:
    """Shop alone on its line, item beside a thumbnail with the price on the right."""
    draw.text((30, 20), "交易成功", fill="black", font=font)
    draw.text((30, 90), f"{SHOP} >", fill="black", font=font)
    draw.rectangle((30, 150, 150, 270), fill=(220, 220, 220))
    draw.text((170, 150), "无线蓝牙耳机 主动降噪", fill="black", font=font)
    draw.text((620, 150), "¥299.00", fill="black", font=font)
    draw.text((170, 200), "颜色分类：曜石黑", fill=(120, 120, 120), font=small)
    draw.text((660, 200), "x1", fill=(120, 120, 120), font=small)
    draw.text((30, 320), "实付款", fill="black", font=font)
    draw.text((600, 320), "¥299.00", fill=(200, 0, 0), font=font)
    draw.text((30, 390), "订单编号：2026112012345678901", fill=(90, 90, 90), font=small)


def _plain(
    draw: ImageDraw.ImageDraw, font: ImageFont.FreeTypeFont, small: ImageFont.FreeTypeFont
) -> None:
    """A plain list: shop, item, its options and quantity, each on its own line."""
    for n, (text, face) in enumerate(
        (("订单详情", font), (SHOP, font), ("无线蓝牙耳机主动降噪", font),
         ("规格：标准版", small), ("x1", small), ("实付款 ¥299.00", font))
    ):  # fmt: skip
        draw.text((30, 20 + 60 * n), text, fill="black", font=face)


def _render(layout: object, font_file: str) -> bytes:
    path = NOTO / font_file
    if not path.exists():
        pytest.skip(f"{path} is missing (Debian package fonts-noto-cjk)")
    font = ImageFont.truetype(str(path), 30)
    small = ImageFont.truetype(str(path), 24)
    image = Image.new("RGB", (780, 460), "white")
    layout(ImageDraw.Draw(image), font, small)  # type: ignore[operator]
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def reader() -> RapidOcrReader:
    return RapidOcrReader()


@pytest.mark.parametrize("font_file", FONTS)
@pytest.mark.parametrize("layout", [_taobao, _plain], ids=["taobao", "plain"])
def test_the_shop_alone_above_the_item_and_the_item_name_are_read(
    reader: RapidOcrReader, layout: object, font_file: str
) -> None:
    fields = reader.read(_render(layout, font_file)).fields
    assert fields.shop_name is not None
    assert fields.shop_name.value == SHOP
    assert fields.item_name is not None
    assert fields.item_name.value == ITEM
