"""Files offered with a 举报 report, a merchant dispute or a vetting application.

Such a file is referred to by the id of its upload, never by its content digest: a digest is no
secret (the same bytes hash the same everywhere, and old log entries printed digests), so a
reference by digest let anyone who learnt one read the file through a record of their own. An
upload belongs to whoever sent it (an anonymous one to whoever holds its random id), is
attached to at most one record, and is read only through that record. Every upload, attachment
and read is a custody event.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from weiquan.domain.accounts import Actor
from weiquan.domain.errors import NotFound, TooManyRequests, ValidationFailed


class UploadPurpose(StrEnum):
    EVIDENCE = "evidence"  # offered with a report or a dispute
    LICENCE = "licence"  # the business licence of a vetting application


class AttachedTo(StrEnum):
    REPORT = "report"
    DISPUTE = "dispute"
    VETTING = "vetting"


_PURPOSE_OF: Final = {
    AttachedTo.REPORT: UploadPurpose.EVIDENCE,
    AttachedTo.DISPUTE: UploadPurpose.EVIDENCE,
    AttachedTo.VETTING: UploadPurpose.LICENCE,
}


class CustodyAction(StrEnum):
    UPLOADED = "uploaded"
    ATTACHED = "attached"
    READ = "read"
    REMOVED = "removed"  # never attached, swept after the grace period


@dataclass(frozen=True, slots=True)
class Upload:
    id: str
    sha256: str
    size: int
    mime: str
    purpose: UploadPurpose
    uploaded_by: str | None  # user id; None for an anonymous upload
    uploaded_at: datetime
    source: str | None  # keyed hash of the sender's address, for anonymous quotas only
    attached_kind: AttachedTo | None = None
    attached_id: str | None = None

    def is_attached_to(self, kind: AttachedTo, record_id: str) -> bool:
        return self.attached_kind is kind and self.attached_id == record_id


@dataclass(frozen=True, slots=True)
class UploadCustody:
    upload_id: str
    action: CustodyAction
    actor: Actor | None  # None: someone without an account (an anonymous reporter)
    at: datetime
    context: str  # which record it was attached to or read through, e.g. "report:<id>"


MAX_FILES_PER_RECORD: Final = 20
ANONYMOUS_GRACE: Final = timedelta(hours=24)  # unattached uploads are swept after this


def context_of(kind: AttachedTo, record_id: str) -> str:
    return f"{kind.value}:{record_id}"


def requested_ids(ids: Iterable[str]) -> tuple[str, ...]:
    """The ids as sent, stripped, each once and in order; refuses an overlong list."""
    seen: dict[str, None] = {}
    for raw in ids:
        value = raw.strip()
        if value:
            seen.setdefault(value, None)
    if len(seen) > MAX_FILES_PER_RECORD:
        raise ValidationFailed(f"证据最多 {MAX_FILES_PER_RECORD} 份", field="evidence")
    return tuple(seen)


def attach(
    upload: Upload | None,
    *,
    requested_id: str,
    uploader_id: str | None,
    kind: AttachedTo,
    record_id: str,
) -> Upload:
    """The upload, attached to the record; refused alike whether the id is unknown, someone
    else's or already used elsewhere, so an id cannot be probed through the answer."""
    usable = (
        upload is not None
        and upload.purpose is _PURPOSE_OF[kind]
        and (upload.uploaded_by is None or upload.uploaded_by == uploader_id)
        and (upload.attached_kind is None or upload.is_attached_to(kind, record_id))
    )
    if not usable or upload is None:
        raise ValidationFailed(
            f"找不到上传的文件 {requested_id[:8]}…，或它不能用在这里；请重新上传",
            field="evidence",
        )
    return replace(upload, attached_kind=kind, attached_id=record_id)


def require_attached(upload: Upload | None, *, kind: AttachedTo, record_id: str) -> Upload:
    """Reading goes through the record the upload is attached to, and only that record."""
    if upload is None or not upload.is_attached_to(kind, record_id):
        raise NotFound("该记录中没有这份证据")
    return upload


@dataclass(frozen=True, slots=True)
class AnonymousQuota:
    """Limits on uploads sent without an account (deployment settings)."""

    files_per_hour: int = 20  # per sender address
    bytes_per_hour: int = 100 * 1024 * 1024  # per sender address
    max_file_bytes: int = 20 * 1024 * 1024
    total_pending_bytes: int = 2 * 1024 * 1024 * 1024  # all anonymous uploads not yet attached


@dataclass(frozen=True, slots=True)
class UploadUsage:
    files: int
    bytes: int


def check_anonymous_quota(
    quota: AnonymousQuota, *, sender_last_hour: UploadUsage, pending_bytes: int
) -> None:
    """Raises when one more anonymous upload would pass a limit; the message says when to retry."""
    if sender_last_hour.files >= quota.files_per_hour or (
        sender_last_hour.bytes >= quota.bytes_per_hour
    ):
        raise TooManyRequests(
            "未登录时每小时可上传的文件已达上限，请一小时后再试，或登录后上传",
            retry_after_seconds=3600,
            field="file",
        )
    if pending_bytes >= quota.total_pending_bytes:
        raise TooManyRequests(
            "匿名上传的存储空间暂时已满，请一小时后再试，或登录后上传",
            retry_after_seconds=3600,
            field="file",
        )
