"""What goes into the two documents the product issues as PDF.

* 证据保全证书 — evidence preservation certificate: which files were preserved, their SHA-256,
  when and by whom they were captured (在线诉讼规则 Art 18 asks about the time before logging),
  where they sit in the transparency log, and how anyone can check that offline.
* 调解协议书 — mediation agreement: parties, claims, agreed terms with amounts, each party's
  acceptance bound to a digest of exactly these terms, and the mediator.

Plain data plus the pure helpers documents need (amounts in figures and in 大写, name masking,
the terms digest); rendering lives in ``weiquan.adapters.pdf``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Final

from weiquan.domain.errors import ValidationFailed

DEFAULT_VERIFY_COMMAND: Final = "weiquan verify <证据包.zip>"
DEFAULT_CERTIFICATE_NOTICE: Final = (
    "本证书由平台运营方依据其保存的记录出具，用于说明所列电子数据的保全时间与完整性校验方法；"
    "证据的真实性、合法性与关联性由人民法院、仲裁机构或行政机关依法审查认定。"
)
DEFAULT_AGREEMENT_CLOSING: Final = (
    "本协议自双方当事人在线确认之日起生效，双方应当按照约定履行。"
    "依法设立的调解组织主持达成的调解协议，双方当事人可以依法共同向有管辖权的人民法院申请司法确认。"
)


@dataclass(frozen=True, slots=True)
class Party:
    role: str  # 申请人 / 被申请人 / 消费者 / 商家
    name: str
    identifier: str | None = None  # a merchant's 统一社会信用代码; never a person's ID number
    is_person: bool = True  # people are masked on certificates; businesses are not

    def masked_name(self) -> str:
        return mask_name(self.name) if self.is_person else self.name


@dataclass(frozen=True, slots=True)
class CertifiedFile:
    display_name: str
    mime: str
    size_bytes: int
    sha256: str
    captured_at: datetime
    logged_at: datetime
    log_index: int
    captured_by: str  # the account that uploaded it (masked on the certificate)
    capture_method: str  # 网页上传 / 手机拍摄 / 订单导入 …


@dataclass(frozen=True, slots=True)
class Checkpoint:
    origin: str
    tree_size: int
    root_hash_base64: str
    signed_note: str  # the whole C2SP checkpoint text, signature lines included


@dataclass(frozen=True, slots=True)
class EvidenceCertificate:
    certificate_no: str
    case_no: str
    issued_at: datetime
    issuer: str  # the operator running this deployment
    parties: tuple[Party, ...]
    files: tuple[CertifiedFile, ...]
    checkpoint: Checkpoint
    timestamp_authority: str | None = None  # RFC 3161 TSA that stamped the checkpoint, if any
    timestamped_at: datetime | None = None
    verify_command: str = DEFAULT_VERIFY_COMMAND
    notice: str = DEFAULT_CERTIFICATE_NOTICE


@dataclass(frozen=True, slots=True)
class AgreedTerm:
    description: str
    amount_fen: int | None = None
    due_by: date | None = None


@dataclass(frozen=True, slots=True)
class Acceptance:
    party_name: str
    accepted_at: datetime
    terms_sha256: str  # the digest the party saw and accepted
    channel: str = "在线确认"


@dataclass(frozen=True, slots=True)
class MediationAgreement:
    agreement_no: str
    case_no: str
    consumer: Party
    merchant: Party
    mediator: str
    mediation_body: str
    claims: tuple[str, ...]
    facts: str
    terms: tuple[AgreedTerm, ...]
    acceptances: tuple[Acceptance, ...] = field(default=())
    concluded_at: datetime | None = None
    closing_statement: str = DEFAULT_AGREEMENT_CLOSING

    def terms_digest(self) -> str:
        """SHA-256 of the terms both parties accept; an acceptance names this digest."""
        return terms_digest(self)


def terms_digest(agreement: MediationAgreement) -> str:
    """Canonical JSON of parties, claims, facts and terms, hashed: any change alters it."""
    canonical = {
        "agreement_no": agreement.agreement_no,
        "case_no": agreement.case_no,
        "consumer": [agreement.consumer.role, agreement.consumer.name],
        "merchant": [
            agreement.merchant.role,
            agreement.merchant.name,
            agreement.merchant.identifier,
        ],
        "claims": list(agreement.claims),
        "facts": agreement.facts,
        "terms": [
            [term.description, term.amount_fen, term.due_by.isoformat() if term.due_by else None]
            for term in agreement.terms
        ],
    }
    encoded = json.dumps(canonical, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def unmatched_acceptances(agreement: MediationAgreement) -> list[Acceptance]:
    """Acceptances given for other terms than these; an agreement with any must not be issued."""
    digest = agreement.terms_digest()
    return [item for item in agreement.acceptances if item.terms_sha256 != digest]


# ── presentation helpers ──────────────────────────────────────────────────────────────────


def format_yuan(fen: int) -> str:
    """``129950`` → ``¥1,299.50``."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}¥{whole:,}.{cents:02d}"


_DIGITS: Final = "零壹贰叁肆伍陆柒捌玖"
_SMALL_UNITS: Final = ("", "拾", "佰", "仟")
_LARGE_UNITS: Final = ("", "万", "亿", "万亿")


def yuan_in_capitals(fen: int) -> str:
    """Amount in 大写 as financial documents write it: ``129950`` → ``人民币壹仟贰佰玖拾玖元伍角整``."""
    if fen < 0:
        raise ValidationFailed("大写金额不能为负 / negative amount", field="amount")
    if fen >= 10**18:
        raise ValidationFailed("金额过大 / amount too large", field="amount")
    whole, cents = divmod(fen, 100)
    jiao, fen_digit = divmod(cents, 10)
    text = "人民币" + (_integer_in_capitals(whole) + "元" if whole else "")
    if jiao == 0 and fen_digit == 0:
        return text + ("整" if whole else "零元整")
    if jiao:
        text += _DIGITS[jiao] + "角"
    elif whole:
        text += "零"
    if fen_digit:
        text += _DIGITS[fen_digit] + "分"
    else:
        text += "整"
    return text


def _integer_in_capitals(number: int) -> str:
    groups: list[int] = []
    while number:
        number, group = divmod(number, 10_000)
        groups.append(group)
    parts: list[str] = []
    pending_zero = False
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            pending_zero = bool(parts)
            continue
        if parts and (pending_zero or group < 1000):
            parts.append("零")
        parts.append(_group_in_capitals(group) + _LARGE_UNITS[index])
        pending_zero = False
    return "".join(parts)


def _group_in_capitals(group: int) -> str:
    """Digits of a number below 10,000, zeros inside collapsed: 1010 → 壹仟零壹拾."""
    digits = [int(ch) for ch in f"{group:04d}"]
    text = ""
    zero_run = False
    started = False
    for position, digit in enumerate(digits):
        unit = _SMALL_UNITS[3 - position]
        if digit == 0:
            zero_run = started
            continue
        if zero_run:
            text += "零"
        text += _DIGITS[digit] + unit
        zero_run = False
        started = True
    return text


def mask_name(name: str) -> str:
    """``张三`` → ``张*``, ``欧阳娜娜`` → ``欧**娜``, ``alice`` → ``a***e``; shops are not persons,
    so callers mask only people."""
    stripped = name.strip()
    if len(stripped) <= 1:
        return "*"
    if len(stripped) == 2:
        return stripped[0] + "*"
    return stripped[0] + "*" * (len(stripped) - 2) + stripped[-1]


def files_total_size(files: Sequence[CertifiedFile]) -> int:
    return sum(item.size_bytes for item in files)
