"""Screenshots drawn with a real CJK font, so OCR is tested on the kind of image it will get."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence

import pytest
from PIL import Image, ImageDraw, ImageFont

from weiquan.adapters.pdf import CjkFontMissing, FontChoice, find_cjk_font

Row = str | tuple[str, str]  # one text, or a label on the left and its value on the right
ScreenRenderer = Callable[..., bytes]


@pytest.fixture(scope="session")
def cjk_font() -> FontChoice:
    try:
        return find_cjk_font()
    except CjkFontMissing as exc:
        pytest.skip(f"no CJK font installed (Debian package fonts-noto-cjk): {exc}")


@pytest.fixture(scope="session")
def render_screen(cjk_font: FontChoice) -> ScreenRenderer:
    def render(
        rows: Sequence[Row],
        *,
        width: int = 720,
        font_size: int = 28,
        row_height: int = 56,
        image_format: str = "PNG",
    ) -> bytes:
        font = ImageFont.truetype(str(cjk_font.path), font_size, index=cjk_font.index)
        image = Image.new("RGB", (width, 40 + row_height * len(rows)), "white")
        draw = ImageDraw.Draw(image)
        for number, row in enumerate(rows):
            top = 20 + number * row_height
            if isinstance(row, tuple):
                label, value = row
                draw.text((30, top), label, fill=(110, 110, 110), font=font)
                right = width - 30 - draw.textlength(value, font=font)
                draw.text((right, top), value, fill="black", font=font)
            else:
                draw.text((30, top), row, fill="black", font=font)
        buffer = io.BytesIO()
        image.save(buffer, format=image_format)
        return buffer.getvalue()

    return render
