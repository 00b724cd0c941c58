"""Chinese PDF documents with fpdf2: the evidence certificate and the mediation agreement.

The CJK font is embedded (subset), so the text survives on any machine and ``pdftotext``
extracts it.  fpdf2 reads TrueType/OpenType collections (``.ttc``) given a face index; Debian's
``fonts-noto-cjk`` puts Simplified Chinese at index 2 of ``NotoSansCJK-Regular.ttc`` and its
monospaced variant at index 7.  ``WEIQUAN_CJK_FONT=/path/font.ttc#2`` (or a plain ``.ttf``/
``.otf`` path) overrides the search.

Output is deterministic: the creation date is the document's own date, so rendering the same
data twice gives the same bytes and the same hash.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import Final

from fpdf import FPDF
from fpdf.enums import TableBordersLayout, WrapMode, XPos, YPos
from fpdf.fonts import FontFace

from weiquan.domain.calendar import CHINA_TZ
from weiquan.domain.documents import (
    CertifiedFile,
    EvidenceCertificate,
    MediationAgreement,
    files_total_size,
    format_yuan,
    mask_name,
    unmatched_acceptances,
    yuan_in_capitals,
)
from weiquan.domain.errors import IntegrityViolation
from weiquan.domain.evidence_files import human_size

CJK_FONT_ENV: Final = "WEIQUAN_CJK_FONT"

_NOTO = Path("/usr/share/fonts/opentype/noto")
_TRUETYPE = Path("/usr/share/fonts/truetype")


@dataclass(frozen=True, slots=True)
class FontChoice:
    path: Path
    index: int = 0
    mono_index: int | None = None  # a monospaced face in the same collection, if there is one
    bold_path: Path | None = None


# Debian packages, best first: fonts-noto-cjk, fonts-wqy-zenhei, fonts-wqy-microhei,
# fonts-arphic-uming, fonts-droid-fallback.
_CANDIDATES: Final = (
    FontChoice(_NOTO / "NotoSansCJK-Regular.ttc", 2, 7, _NOTO / "NotoSansCJK-Bold.ttc"),
    FontChoice(_NOTO / "NotoSerifCJK-Regular.ttc", 2, None, _NOTO / "NotoSerifCJK-Bold.ttc"),
    FontChoice(_TRUETYPE / "wqy" / "wqy-zenhei.ttc", 0, 1),
    FontChoice(_TRUETYPE / "wqy" / "wqy-microhei.ttc", 0, 1),
    FontChoice(_TRUETYPE / "arphic" / "uming.ttc", 0),
    FontChoice(_TRUETYPE / "droid" / "DroidSansFallbackFull.ttf", 0),
)


class CjkFontMissing(RuntimeError):
    """No Chinese font is installed or configured; documents cannot be produced."""


def find_cjk_font(configured: str | None = None) -> FontChoice:
    """The configured font (argument, else ``WEIQUAN_CJK_FONT``), else the first one installed."""
    setting = configured or os.environ.get(CJK_FONT_ENV)
    if setting:
        return _parse_font_setting(setting)
    for candidate in _CANDIDATES:
        if candidate.path.is_file():
            bold = candidate.bold_path
            return FontChoice(
                candidate.path,
                candidate.index,
                candidate.mono_index,
                bold if bold is not None and bold.is_file() else None,
            )
    raise CjkFontMissing(
        "找不到中文字体：请安装 fonts-noto-cjk，或设置 WEIQUAN_CJK_FONT=/path/font.ttc#index / "
        "no CJK font found: install fonts-noto-cjk or set WEIQUAN_CJK_FONT"
    )


def _parse_font_setting(setting: str) -> FontChoice:
    path_text, _, index_text = setting.partition("#")
    path = Path(path_text).expanduser()
    if not path.is_file():
        raise CjkFontMissing(f"配置的字体文件不存在 / configured font not found: {path}")
    if index_text and not index_text.isdigit():
        raise CjkFontMissing(f"字体序号应为整数 / font index must be a number: {setting}")
    return FontChoice(path, int(index_text or 0))


# ── a small document builder ──────────────────────────────────────────────────────────────

_BODY_SIZE: Final = 10.5  # 五号, the usual size of Chinese official documents
_LINE_HEIGHT: Final = 6.0
_GREY: Final = (90, 90, 90)


class _Pdf(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font("cjk", size=8)
        self.set_text_color(*_GREY)
        self.cell(0, 5, f"{self.footer_text}    第 {self.page_no()} 页 / 共 {{nb}} 页", align="C")
        self.set_text_color(0)


class ChineseDocument:
    """Title, headings, paragraphs, key/value tables and wrapped monospace hashes."""

    def __init__(
        self, *, title: str, created_at: datetime, font: FontChoice | None = None, footer: str = ""
    ) -> None:
        self.font = font or find_cjk_font()
        self._pdf = _Pdf(format="A4", unit="mm")
        self._pdf.footer_text = footer
        self._pdf.set_margins(20, 18, 20)
        self._pdf.set_auto_page_break(auto=True, margin=20)
        self._pdf.set_creation_date(created_at)
        self._pdf.set_title(title)
        self._pdf.set_lang("zh-CN")
        self._pdf.set_producer("Weiquan")
        self._register_fonts()
        self._pdf.add_page()
        self._title(title)

    def _register_fonts(self) -> None:
        font = self.font
        self._pdf.add_font("cjk", "", font.path, collection_font_number=font.index)
        bold_path = font.bold_path or font.path
        self._pdf.add_font("cjk", "B", bold_path, collection_font_number=font.index)
        if font.mono_index is not None:
            self._pdf.add_font("mono", "", font.path, collection_font_number=font.mono_index)
            self._mono = "mono"
        else:
            self._mono = "courier"  # hashes are ASCII: a core font is enough

    def _title(self, title: str) -> None:
        self._pdf.set_font("cjk", "B", 18)
        self._pdf.cell(0, 12, title, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self._pdf.ln(2)

    def subtitle(self, text: str) -> None:
        self._pdf.set_font("cjk", size=9)
        self._pdf.set_text_color(*_GREY)
        self._pdf.cell(0, 5, text, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self._pdf.set_text_color(0)
        self._pdf.ln(3)

    def heading(self, text: str) -> None:
        self._pdf.ln(2)
        self._pdf.set_font("cjk", "B", 12.5)
        self._pdf.multi_cell(0, 8, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self._pdf.ln(1)

    def paragraph(self, text: str, *, size: float = _BODY_SIZE, hanging: str = "") -> None:
        """Wrapped text; ``hanging`` (a list number) is set before it and later lines align after it."""
        pdf = self._pdf
        pdf.set_font("cjk", size=size)
        indent = pdf.get_string_width(hanging)
        lines = _wrap(text, pdf.epw - indent, pdf.get_string_width)
        for number, line in enumerate(lines):
            pdf.set_x(pdf.l_margin + indent)
            if number == 0 and hanging:
                pdf.set_x(pdf.l_margin)
                pdf.cell(indent, _LINE_HEIGHT, hanging)
            pdf.cell(0, _LINE_HEIGHT, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(1)

    def key_values(
        self, rows: Sequence[tuple[str, str]], *, mono_keys: frozenset[str] = frozenset()
    ) -> None:
        """A two-column table; values under ``mono_keys`` (hashes) are set in monospace."""
        pdf = self._pdf
        pdf.set_font("cjk", size=_BODY_SIZE)
        mono = FontFace(family=self._mono, size_pt=9)
        padding = 1.2
        value_width = pdf.epw * 0.72 - 2 * padding - 0.5
        with pdf.table(
            col_widths=(28, 72),
            first_row_as_headings=False,
            borders_layout=TableBordersLayout.HORIZONTAL_LINES,
            line_height=_LINE_HEIGHT,
            text_align=("LEFT", "LEFT"),
            wrapmode=WrapMode.CHAR,  # only a fallback: values arrive already wrapped
            padding=padding,
        ) as table:
            for key, value in rows:
                row = table.row()
                row.cell(key, style=FontFace(emphasis="BOLD"))
                if key in mono_keys:
                    row.cell(value, style=mono)
                else:
                    row.cell("\n".join(_wrap(value, value_width, pdf.get_string_width)))
        pdf.ln(2)

    def monospace_block(self, text: str, *, size: float = 8.5) -> None:
        """Preformatted text (a signed checkpoint) wrapped at the margin, line breaks kept."""
        self._pdf.set_font(self._mono, size=size)
        self._pdf.set_fill_color(245, 245, 245)
        self._pdf.multi_cell(
            0, 4.5, text, fill=True, wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
        self._pdf.ln(2)

    def numbered(self, items: Sequence[str]) -> None:
        for number, item in enumerate(items, start=1):
            self.paragraph(item, hanging=f"{number}. ")

    def output(self) -> bytes:
        return bytes(self._pdf.output())


# Runs that must not be split across lines: Latin words, numbers, paths, hashes.
_UNBREAKABLE = re.compile(r"[\x21-\x7e]+|\s+|.", re.DOTALL)
# Punctuation that may not begin a line (避头): it stays with what precedes it.
_NO_LINE_START = frozenset("，。、；：？！）》」』】〕”’,.;:?!)%")


def _wrap(text: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """Break Chinese text between any two characters but never inside a Latin word or number."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        lines.extend(_wrap_paragraph(paragraph, width, measure) or [""])
    return lines


def _wrap_paragraph(text: str, width: float, measure: Callable[[str], float]) -> list[str]:
    tokens: list[str] = []
    for token in _UNBREAKABLE.findall(text):
        if tokens and token[0] in _NO_LINE_START:
            tokens[-1] += token
        else:
            tokens.append(token)
    lines: list[str] = []
    current = ""
    for token in tokens:
        if current and measure(current + token) > width:
            lines.append(current.rstrip())
            current = token.lstrip()
        else:
            current += token
    if current.strip():
        lines.append(current.rstrip())
    return lines


# ── 证据保全证书 ─────────────────────────────────────────────────────────────────────────────


def render_evidence_certificate(
    data: EvidenceCertificate, *, font: FontChoice | None = None, tz: tzinfo = CHINA_TZ
) -> bytes:
    doc = ChineseDocument(
        title="证据保全证书",
        created_at=data.issued_at,
        font=font,
        footer=f"证书编号 {data.certificate_no}",
    )
    doc.subtitle("Evidence Preservation Certificate")
    doc.key_values(
        [
            ("证书编号", data.certificate_no),
            ("案件编号", data.case_no),
            ("出具时间", _when(data.issued_at, tz)),
            ("出具机构", data.issuer),
            *(
                (party.role, party.masked_name() + _identifier(party.identifier))
                for party in data.parties
            ),
        ]
    )
    total = human_size(files_total_size(data.files))
    doc.heading(f"一、保全的电子数据（共 {len(data.files)} 个文件，{total}）")
    for number, item in enumerate(data.files, start=1):
        doc.paragraph(f"文件 {number}：{item.display_name}", size=11)
        doc.key_values(_file_rows(item, tz), mono_keys=frozenset({"SHA-256"}))
    _checkpoint_section(doc, data, tz)
    doc.heading("三、核验方法")
    doc.numbered(_verification_steps(data))
    doc.heading("四、说明")
    doc.paragraph(data.notice)
    return doc.output()


def _file_rows(item: CertifiedFile, tz: tzinfo) -> list[tuple[str, str]]:
    return [
        ("文件类型", item.mime),
        ("文件大小", f"{human_size(item.size_bytes)}（{item.size_bytes:,} 字节）"),
        ("SHA-256", item.sha256),
        ("采集时间", _when(item.captured_at, tz)),
        ("采集方式", item.capture_method),
        ("提交人", mask_name(item.captured_by)),
        ("记入日志", f"{_when(item.logged_at, tz)}，日志序号 {item.log_index}"),
    ]


def _checkpoint_section(doc: ChineseDocument, data: EvidenceCertificate, tz: tzinfo) -> None:
    checkpoint = data.checkpoint
    doc.heading("二、透明日志检查点")
    rows = [
        ("日志标识", checkpoint.origin),
        ("树大小", f"{checkpoint.tree_size:,}"),
        ("根哈希", checkpoint.root_hash_base64),
    ]
    if data.timestamp_authority and data.timestamped_at:
        rows.append(("可信时间戳", f"{data.timestamp_authority}，{_when(data.timestamped_at, tz)}"))
    doc.key_values(rows, mono_keys=frozenset({"根哈希"}))
    doc.paragraph("签名检查点原文（C2SP checkpoint）：", size=9)
    doc.monospace_block(checkpoint.signed_note.strip())


def _verification_steps(data: EvidenceCertificate) -> list[str]:
    steps = [
        "从平台下载本案的证据包（含原始文件、日志包含证明与签名检查点），核验无需联网。",
        (
            f"运行 {data.verify_command}：它重新计算每个文件的 SHA-256，用包含证明把文件与上列检查点"
            "的根哈希联系起来，并用平台公布的公钥验证检查点签名。"
        ),
        (
            "也可以单独核对文件：Linux 运行 sha256sum 文件名，macOS 运行 shasum -a 256 文件名，"
            "Windows 运行 certutil -hashfile 文件名 SHA256，结果应与上列 SHA-256 完全一致。"
        ),
        "检查点的树大小只增不减；任何人保存的较早检查点都可以用一致性证明核对，日志未被改写。",
    ]
    if data.timestamp_authority:
        steps.append(
            "时间戳令牌（RFC 3161）可以用 openssl ts -verify 对照时间戳机构的证书独立核验。"
        )
    return steps


# ── 调解协议书 ──────────────────────────────────────────────────────────────────────────────


def render_mediation_agreement(
    data: MediationAgreement, *, font: FontChoice | None = None, tz: tzinfo = CHINA_TZ
) -> bytes:
    """The agreement PDF; refuses when an acceptance was given for different terms."""
    mismatched = unmatched_acceptances(data)
    if mismatched:
        names = "、".join(item.party_name for item in mismatched)
        raise IntegrityViolation(
            f"{names} 确认的条款与本协议不一致，不能出具协议书 / "
            "an acceptance was given for different terms",
            field="acceptances",
        )
    created_at = data.concluded_at or max(
        (item.accepted_at for item in data.acceptances), default=datetime(2000, 1, 1, tzinfo=tz)
    )
    doc = ChineseDocument(
        title="调解协议书", created_at=created_at, font=font, footer=f"协议编号 {data.agreement_no}"
    )
    doc.subtitle(f"协议编号 {data.agreement_no}    案件编号 {data.case_no}")
    doc.heading("当事人")
    doc.key_values(
        [
            (data.consumer.role, data.consumer.name),
            (data.merchant.role, data.merchant.name + _identifier(data.merchant.identifier)),
            ("调解组织", data.mediation_body),
            ("调解员", data.mediator),
        ]
    )
    doc.heading("一、纠纷事实")
    doc.paragraph(data.facts)
    doc.heading("二、申请人的请求")
    doc.numbered(data.claims)
    doc.heading("三、经调解，双方自愿达成如下协议")
    doc.numbered(
        [_term_text(term.description, term.amount_fen, term.due_by) for term in data.terms]
    )
    doc.heading("四、双方确认")
    digest = data.terms_digest()
    doc.paragraph("协议条款摘要（SHA-256），双方确认时所见的值与之相同：", size=9.5)
    doc.monospace_block(digest)
    doc.key_values(
        [
            (item.party_name, f"{_when(item.accepted_at, tz)} {item.channel}")
            for item in data.acceptances
        ]
    )
    doc.paragraph(data.closing_statement)
    return doc.output()


def _term_text(description: str, amount_fen: int | None, due_by: date | None) -> str:
    text = description
    if amount_fen is not None:
        text += f"，金额 {format_yuan(amount_fen)}（{yuan_in_capitals(amount_fen)}）"
    if due_by is not None:
        text += f"，于 {due_by:%Y年%m月%d日} 24:00 前履行"
    return text


def _identifier(identifier: str | None) -> str:
    return f"（统一社会信用代码 {identifier}）" if identifier else ""


def _when(moment: datetime, tz: tzinfo) -> str:
    local = moment.astimezone(tz)
    offset = f"{local:%z}"
    return f"{local:%Y年%m月%d日 %H:%M:%S}（UTC{offset[:3]}:{offset[3:]}）"
