"""Chinese OCR of screenshots and receipt photos with RapidOCR (PP-OCRv4 on ONNX Runtime).

The detection, direction and recognition models ship inside the ``rapidocr_onnxruntime`` wheel
and are loaded from there; nothing is fetched at run time.  The engine is loaded on first use
and shared; inference is serialised by a lock because ONNX Runtime already spreads one image
over every core.

Images are decoded by Pillow under limits (bytes, pixels) before the engine sees them, turned
upright from their EXIF orientation (phone photos of receipts), and long screenshots — a
scrolled chat — are read in overlapping slices, since shrinking a 1080×8000 image to the
engine's 2000-pixel side would make its text unreadable.
"""

from __future__ import annotations

import io
import threading
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import tzinfo
from importlib import resources
from pathlib import Path
from typing import Any, Final

from PIL import Image, ImageOps, UnidentifiedImageError

from weiquan.domain.calendar import CHINA_TZ
from weiquan.domain.errors import ValidationFailed
from weiquan.domain.evidence_files import human_size
from weiquan.domain.ocr_fields import ExtractedFields, OcrLine, extract_order_fields

DEFAULT_MAX_BYTES: Final = 20 * 1024 * 1024
UNREADABLE_IMAGE: Final = "无法识别的图片，请上传 PNG、JPEG 或 WebP 格式的订单截图"
DEFAULT_MAX_PIXELS: Final = 40_000_000  # a 1440×25000 long screenshot still fits
_SLICE_RATIO: Final = 1.5  # slice height as a multiple of the width
_SLICE_OVERLAP: Final = 0.15
_BUNDLED_MODELS: Final = (
    "ch_PP-OCRv4_det_infer.onnx",
    "ch_PP-OCRv4_rec_infer.onnx",
    "ch_ppocr_mobile_v2.0_cls_infer.onnx",
)


@dataclass(frozen=True, slots=True)
class OcrResult:
    lines: tuple[OcrLine, ...]
    fields: ExtractedFields
    width: int
    height: int
    elapsed_ms: float

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


def bundled_model_paths() -> tuple[Path, ...]:
    """The model files inside the installed wheel; all must exist for OCR to run offline."""
    package = resources.files("rapidocr_onnxruntime") / "models"
    return tuple(Path(str(package / name)) for name in _BUNDLED_MODELS)


class RapidOcrReader:
    """Reads text lines from an image and extracts order fields from them."""

    def __init__(
        self,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_pixels: int = DEFAULT_MAX_PIXELS,
        tz: tzinfo = CHINA_TZ,
    ) -> None:
        self.max_bytes = max_bytes
        self.max_pixels = max_pixels
        self.tz = tz
        self._engine: Any = None
        self._load_lock = threading.Lock()
        self._run_lock = threading.Lock()

    def read(self, image_bytes: bytes) -> OcrResult:
        started = time.perf_counter()
        image = self._decode(image_bytes)
        lines = tuple(self._read_lines(image))
        fields = extract_order_fields(lines, tz=self.tz)
        elapsed_ms = (time.perf_counter() - started) * 1000
        return OcrResult(lines, fields, image.width, image.height, round(elapsed_ms, 1))

    def warm_up(self) -> None:
        """Load the models now rather than on the first request."""
        self._get_engine()

    def _get_engine(self) -> Any:
        if self._engine is None:
            with self._load_lock:
                if self._engine is None:
                    from rapidocr_onnxruntime import RapidOCR  # type: ignore[import-untyped]  # noqa: PLC0415

                    self._engine = RapidOCR()
        return self._engine

    def _decode(self, image_bytes: bytes) -> Image.Image:
        if len(image_bytes) > self.max_bytes:
            limit = human_size(self.max_bytes)
            raise ValidationFailed(
                f"图片超过 {limit}，无法识别 / the image is larger than {limit}", field="file"
            )  # the size is part of the message: pages show the half in their language
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                image = Image.open(io.BytesIO(image_bytes))
                self._check_pixels(image)
                image.load()
        except (
            UnidentifiedImageError,
            Image.DecompressionBombWarning,
            Image.DecompressionBombError,
            OSError,
        ) as exc:
            # Never the decoder's own words: they name Python objects ("<_io.BytesIO …>").
            raise ValidationFailed(UNREADABLE_IMAGE, field="file") from exc
        return ImageOps.exif_transpose(image).convert("RGB")

    def _check_pixels(self, image: Image.Image) -> None:
        if image.width * image.height > self.max_pixels:
            raise ValidationFailed(
                f"图片像素过多（{image.width}×{image.height}），无法识别 / "
                f"too many pixels ({image.width}×{image.height})",
                field="file",
            )

    def _read_lines(self, image: Image.Image) -> Iterator[OcrLine]:
        import numpy as np  # noqa: PLC0415 — comes with the OCR engine

        seen: list[OcrLine] = []
        for top, tile in _slices(image):
            bgr = np.asarray(tile)[:, :, ::-1].copy()  # the engine expects OpenCV's BGR order
            with self._run_lock:
                result, _ = self._get_engine()(bgr)
            for box, text, score in result or ():
                if _cut_by_slice_edge(box, top=top, tile=tile, image=image):
                    continue
                line = OcrLine(
                    text, float(score), tuple((float(x), float(y) + top) for x, y in box)
                )
                if not _already_seen(line, seen):
                    seen.append(line)
                    yield line


def _slices(image: Image.Image) -> Iterator[tuple[int, Image.Image]]:
    """Overlapping horizontal bands of a tall image, each no taller than 1.5× its width."""
    band = max(int(image.width * _SLICE_RATIO), 64)
    if image.height <= band * 1.2:
        yield 0, image
        return
    step = int(band * (1 - _SLICE_OVERLAP))
    top = 0
    while True:
        bottom = min(top + band, image.height)
        yield top, image.crop((0, top, image.width, bottom))
        if bottom >= image.height:
            return
        top += step


def _cut_by_slice_edge(
    box: list[list[float]], *, top: int, tile: Image.Image, image: Image.Image
) -> bool:
    """A line touching an inner slice edge is half a line; the overlapping slice reads it whole."""
    margin = 2.0
    ys = [y for _, y in box]
    touches_top = top > 0 and min(ys) <= margin
    touches_bottom = top + tile.height < image.height and max(ys) >= tile.height - margin
    return touches_top or touches_bottom


def _already_seen(line: OcrLine, seen: list[OcrLine]) -> bool:
    """The same text at the same place, read twice because it lies in two slices' overlap."""
    tolerance = max(6.0, (line.bottom - line.top) * 0.6)
    return any(
        other.text == line.text
        and abs(other.top - line.top) <= tolerance
        and abs(other.left - line.left) <= tolerance
        for other in seen[-200:]
    )
