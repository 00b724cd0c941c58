"""Who may see and act on trust records; staff here means mediators and administrators."""

from __future__ import annotations

from collections.abc import Iterable
from typing import BinaryIO

from weiquan.domain.accounts import Principal, Role
from weiquan.domain.errors import NotFound, PermissionDenied, ValidationFailed
from weiquan.domain.evidence_files import StoredBlob, require_sha256_hex
from weiquan.services.context import Services

STAFF = frozenset({Role.MEDIATOR, Role.ADMIN})


def require_staff(principal: Principal) -> None:
    if principal.role not in STAFF:
        raise PermissionDenied("只有调解员或管理员可以执行此操作")


def require_merchant_of(principal: Principal, merchant_id: str) -> None:
    if principal.role is not Role.MERCHANT or principal.merchant_id != merchant_id:
        raise PermissionDenied("只有该商家的工作人员可以执行此操作")


def require_role(principal: Principal, *roles: Role) -> None:
    if principal.role not in roles:
        raise PermissionDenied("您的角色不能执行此操作")


TRUST_EVIDENCE_TYPES = frozenset(
    {"image/jpeg", "image/png", "image/webp", "image/gif", "application/pdf", "video/mp4"}
)
MAX_TRUST_EVIDENCE_BYTES = 50 * 1024 * 1024


def store_evidence(svc: Services, chunks: Iterable[bytes]) -> StoredBlob:
    """Stores a photo, scan or video offered with a report or a dispute, by its content hash."""
    blob = svc.blobs.put_stream(chunks, max_bytes=MAX_TRUST_EVIDENCE_BYTES)
    if blob.mime not in TRUST_EVIDENCE_TYPES:
        # Content-addressed and unreferenced: harmless to leave, reused if uploaded again.
        raise ValidationFailed("证据应为照片、PDF 或 MP4 视频", field="file")
    return blob


def require_stored(svc: Services, digests: Iterable[str]) -> tuple[str, ...]:
    """The digests, canonical, each naming a file already uploaded."""
    checked = tuple(require_sha256_hex(d) for d in digests)
    missing = [d for d in checked if not svc.blobs.exists(d)]
    if missing:
        raise ValidationFailed(f"证据文件尚未上传：{missing[0][:12]}…", field="evidence")
    return checked


def open_listed(svc: Services, digest: str, listed: Iterable[str]) -> BinaryIO:
    """Opens a file only if the record it is asked through lists it."""
    if digest not in set(listed):
        raise NotFound("该记录中没有这份证据")
    return svc.blobs.open(digest)
