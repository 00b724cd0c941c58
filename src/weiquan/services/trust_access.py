"""Who may see and act on trust records; staff here means mediators and administrators."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import BinaryIO

from weiquan.domain.accounts import Actor, Principal, Role
from weiquan.domain.errors import NotFound, PermissionDenied, ValidationFailed
from weiquan.domain.trust import uploads as up
from weiquan.domain.trust.uploads import UploadPurpose
from weiquan.services.context import Services
from weiquan.services.ports import UnitOfWork

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
LICENCE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "application/pdf"})
MAX_TRUST_EVIDENCE_BYTES = 50 * 1024 * 1024
MAX_LICENCE_BYTES = 20 * 1024 * 1024
_ADDRESS_PURPOSE = "upload-sender"


def _type_check(purpose: UploadPurpose) -> Callable[[str], None]:
    allowed, message = (
        (LICENCE_TYPES, "营业执照应为照片（JPEG、PNG、WebP）或 PDF 扫描件")
        if purpose is UploadPurpose.LICENCE
        else (TRUST_EVIDENCE_TYPES, "证据应为照片、PDF 或 MP4 视频")
    )

    def accept(mime: str) -> None:
        if mime not in allowed:
            raise ValidationFailed(message, field="file")

    return accept


def store_upload(
    svc: Services,
    chunks: Iterable[bytes],
    *,
    principal: Principal | None,
    purpose: UploadPurpose,
    sender_address: str | None,
    now: datetime,
) -> up.Upload:
    """Stores a file offered with a report, a dispute or a vetting application and returns
    its upload, whose id is how the record cites it. Without an account, the sender's address
    (kept only as a keyed digest) is held to an hourly quota, and all anonymous files waiting
    to be cited to a total. A refused file is never kept."""
    source = _sender_digest(svc, sender_address) if principal is None else None
    max_bytes = MAX_LICENCE_BYTES if purpose is UploadPurpose.LICENCE else MAX_TRUST_EVIDENCE_BYTES
    if principal is None:
        _check_anonymous_quota(svc, source, now)
        max_bytes = min(max_bytes, svc.anonymous_uploads.max_file_bytes)
    blob = svc.blobs.put_stream(chunks, max_bytes=max_bytes, accept_mime=_type_check(purpose))
    upload = up.Upload(
        id=svc.ids.new_id(),
        sha256=blob.sha256,
        size=blob.size,
        mime=blob.mime,
        purpose=purpose,
        uploaded_by=principal.user_id if principal else None,
        uploaded_at=now,
        source=source,
    )
    actor = principal.actor if principal else None
    with svc.uow() as uow:
        uow.uploads.add(upload)
        uow.uploads.add_custody(
            up.UploadCustody(upload.id, up.CustodyAction.UPLOADED, actor, now, purpose.value)
        )
        uow.commit()
    return upload


def _sender_digest(svc: Services, address: str | None) -> str:
    return svc.lookup.digest(_ADDRESS_PURPOSE, address or "unknown")


def _check_anonymous_quota(svc: Services, source: str | None, now: datetime) -> None:
    with svc.uow(readonly=True) as uow:
        usage = uow.uploads.usage_since(source or "", now - timedelta(hours=1))
        pending = uow.uploads.unattached_anonymous_bytes()
    up.check_anonymous_quota(svc.anonymous_uploads, sender_last_hour=usage, pending_bytes=pending)


def attach_uploads(
    uow: UnitOfWork,
    requested: Iterable[str],
    *,
    principal: Principal | None,
    kind: up.AttachedTo,
    record_id: str,
    now: datetime,
) -> tuple[str, ...]:
    """Attaches the cited uploads to the record inside the caller's transaction; returns their
    ids. Each must be the caller's own (or an anonymous one, whose id only its sender knows)
    and not already cited by another record."""
    ids = up.requested_ids(requested)
    found = uow.uploads.get_many(ids, for_update=True)
    actor = principal.actor if principal else None
    uploader = principal.user_id if principal else None
    for upload_id in ids:
        current = found.get(upload_id)
        attached = up.attach(
            current, requested_id=upload_id, uploader_id=uploader, kind=kind, record_id=record_id
        )
        if current is not None and current.attached_kind is None:
            uow.uploads.save_attachment(attached)
            context = up.context_of(kind, record_id)
            uow.uploads.add_custody(
                up.UploadCustody(upload_id, up.CustodyAction.ATTACHED, actor, now, context)
            )
    return ids


def open_attached(
    svc: Services,
    upload_id: str,
    *,
    kind: up.AttachedTo,
    record_id: str,
    principal: Principal,
    now: datetime,
) -> BinaryIO:
    """Opens a file through the record it is attached to, and records the read in its custody
    (committed before the first byte leaves). The caller has checked that ``principal`` may see
    the record's files."""
    with svc.uow() as uow:
        upload = up.require_attached(uow.uploads.get(upload_id), kind=kind, record_id=record_id)
        context = up.context_of(kind, record_id)
        uow.uploads.add_custody(
            up.UploadCustody(upload.id, up.CustodyAction.READ, principal.actor, now, context)
        )
        uow.commit()
    return svc.blobs.open(upload.sha256)


def upload_custody(
    svc: Services, upload_id: str, *, principal: Principal
) -> list[up.UploadCustody]:
    """Staff see the custody of any upload (audit); nobody else does."""
    require_staff(principal)
    with svc.uow(readonly=True) as uow:
        if uow.uploads.get(upload_id) is None:
            raise NotFound("找不到该上传文件")
        return uow.uploads.custody_of(upload_id)


def sweep_unattached_uploads(svc: Services, *, now: datetime, limit: int = 500) -> int:
    """Removes uploads nobody cited within the grace period, and their bytes when nothing else
    names them; returns how many uploads went."""
    cutoff = now - up.ANONYMOUS_GRACE
    with svc.uow() as uow:
        stale = uow.uploads.unattached_before(cutoff, limit=limit)
        for upload in stale:
            uow.uploads.remove(upload.id)
            uow.uploads.add_custody(
                up.UploadCustody(
                    upload.id, up.CustodyAction.REMOVED, Actor.system("upload-sweep"), now, ""
                )
            )
        uow.commit()
    with svc.uow(readonly=True) as uow:
        unused = {u.sha256 for u in stale if not uow.uploads.digest_in_use(u.sha256)}
    for digest in unused:
        svc.blobs.remove_if_stale(digest, older_than_seconds=up.ANONYMOUS_GRACE.total_seconds())
    return len(stale)
