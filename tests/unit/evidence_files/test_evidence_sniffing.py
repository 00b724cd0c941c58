"""Type sniffing from bytes, the allow-list, and display names."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from weiquan.domain.errors import ValidationFailed
from weiquan.domain.evidence_files import (
    ALLOWED_MIME_TYPES,
    SNIFF_BYTES,
    display_filename,
    human_size,
    require_sha256_hex,
    sniff_mime,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(40)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(40)


def ftyp(brand: bytes) -> bytes:
    return struct.pack(">I", 24) + b"ftyp" + brand + b"\x00\x00\x02\x00" + brand + b"mp41"


def zip_entry(name: bytes) -> bytes:
    header = b"PK\x03\x04" + bytes(22) + struct.pack("<HH", len(name), 0)
    return header + name + b"<ofd:OFD/>"


@pytest.mark.parametrize(
    ("head", "mime"),
    [
        (JPEG, "image/jpeg"),
        (PNG, "image/png"),
        (b"GIF89a" + bytes(20), "image/gif"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 " + bytes(20), "image/webp"),
        (ftyp(b"heic"), "image/heic"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "application/pdf"),
        (zip_entry(b"OFD.xml"), "application/ofd"),
        (ftyp(b"isom"), "video/mp4"),
        (ftyp(b"qt  "), "video/quicktime"),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm", "video/webm"),
        (b"\x1a\x45\xdf\xa3\xa3\x42\x86\x81\x01\x42\x82\x88matroska", "video/x-matroska"),
        (b"ID3\x04\x00\x00" + bytes(20), "audio/mpeg"),
        (b"\xff\xfb\x90\x64" + bytes(20), "audio/mpeg"),
        (ftyp(b"M4A "), "audio/mp4"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(20), "audio/wav"),
        (b"OggS\x00\x02" + bytes(20), "audio/ogg"),
        (b"#!AMR\n" + bytes(20), "audio/amr"),
    ],
)
def test_binary_formats_are_recognised_by_their_magic_bytes(head: bytes, mime: str) -> None:
    assert sniff_mime(head, complete=False).mime == mime
    assert mime in ALLOWED_MIME_TYPES


def test_a_png_named_pdf_is_still_a_png_because_the_name_is_never_consulted() -> None:
    # sniff_mime has no name parameter at all; the bytes alone decide.
    assert sniff_mime(PNG, complete=True).mime == "image/png"


@pytest.mark.parametrize(
    "head",
    [
        b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(40) + b"PE\x00\x00",
        b"\x7fELF\x02\x01\x01" + bytes(20),
        b"\xcf\xfa\xed\xfe\x07\x00\x00\x01" + bytes(20),
        b"#!/bin/sh\nrm -rf /\n",
    ],
)
def test_executables_are_refused_with_that_reason(head: bytes) -> None:
    with pytest.raises(ValidationFailed, match="可执行文件"):
        sniff_mime(head, complete=True)


@pytest.mark.parametrize(
    "text",
    [
        "<!DOCTYPE html><html><body>订单</body></html>",
        "  <html><script>alert(1)</script></html>",
        '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>',
        '<svg onload="alert(1)"></svg>',
        "订单截图\n<script>fetch('/steal')</script>",
    ],
)
def test_markup_that_a_browser_would_run_is_refused_even_when_named_jpg(text: str) -> None:
    with pytest.raises(ValidationFailed, match="脚本"):
        sniff_mime(text.encode(), complete=True)


def test_unknown_binary_and_plain_zip_are_refused() -> None:
    with pytest.raises(ValidationFailed, match="无法识别"):
        sniff_mime(bytes(range(256)), complete=True)
    with pytest.raises(ValidationFailed, match="无法识别"):
        sniff_mime(zip_entry(b"AndroidManifest.xml"), complete=True)


def test_an_empty_file_is_refused() -> None:
    with pytest.raises(ValidationFailed, match="空"):
        sniff_mime(b"", complete=True)


def test_utf8_text_csv_and_json_are_told_apart() -> None:
    chat = "2026-11-20 14:03:22 店小二: 您好\n2026-11-20 14:04:01 买家: 我的快递呢\n"
    csv_text = "订单号,实付金额\n2026112012345678901,1299.50\n2026112012345678902,88.00\n"
    assert sniff_mime(chat.encode(), complete=True).mime == "text/plain"
    assert sniff_mime(csv_text.encode(), complete=True).mime == "text/csv"
    assert sniff_mime(b'[{"speaker": "a"}]', complete=True).mime == "application/json"
    assert sniff_mime(b"\xef\xbb\xbf{}", complete=True) == sniff_mime(b"{}", complete=True)


def test_a_chat_line_in_square_brackets_is_text_not_json() -> None:
    line = "[2026-11-20 14:03:22] 店小二：您好\n".encode()
    assert sniff_mime(line, complete=True).mime == "text/plain"


def test_gb18030_and_utf16_exports_are_accepted_with_their_charset() -> None:
    csv_text = "订单号,店铺,实付金额\n1,小米官方旗舰店,1299.50\n2,华为官方旗舰店,88.00\n"
    gbk = sniff_mime(csv_text.encode("gb18030"), complete=True)
    utf16 = sniff_mime(csv_text.encode("utf-16"), complete=True)
    assert (gbk.mime, gbk.charset) == ("text/csv", "gb18030")
    assert (utf16.mime, utf16.charset) == ("text/csv", "utf-16")
    assert sniff_mime(csv_text.encode(), complete=True).charset == "utf-8"


def test_a_head_cut_inside_a_chinese_character_is_still_text() -> None:
    encoded = ("聊天记录" * 2000).encode()
    head = encoded[:SNIFF_BYTES]  # 4096 is not a multiple of 3: the last character is cut
    sniffed = sniff_mime(head, complete=False)
    assert (sniffed.mime, sniffed.charset) == ("text/plain", "utf-8")


@given(st.binary(max_size=SNIFF_BYTES))
def test_sniffing_any_bytes_either_allows_a_listed_type_or_refuses(data: bytes) -> None:
    try:
        sniffed = sniff_mime(data, complete=True)
    except ValidationFailed:
        return
    assert sniffed.mime in ALLOWED_MIME_TYPES


def test_display_names_lose_paths_controls_and_bidi_overrides() -> None:
    assert display_filename("C:\\Users\\张三\\订单截图.png") == "订单截图.png"
    assert display_filename("../../etc/passwd") == "passwd"
    assert display_filename("invoice\u202egpj.exe") == "invoicegpj.exe"
    assert display_filename("a\x00b\nc.txt") == "abc.txt"
    assert display_filename("   ") == "未命名文件"
    assert display_filename("...") == "未命名文件"


def test_long_display_names_keep_their_extension() -> None:
    shown = display_filename("很长的文件名" * 40 + ".jpeg", max_length=30)
    assert len(shown) == 30
    assert shown.endswith("….jpeg")


@given(st.text(max_size=300))
def test_display_names_are_bounded_and_free_of_separators(name: str) -> None:
    shown = display_filename(name)
    assert 0 < len(shown) <= 80
    assert "/" not in shown
    assert "\\" not in shown


def test_sizes_read_in_binary_units() -> None:
    assert human_size(0) == "0 B"
    assert human_size(512 * 1024) == "512 KiB"
    assert human_size(200 * 1024 * 1024) == "200 MiB"
    assert human_size(int(1.5 * 1024**3)) == "1.5 GiB"


def test_sha256_keys_are_canonical_and_path_tricks_are_refused() -> None:
    digest = "AB" * 32
    assert require_sha256_hex(digest) == "ab" * 32
    with pytest.raises(ValidationFailed):
        require_sha256_hex("../" + "a" * 61)
