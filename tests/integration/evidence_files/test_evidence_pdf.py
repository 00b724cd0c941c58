"""Chinese PDFs: the text survives extraction, so the CJK font really is embedded."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest

from weiquan.adapters.pdf import (
    CjkFontMissing,
    FontChoice,
    find_cjk_font,
    render_evidence_certificate,
    render_mediation_agreement,
)
from weiquan.domain.calendar import CHINA_TZ
from weiquan.domain.documents import (
    Acceptance,
    AgreedTerm,
    CertifiedFile,
    Checkpoint,
    EvidenceCertificate,
    MediationAgreement,
    Party,
)
from weiquan.domain.errors import IntegrityViolation

pytestmark = pytest.mark.slow  # fpdf2 parses and subsets a 20 MB font collection: ~1 s a document

SHA_A = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
SHA_B = "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752"
NOTE = (
    "weiquan.example/evidence\n1024\nq8dVdK3yTw6cHnYbLqv0v3nN2Q4k5lT8b9uE1rW2xYc=\n\n"
    "— weiquan.example/evidence Az3grlgtzWwYAbC8p6O7kN8pL0Q2dRZ1y9uEw1Hk4sJ0tY0=\n"
)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=CHINA_TZ)


def certificate() -> EvidenceCertificate:
    return EvidenceCertificate(
        certificate_no="BQ-2026-000042",
        case_no="WQ-2026-000123",
        issued_at=at(28, 10),
        issuer="某市消费者协会在线纠纷解决平台",
        parties=(
            Party("申请人", "王小明"),
            Party("被申请人", "某某数码专营店", "91110108MA01ABCD2X", is_person=False),
        ),
        files=(
            CertifiedFile("订单截图.png", "image/png", 284_113, SHA_A, at(20, 15), at(20, 15, 1), 977, "王小明", "网页上传"),
            CertifiedFile("聊天记录.txt", "text/plain", 5_310, SHA_B, at(21, 9), at(21, 9, 2), 1003, "王小明", "聊天记录导入"),
        ),
        checkpoint=Checkpoint("weiquan.example/evidence", 1024, "q8dVdK3yTw6cHnYbLqv0v3nN2Q4k5lT8b9uE1rW2xYc=", NOTE),
        timestamp_authority="联合信任时间戳服务中心",
        timestamped_at=at(28, 9, 30),
    )  # fmt: skip


def agreement() -> MediationAgreement:
    unsigned = MediationAgreement(
        agreement_no="TJ-2026-0001",
        case_no="WQ-2026-000123",
        consumer=Party("申请人", "王小明"),
        merchant=Party("被申请人", "某某数码专营店", "91110108MA01ABCD2X", is_person=False),
        mediator="李调解",
        mediation_body="某市消费者协会",
        claims=("退还货款 1,299.50 元", "赔偿逾期送达损失"),
        facts="申请人于 2026 年 11 月 20 日购买手机一部，商家承诺 11 月 22 日前送达，实际 11 月 25 日签收。",
        terms=(
            AgreedTerm("被申请人向申请人退还货款", 129950, date(2026, 12, 1)),
            AgreedTerm("被申请人另行补偿逾期送达损失", 5000, date(2026, 12, 1)),
            AgreedTerm("申请人于收到款项后三日内将手机寄回，运费由被申请人承担"),
        ),
        concluded_at=at(28, 11),
    )
    digest = unsigned.terms_digest()
    return replace(
        unsigned,
        acceptances=(Acceptance("王小明", at(28, 10, 40), digest), Acceptance("某某数码专营店", at(28, 10, 55), digest)),
    )  # fmt: skip


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext is missing (Debian package poppler-utils)")
    path = tmp_path / "document.pdf"
    path.write_bytes(pdf)
    done = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True)
    return done.stdout.decode()


@pytest.fixture(scope="module")
def font() -> FontChoice:
    try:
        return find_cjk_font()
    except CjkFontMissing as exc:
        pytest.skip(str(exc))


def test_the_certificate_lists_hashes_times_masked_parties_and_how_to_verify(
    font: FontChoice, tmp_path: Path
) -> None:
    text = pdf_text(render_evidence_certificate(certificate(), font=font), tmp_path)
    for expected in (
        "证据保全证书",
        "BQ-2026-000042",
        "王*明",
        "某某数码专营店",
        SHA_A,
        SHA_B,
        "订单截图.png",
        "2026年11月20日 15:00:00",
        "日志序号 977",
        "weiquan verify",
        "certutil -hashfile",
        "联合信任时间戳服务中心",
    ):
        assert expected in text, expected
    assert "王小明" not in text


def test_the_agreement_shows_names_and_amounts_in_figures_and_capitals(
    font: FontChoice, tmp_path: Path
) -> None:
    data = agreement()
    text = pdf_text(render_mediation_agreement(data, font=font), tmp_path)
    for expected in (
        "调解协议书",
        "王小明",
        "某某数码专营店",
        "91110108MA01ABCD2X",
        "¥1,299.50",
        "人民币壹仟贰佰玖拾玖元伍角整",
        "¥50.00",
        "2026年12月01日",
        "李调解",
        data.terms_digest(),
        "2026年11月28日 10:55:00",
    ):
        assert expected in text, expected


def test_the_font_is_embedded_as_a_subset(font: FontChoice, tmp_path: Path) -> None:
    if shutil.which("pdffonts") is None:
        pytest.skip("pdffonts is missing (Debian package poppler-utils)")
    path = tmp_path / "agreement.pdf"
    path.write_bytes(render_mediation_agreement(agreement(), font=font))
    listing = subprocess.run(
        ["pdffonts", str(path)], capture_output=True, check=True
    ).stdout.decode()
    cjk_rows = [row for row in listing.splitlines() if "CJK" in row or "WenQuanYi" in row]
    assert cjk_rows
    assert all(" yes yes yes " in row for row in cjk_rows)  # embedded, subset, unicode map


def test_the_same_data_renders_to_the_same_bytes(font: FontChoice) -> None:
    first = render_evidence_certificate(certificate(), font=font)
    assert first == render_evidence_certificate(certificate(), font=font)
    assert first.startswith(b"%PDF-")
    assert len(first) < 200_000  # a subset, not the 20 MB collection


def test_an_agreement_accepted_for_other_terms_is_not_issued(font: FontChoice) -> None:
    data = agreement()
    changed = replace(data, terms=(AgreedTerm("被申请人向申请人退还货款", 100000),))
    with pytest.raises(IntegrityViolation, match="王小明"):
        render_mediation_agreement(changed, font=font)


def test_the_font_can_be_configured_and_a_wrong_setting_says_so(
    font: FontChoice, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("WEIQUAN_CJK_FONT", f"{font.path}#{font.index}")
    assert find_cjk_font() == FontChoice(font.path, font.index)
    monkeypatch.setenv("WEIQUAN_CJK_FONT", str(tmp_path / "missing.ttf"))
    with pytest.raises(CjkFontMissing, match=r"missing\.ttf"):
        find_cjk_font()
    with pytest.raises(CjkFontMissing, match="index"):
        find_cjk_font(f"{font.path}#two")
