"""Evidence records: what a file is, who captured it, when and how, and every access to it.

A record is never edited or deleted. A correction is a new record that names the one it
supersedes; both stay on the case and in the transparency log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from weiquan.domain.accounts import Actor
from weiquan.domain.cases import require_text
from weiquan.domain.errors import ValidationFailed
from weiquan.domain.evidence_files import display_filename, require_sha256_hex


class CaptureMethod(StrEnum):
    UPLOAD = "upload"
    PLATFORM_IMPORT = "platform_import"
    CHAT_LOG_IMPORT = "chat_log_import"
    ORDER_IMPORT = "order_import"
    OCR_DERIVED = "ocr_derived"
    OPERATOR_INTAKE = "operator_intake"


class CustodyAction(StrEnum):
    CAPTURED = "captured"
    VIEWED = "viewed"
    DOWNLOADED = "downloaded"
    EXPORTED = "exported"  # included in an evidence package


@dataclass(frozen=True, slots=True)
class EvidenceRecord:
    id: str
    case_id: str
    sha256: str
    size: int
    mime: str
    original_name: str
    method: CaptureMethod
    captured_by: Actor
    captured_at: datetime
    description: str = ""
    supports_seq: int | None = None  # the case event (statement) this evidence supports
    supersedes_id: str | None = None
    derived: dict[str, Any] = field(default_factory=dict)  # OCR fields, parsed chat, order rows

    def __post_init__(self) -> None:
        require_sha256_hex(self.sha256)
        if self.size < 0:
            raise ValidationFailed("文件大小不能为负", field="size")
        if self.captured_at.tzinfo is None:
            raise ValidationFailed("时间必须带时区", field="captured_at")
        require_text(self.description, field="description", limit=1_000, required=False)

    @property
    def display_name(self) -> str:
        return display_filename(self.original_name)


@dataclass(frozen=True, slots=True)
class CustodyEvent:
    evidence_id: str
    action: CustodyAction
    actor: Actor
    at: datetime
