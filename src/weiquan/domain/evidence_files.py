"""Evidence files: the storage port, type sniffing from bytes, and safe display names.

An uploaded file's type is decided from its first bytes, never from its name or the browser's
claim, and only types on :data:`ALLOWED_MIME_TYPES` are kept.  The allow-list covers what a
shopper actually has as evidence of an online purchase (证据规定 Art 14: transaction records,
chats, images, audio, video, documents):

* images — JPEG, PNG, GIF, WebP, HEIC (iPhone photos of receipts; stored, not OCR-read);
* documents — PDF, and OFD (GB/T 33190, the format of China's electronic 发票).  OFD is a zip
  archive; it is recognised only when the archive's first entry is ``OFD.xml``, as issuers write
  it, so other zips (apk, jar, docx with macros) are refused;
* video — MP4 and MOV (ISO ``ftyp`` brands), WebM and Matroska;
* audio — MP3, M4A, WAV, Ogg, AMR (phone call recorders);
* text — plain text, CSV and JSON in UTF-8 (BOM allowed), UTF-16 with BOM, or GB18030 (Excel
  exports on Chinese Windows).

Refused with a reason: executables (PE, ELF, Mach-O, scripts starting ``#!``) and markup that a
browser would run (HTML, SVG, XML) even when renamed ``.jpg``; everything unrecognised.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import BinaryIO, Final, Protocol

from weiquan.domain.errors import ValidationFailed

SNIFF_BYTES: Final = 4096
"""How many leading bytes sniffing looks at; the store sniffs as soon as it has this many."""

ALLOWED_MIME_TYPES: Final = frozenset(
    {
        "image/jpeg",
        "image/png",
        "image/gif",
        "image/webp",
        "image/heic",
        "application/pdf",
        "application/ofd",
        "video/mp4",
        "video/quicktime",
        "video/webm",
        "video/x-matroska",
        "audio/mpeg",
        "audio/mp4",
        "audio/wav",
        "audio/ogg",
        "audio/amr",
        "text/plain",
        "text/csv",
        "application/json",
    }
)

OCR_READABLE_MIME_TYPES: Final = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")

_VIDEO_BRANDS: Final = frozenset(
    {
        b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1",
        b"M4V ", b"M4VH", b"MSNV", b"3gp4", b"3gp5", b"3gp6", b"3g2a", b"dash", b"f4v ",
    }
)  # fmt: skip
_AUDIO_BRANDS: Final = frozenset({b"M4A ", b"M4B "})
_HEIC_BRANDS: Final = frozenset({b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1"})

# Tags that make old and new browsers treat "text" as a page; text opening with one is refused.
_MARKUP_OPENINGS: Final = ("<!doctype", "<html", "<svg", "<?xml", "<script", "<head", "<body")
_MARKUP_ANYWHERE: Final = ("<script", "<html", "<iframe", "<svg")

_ALLOWED_CONTROL_CHARS: Final = frozenset("\t\n\r\f")


@dataclass(frozen=True, slots=True)
class SniffedType:
    mime: str
    charset: str | None = None  # set for text types only


@dataclass(frozen=True, slots=True)
class StoredBlob:
    sha256: str  # lowercase hex
    size: int
    mime: str
    deduplicated: bool  # the same bytes were already stored; nothing new was written
    charset: str | None = None


class BlobStore(Protocol):
    """Content-addressed storage of evidence files (filesystem by default, object store later)."""

    def put_stream(
        self,
        chunks: Iterable[bytes],
        *,
        max_bytes: int,
        accept_mime: Callable[[str], None] | None = None,
    ) -> StoredBlob:
        """Store the bytes, hashing while streaming; raise ValidationFailed and keep nothing
        when the type is refused (by the general rules, or by ``accept_mime`` raising for the
        sniffed type) or the size passes ``max_bytes``."""
        ...

    def remove_if_stale(self, sha256: str, *, older_than_seconds: float) -> bool:
        """Deletes stored bytes no longer referenced, unless stored or re-stored recently."""
        ...

    def open(self, sha256: str) -> BinaryIO:
        """Open stored bytes for reading; NotFound when absent."""
        ...

    def exists(self, sha256: str) -> bool: ...

    def size(self, sha256: str) -> int: ...


# Formats that are zip archives underneath: what they unpack to is checked before acceptance.
ZIP_CONTAINER_MIME_TYPES: Final = frozenset(
    {
        "application/ofd",
        "application/zip",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
        "application/epub+zip",
    }
)


@dataclass(frozen=True, slots=True)
class ContainerLimits:
    """What an archive may unpack to. A real 发票 OFD is tens of KiB of XML compressed a few
    times over; a zip bomb declares gigabytes, or a ratio in the hundreds or thousands."""

    max_entries: int = 10_000
    max_total_bytes: int = 100 * 1024 * 1024
    max_ratio: int = 100
    # Tiny entries compress absurdly well (a kilobyte of spaces); the ratio counts only past this.
    ratio_from_bytes: int = 1024 * 1024


@dataclass(frozen=True, slots=True)
class ArchiveEntry:
    name: str
    compressed_size: int
    uncompressed_size: int


def check_container(entries: Iterable[ArchiveEntry], limits: ContainerLimits) -> None:
    """ValidationFailed when an archive's declared contents are larger, more numerous or more
    compressed than any real document of its kind: checked before the file is accepted."""
    total = compressed = 0
    for count, entry in enumerate(entries, start=1):
        total += entry.uncompressed_size
        compressed += entry.compressed_size
        if count > limits.max_entries:
            raise _bomb(
                f"条目超过 {limits.max_entries} 个 / more than {limits.max_entries} entries"
            )
        if total > limits.max_total_bytes:
            limit = human_size(limits.max_total_bytes)
            raise _bomb(f"解压后超过 {limit} / unpacks to more than {limit}")
        if _too_compressed(entry.uncompressed_size, entry.compressed_size, limits):
            raise _bomb(f"压缩比超过 {limits.max_ratio} 倍 / compressed over {limits.max_ratio}:1")
    if _too_compressed(total, compressed, limits):
        raise _bomb(f"压缩比超过 {limits.max_ratio} 倍 / compressed over {limits.max_ratio}:1")


def _too_compressed(uncompressed: int, compressed: int, limits: ContainerLimits) -> bool:
    return uncompressed > limits.ratio_from_bytes and uncompressed > limits.max_ratio * max(
        compressed, 1
    )


def _bomb(detail: str) -> ValidationFailed:
    return ValidationFailed(
        f"压缩文件的内容异常，不予接收（{detail}）/ the archive's contents are implausible, refused",
        field="file",
    )


def unreadable_container() -> ValidationFailed:
    return ValidationFailed(
        "文件已损坏，无法作为压缩文档读取 / the file is damaged: not a readable archive",
        field="file",
    )


def require_sha256_hex(value: str) -> str:
    """The canonical spelling of a SHA-256 digest, also a guard against path tricks in keys."""
    normalized = value.strip().lower()
    if not _SHA256_HEX.fullmatch(normalized):
        raise ValidationFailed("不是有效的 SHA-256 值 / not a SHA-256 hex digest", field="sha256")
    return normalized


def human_size(size: int) -> str:
    """Bytes in binary units a person reads at a glance: 0 B, 512 KiB, 200 MiB, 1.5 GiB."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


def too_large(max_bytes: int) -> ValidationFailed:
    limit = human_size(max_bytes)
    return ValidationFailed(
        f"文件超过大小上限 {limit} / the file is larger than the {limit} limit", field="file"
    )


def sniff_mime(head: bytes, *, complete: bool) -> SniffedType:
    """The allowed type of a file from its first bytes, or ValidationFailed saying why not.

    ``head`` is the first :data:`SNIFF_BYTES` bytes (or fewer); ``complete`` says whether it is
    the whole file, which matters only for text cut in the middle of a character.
    """
    if not head:
        raise ValidationFailed("文件是空的 / the file is empty", field="file")
    binary = _sniff_binary(head)
    if binary is not None:
        return SniffedType(binary)
    _refuse_executable(head)
    text = _decode_text_head(head, complete=complete)
    if text is None:
        raise ValidationFailed(
            "无法识别的文件类型，不予接收 / unrecognised file type, refused", field="file"
        )
    decoded, charset = text
    _refuse_markup(decoded)
    return SniffedType(_text_subtype(decoded, complete=complete), charset)


def _sniff_binary(head: bytes) -> str | None:
    simple_magic: tuple[tuple[bytes, str], ...] = (
        (b"\xff\xd8\xff", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n", "image/png"),
        (b"GIF87a", "image/gif"),
        (b"GIF89a", "image/gif"),
        (b"%PDF-", "application/pdf"),
        (b"OggS", "audio/ogg"),
        (b"#!AMR\n", "audio/amr"),
        (b"ID3", "audio/mpeg"),
    )
    for magic, mime in simple_magic:
        if head.startswith(magic):
            return mime
    return (
        _sniff_riff(head)
        or _sniff_iso_media(head)
        or _sniff_matroska(head)
        or _sniff_mp3_frame(head)
        or _sniff_ofd(head)
    )


def _sniff_riff(head: bytes) -> str | None:
    if head[:4] != b"RIFF":
        return None
    return {b"WEBP": "image/webp", b"WAVE": "audio/wav"}.get(head[8:12])


def _sniff_iso_media(head: bytes) -> str | None:
    if head[4:8] != b"ftyp":
        return None
    brand = head[8:12]
    if brand == b"qt  ":
        return "video/quicktime"
    if brand in _AUDIO_BRANDS:
        return "audio/mp4"
    if brand in _HEIC_BRANDS:
        return "image/heic"
    if brand in _VIDEO_BRANDS:
        return "video/mp4"
    return None


def _sniff_matroska(head: bytes) -> str | None:
    if not head.startswith(b"\x1a\x45\xdf\xa3"):
        return None
    ebml_header = head[:64]
    if b"webm" in ebml_header:
        return "video/webm"
    if b"matroska" in ebml_header:
        return "video/x-matroska"
    return None


def _sniff_mp3_frame(head: bytes) -> str | None:
    """An MPEG audio frame header without an ID3 tag: 11 sync bits, a version, layer III."""
    if len(head) < 2 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return None
    version_bits = (head[1] >> 3) & 0b11
    layer_bits = (head[1] >> 1) & 0b11
    return "audio/mpeg" if version_bits != 0b01 and layer_bits == 0b01 else None


def _sniff_ofd(head: bytes) -> str | None:
    """A zip whose first local entry is ``OFD.xml`` (GB/T 33190)."""
    if not head.startswith(b"PK\x03\x04") or len(head) < 30:
        return None
    name_length = int.from_bytes(head[26:28], "little")
    return "application/ofd" if head[30 : 30 + name_length] == b"OFD.xml" else None


def _refuse_executable(head: bytes) -> None:
    executable_magic = (
        b"MZ",  # Windows PE / DOS
        b"\x7fELF",
        b"\xfe\xed\xfa\xce",  # Mach-O 32/64, both byte orders
        b"\xfe\xed\xfa\xcf",
        b"\xce\xfa\xed\xfe",
        b"\xcf\xfa\xed\xfe",
        b"\xca\xfe\xba\xbe",  # Mach-O universal, also Java class files
        b"#!",
    )
    if head.startswith(executable_magic):
        raise ValidationFailed(
            "可执行文件不能作为证据上传 / executable files are refused", field="file"
        )


def _refuse_markup(text: str) -> None:
    opening = text.lstrip("\ufeff \t\r\n").lower()
    lowered = text.lower()
    if opening.startswith(_MARKUP_OPENINGS) or any(tag in lowered for tag in _MARKUP_ANYWHERE):
        raise ValidationFailed(
            "网页、SVG 和 XML 文件可能含有脚本，不予接收；请上传截图或 PDF / "
            "HTML, SVG and XML may carry scripts and are refused; upload a screenshot or PDF",
            field="file",
        )


def _decode_text_head(head: bytes, *, complete: bool) -> tuple[str, str] | None:
    """Decode as text when the bytes are plausibly a text file, with the charset used."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates: tuple[str, ...] = ("utf-16",)
    elif b"\x00" in head:
        return None
    else:
        candidates = ("utf-8-sig", "gb18030")
    for charset in candidates:
        text = _decode_allowing_cut(head, charset, complete=complete)
        if text is not None and _looks_like_text(text, charset):
            return text, "utf-8" if charset == "utf-8-sig" else charset
    return None


def _decode_allowing_cut(head: bytes, charset: str, *, complete: bool) -> str | None:
    try:
        return head.decode(charset)
    except UnicodeDecodeError as exc:
        # The head may end inside a multi-byte character; that tail says nothing about the file.
        cut_at_end = not complete and exc.start >= len(head) - 4
        if cut_at_end and exc.start > 0:
            return _decode_allowing_cut(head[: exc.start], charset, complete=True)
        return None


def _looks_like_text(text: str, charset: str) -> bool:
    if any(unicodedata.category(ch) == "Cc" and ch not in _ALLOWED_CONTROL_CHARS for ch in text):
        return False
    if charset != "gb18030":
        return True
    # GB18030 decodes almost any byte string; insist that the non-ASCII part is mostly Han.
    non_ascii = [ch for ch in text if ord(ch) > 0x7F]
    han = sum(1 for ch in non_ascii if "\u4e00" <= ch <= "\u9fff" or "\u3000" <= ch <= "\u303f")
    return han >= 0.8 * len(non_ascii) and len(non_ascii) > 0


def _text_subtype(text: str, *, complete: bool) -> str:
    if _looks_like_json(text):
        return "application/json"
    return "text/csv" if _looks_like_csv(text, complete=complete) else "text/plain"


def _looks_like_json(text: str) -> bool:
    """An object, or an array of objects/arrays/strings; ``[2026-11-20 …]`` chat lines are not."""
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith("{"):
        return True
    return stripped.startswith("[") and stripped[1:].lstrip()[:1] in {"{", "[", '"', "]"}


def _looks_like_csv(text: str, *, complete: bool) -> bool:
    """Two or more lines with the same number (≥ 2) of comma- or tab-separated fields."""
    lines = text.lstrip("\ufeff").splitlines()
    if not complete:
        lines = lines[:-1]  # the last line of a head may be cut short
    lines = [line for line in lines[:6] if line.strip()]
    if len(lines) < 2:
        return False
    delimiter = "\t" if "\t" in lines[0] and "," not in lines[0] else ","
    widths = {len(row) for row in csv.reader(lines, delimiter=delimiter)}
    return len(widths) == 1 and widths.pop() >= 2


_BIDI_AND_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_WHITESPACE_RUN = re.compile(r"\s+")


def display_filename(name: str, *, max_length: int = 80, fallback: str = "未命名文件") -> str:
    """A file name safe to show: no directories, control or bidi characters, bounded length.

    Right-to-left overrides are removed because they disguise ``gpj.exe`` as ``exe.jpg``.
    Only for display: stored files are named by their hash.
    """
    base = re.split(r"[/\\]", name)[-1]
    cleaned = unicodedata.normalize("NFC", base)
    cleaned = _BIDI_AND_INVISIBLE.sub("", cleaned)
    cleaned = "".join(ch for ch in cleaned if unicodedata.category(ch)[0] != "C")
    cleaned = _WHITESPACE_RUN.sub(" ", cleaned).strip(" .")
    if not cleaned:
        return fallback
    if len(cleaned) <= max_length:
        return cleaned
    stem, dot, extension = cleaned.rpartition(".")
    if dot and stem and 0 < len(extension) <= 8:
        return cleaned[: max_length - len(extension) - 2] + "…." + extension
    return cleaned[: max_length - 1] + "…"
