"""Merchant vetting use cases: apply with licence data, verify the contact phone, decide."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime
from typing import BinaryIO

from weiquan.domain.accounts import Principal, Role
from weiquan.domain.errors import NotFound, ValidationFailed
from weiquan.domain.trust import vetting as vt
from weiquan.domain.trust.tracking import TrustEvent
from weiquan.domain.trust.uploads import AttachedTo, Upload, UploadPurpose
from weiquan.services.context import Services
from weiquan.services.ports import UnitOfWork
from weiquan.services.trust_access import (
    STAFF,
    attach_uploads,
    open_attached,
    require_merchant_of,
    require_staff,
    store_upload,
)


def _code_hash(svc: Services, merchant_id: str, code: str) -> str:
    """Keyed: a plain hash of a six-digit code is reversed by trying all million of them."""
    return svc.lookup.digest("vetting-contact-code", f"{merchant_id}:{code.strip()}")


def upload_licence_photo(
    svc: Services, *, principal: Principal, chunks: Iterable[bytes], now: datetime
) -> Upload:
    """Stores a photo or scan of the business licence; its upload id goes in the application."""
    require_merchant_of(principal, principal.merchant_id or "")
    return store_upload(
        svc,
        chunks,
        principal=principal,
        purpose=UploadPurpose.LICENCE,
        sender_address=None,
        now=now,
    )


def open_licence_photo(
    svc: Services, merchant_id: str, *, principal: Principal, now: datetime
) -> BinaryIO:
    record, _ = get_vetting(svc, merchant_id, principal=principal)
    return open_attached(
        svc,
        record.licence_evidence,
        kind=AttachedTo.VETTING,
        record_id=record.id,
        principal=principal,
        now=now,
    )


def apply(
    svc: Services,
    *,
    principal: Principal,
    data: vt.LicenceData,
    now: datetime,
    known_regions: frozenset[str] | None = None,
) -> vt.Vetting:
    """The merchant's staff submit (or resubmit) the licence data for their merchant."""
    merchant_id = principal.merchant_id or ""
    require_merchant_of(principal, merchant_id)
    with svc.uow() as uow:
        try:
            attach_uploads(
                uow,
                [data.licence_evidence],
                principal=principal,
                kind=AttachedTo.VETTING,
                record_id=merchant_id,
                now=now,
            )
        except ValidationFailed as refused:
            message = "请先上传营业执照照片，并使用上传后返回的编号"
            raise ValidationFailed(message, field="licence_evidence") from refused
        existing = uow.vetting.get(merchant_id, for_update=True)
        if existing is None:
            record = vt.apply_for_vetting(merchant_id, data, at=now, known_regions=known_regions)
            uow.vetting.add(record)
        else:
            record = existing
            vt.resubmit(record, data, actor=principal.actor, at=now, known_regions=known_regions)
            uow.vetting.save(record)
        uow.commit()
    return record


def issue_contact_code(
    svc: Services, merchant_id: str, *, principal: Principal, now: datetime
) -> str:
    """A one-time code for the contact phone. Only its hash is stored; the code is returned for
    the deployment's SMS gateway, or for staff to read out when they call the number on file."""
    require_staff(principal)
    code = f"{secrets.randbelow(1_000_000):06d}"
    with svc.uow() as uow:
        record = _get(uow, merchant_id)
        vt.issue_contact_code(record, code_hash=_code_hash(svc, merchant_id, code), at=now)
        uow.vetting.save(record)
        uow.commit()
    return code


def verify_contact(svc: Services, *, principal: Principal, code: str, now: datetime) -> vt.Vetting:
    merchant_id = principal.merchant_id or ""
    require_merchant_of(principal, merchant_id)
    with svc.uow() as uow:
        record = _get(uow, merchant_id)
        vt.verify_contact(
            record,
            code_hash=_code_hash(svc, merchant_id, code),
            actor=principal.actor,
            at=now,
        )
        uow.vetting.save(record)
        uow.commit()
    return record


def decide(
    svc: Services,
    merchant_id: str,
    *,
    principal: Principal,
    action: vt.VettingAction,
    reason: str,
    now: datetime,
) -> vt.Vetting:
    """Approve, suspend or revoke, with the reason the merchant will see."""
    require_staff(principal)
    with svc.uow() as uow:
        record = _get(uow, merchant_id)
        actor = principal.actor
        if action is vt.VettingAction.APPROVE:
            vt.approve(record, actor=actor, at=now, reason=reason, cal=svc.calendar)
        elif action is vt.VettingAction.SUSPEND:
            vt.suspend(record, actor=actor, at=now, reason=reason)
        elif action is vt.VettingAction.REVOKE:
            vt.revoke(record, actor=actor, at=now, reason=reason)
        else:
            raise ValidationFailed("应为 approve、suspend 或 revoke", field="action")
        uow.vetting.save(record)
        uow.commit()
    return record


def _get(uow: UnitOfWork, merchant_id: str) -> vt.Vetting:
    record = uow.vetting.get(merchant_id, for_update=True)
    if record is None:
        raise NotFound("该商家尚未提交资质审核")
    return record


def get_vetting(
    svc: Services, merchant_id: str, *, principal: Principal
) -> tuple[vt.Vetting, list[TrustEvent]]:
    if principal.role not in STAFF and not (
        principal.role is Role.MERCHANT and principal.merchant_id == merchant_id
    ):
        raise NotFound("找不到该商家的审核记录，或您无权查看")
    with svc.uow(readonly=True) as uow:
        record = uow.vetting.get(merchant_id)
        if record is None:
            raise NotFound("该商家尚未提交资质审核")
        return record, uow.vetting.events(merchant_id)


def public_status(svc: Services, merchant_id: str) -> str:
    with svc.uow(readonly=True) as uow:
        record = uow.vetting.get(merchant_id)
        return str(record.status) if record else "unvetted"


def sweep_vetting(svc: Services, *, now: datetime, limit: int = 200) -> list[tuple[str, str]]:
    """Re-verification every 6 months (网络交易监督管理办法 Art 24)."""
    taken: list[tuple[str, str]] = []
    with svc.uow() as uow:
        for record in uow.vetting.with_open_clocks(limit=limit):
            vt.refresh_clock(record, svc.calendar)
            uow.vetting.save(record)
        for record in uow.vetting.claim_due(now, limit=limit):
            if vt.reverification_due(record, now):
                vt.require_reverification(record, at=now)
                taken.append((record.id, "reverification_every_6_months"))
            else:
                vt.schedule(record)
            uow.vetting.save(record)
        uow.commit()
    return taken
