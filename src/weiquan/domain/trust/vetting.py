"""Merchant vetting: licence data, contact verification and periodic re-verification.

网络交易监督管理办法 Art 24 has platforms verify the merchants' identity and licence information
and re-verify it at least every six months; the deadline worker drives that clock.

    pending → approved → suspended → pending (resubmitted) → …
    approved → pending        (re-verification due: the worker asks for fresh data)
    pending | approved | suspended → revoked   (final)
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from weiquan.domain.accounts import Actor, Role
from weiquan.domain.calendar import WorkdayCalendar, add_months, china_date, due_or_note
from weiquan.domain.cases import require_text
from weiquan.domain.errors import Conflict, ValidationFailed
from weiquan.domain.identifiers import UsccCheck, validate_region_code, validate_uscc
from weiquan.domain.trust.tracking import Move, Tracked, iso, roles

REVERIFY_MONTHS = 6
CONTACT_CODE_MINUTES = 30
_PHONE_DIGITS = 11


class VettingStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    SUSPENDED = "suspended"
    REVOKED = "revoked"


class VettingAction(StrEnum):
    RESUBMIT = "resubmit"
    VERIFY_CONTACT = "verify_contact"
    APPROVE = "approve"
    SUSPEND = "suspend"
    REVOKE = "revoke"
    REVERIFICATION_DUE = "reverification_due"


_STAFF = roles(Role.MEDIATOR, Role.ADMIN)
P, VA = VettingStatus, VettingAction
TRANSITIONS: dict[tuple[str, str], Move] = {
    (P.PENDING, VA.RESUBMIT): Move(P.PENDING, roles(Role.MERCHANT)),
    (P.SUSPENDED, VA.RESUBMIT): Move(P.PENDING, roles(Role.MERCHANT)),
    (P.PENDING, VA.VERIFY_CONTACT): Move(P.PENDING, roles(Role.MERCHANT)),
    (P.PENDING, VA.APPROVE): Move(P.APPROVED, _STAFF),
    (P.APPROVED, VA.SUSPEND): Move(P.SUSPENDED, roles(Role.ADMIN, Role.SYSTEM)),
    (P.APPROVED, VA.REVERIFICATION_DUE): Move(P.PENDING, roles(Role.SYSTEM)),
    **{
        (s, VA.REVOKE): Move(P.REVOKED, roles(Role.ADMIN))
        for s in (P.PENDING, P.APPROVED, P.SUSPENDED)
    },
}


@dataclass(frozen=True, slots=True)
class LicenceData:
    """What the applicant types from the 营业执照, plus the photo's evidence id."""

    legal_name: str
    uscc: str
    region_code: str  # where the business operates (经营场所)
    licence_evidence: str  # the digest or evidence id of the licence photo
    contact_phone: str

    def __post_init__(self) -> None:
        require_text(self.legal_name, field="legal_name", limit=200)
        require_text(self.licence_evidence, field="licence_evidence", limit=100)
        phone = self.contact_phone.strip()
        if not (phone.isdigit() and len(phone) == _PHONE_DIGITS and phone.startswith("1")):
            raise ValidationFailed("联系电话应为 11 位手机号码", field="contact_phone")


@dataclass(kw_only=True, slots=True)
class Vetting(Tracked):
    """One merchant's vetting record; ``id`` is the merchant id."""

    legal_name: str
    uscc: str
    uscc_check: UsccCheck
    region_code: str
    licence_evidence: str
    contact_phone: str
    submitted_at: datetime
    contact_code_hash: str = ""
    contact_code_expires_at: datetime | None = None
    contact_verified_at: datetime | None = None
    approved_at: datetime | None = None
    reverify_due_at: datetime | None = None
    clock_note: str = ""
    reason: str = ""  # why it is in its present state, shown to the merchant
    next_check_at: datetime | None = None

    def apply(
        self,
        action: VettingAction,
        *,
        actor: Actor,
        at: datetime,
        reason: str,
        payload: dict[str, object] | None = None,
    ) -> None:
        self._apply(TRANSITIONS, action, actor=actor, at=at, reason=reason, payload=payload)
        self.reason = reason.strip()

    @property
    def merchant_id(self) -> str:
        return self.id

    @property
    def warnings(self) -> list[str]:
        notes = []
        if self.uscc_check is UsccCheck.CHECKSUM_WARNING:
            notes.append("统一社会信用代码校验位不符（部分早期试点代码如此），请核对营业执照原件")
        if self.contact_verified_at is None:
            notes.append("联系电话尚未核验")
        return notes


def apply_for_vetting(
    merchant_id: str,
    data: LicenceData,
    *,
    at: datetime,
    known_regions: frozenset[str] | None = None,
) -> Vetting:
    checked = validate_uscc(data.uscc)  # malformed codes are refused; a bad check char warns
    region = validate_region_code(data.region_code, known_regions)
    return Vetting(
        id=merchant_id,
        status=VettingStatus.PENDING,
        legal_name=data.legal_name.strip(),
        uscc=checked.code,
        uscc_check=checked.check,
        region_code=region,
        licence_evidence=data.licence_evidence.strip(),
        contact_phone=data.contact_phone.strip(),
        submitted_at=at,
        updated_at=at,
        reason="已提交，等待审核",
    )


def resubmit(
    vetting: Vetting,
    data: LicenceData,
    *,
    actor: Actor,
    at: datetime,
    known_regions: frozenset[str] | None = None,
) -> None:
    fresh = apply_for_vetting(vetting.id, data, at=at, known_regions=known_regions)
    vetting.apply(
        VettingAction.RESUBMIT,
        actor=actor,
        at=at,
        reason="商家更新资质信息，等待审核",
        payload={"uscc_check": fresh.uscc_check.value},
    )
    phone_changed = fresh.contact_phone != vetting.contact_phone
    vetting.legal_name, vetting.uscc, vetting.uscc_check = (
        fresh.legal_name,
        fresh.uscc,
        fresh.uscc_check,
    )
    vetting.region_code, vetting.licence_evidence = fresh.region_code, fresh.licence_evidence
    vetting.contact_phone, vetting.submitted_at = fresh.contact_phone, at
    if phone_changed:
        vetting.contact_verified_at = None


def issue_contact_code(vetting: Vetting, *, code_hash: str, at: datetime) -> None:
    """Stores the hash of a one-time code sent to the contact phone."""
    if vetting.status != VettingStatus.PENDING:
        raise Conflict("只有待审核的资质需要核验联系电话", field="status")
    vetting.contact_code_hash = code_hash
    vetting.contact_code_expires_at = at + timedelta(minutes=CONTACT_CODE_MINUTES)


def verify_contact(vetting: Vetting, *, code_hash: str, actor: Actor, at: datetime) -> None:
    expires = vetting.contact_code_expires_at
    if not vetting.contact_code_hash or expires is None or at > expires:
        raise ValidationFailed("验证码已失效，请重新获取", field="code")
    if not hmac.compare_digest(vetting.contact_code_hash, code_hash):
        raise ValidationFailed("验证码不正确", field="code")
    vetting.apply(VettingAction.VERIFY_CONTACT, actor=actor, at=at, reason="联系电话核验通过")
    vetting.contact_verified_at = at
    vetting.contact_code_hash, vetting.contact_code_expires_at = "", None


def approve(
    vetting: Vetting, *, actor: Actor, at: datetime, reason: str, cal: WorkdayCalendar
) -> None:
    if vetting.contact_verified_at is None:
        raise Conflict("联系电话尚未核验，不能通过审核", field="contact_phone")
    vetting.apply(
        VettingAction.APPROVE,
        actor=actor,
        at=at,
        reason=reason,
        payload={"uscc_check": vetting.uscc_check.value},
    )
    vetting.approved_at = at
    vetting.reverify_due_at, vetting.clock_note = due_or_note(
        lambda: add_months(china_date(at), REVERIFY_MONTHS, cal)
    )
    vetting.new_events[-1].payload["reverify_due_at"] = iso(vetting.reverify_due_at)
    schedule(vetting)


def suspend(vetting: Vetting, *, actor: Actor, at: datetime, reason: str) -> None:
    vetting.apply(VettingAction.SUSPEND, actor=actor, at=at, reason=reason)
    schedule(vetting)


def revoke(vetting: Vetting, *, actor: Actor, at: datetime, reason: str) -> None:
    vetting.apply(VettingAction.REVOKE, actor=actor, at=at, reason=reason)
    schedule(vetting)


def reverification_due(vetting: Vetting, now: datetime) -> bool:
    due = vetting.reverify_due_at
    return vetting.status == VettingStatus.APPROVED and due is not None and now >= due


def require_reverification(vetting: Vetting, *, at: datetime) -> None:
    vetting.apply(
        VettingAction.REVERIFICATION_DUE,
        actor=Actor.system("reverification_every_6_months"),
        at=at,
        reason="距上次核验已满 6 个月，请更新营业执照和联系方式（网络交易监督管理办法第24条）",
    )
    vetting.contact_verified_at = None
    vetting.reverify_due_at = None
    schedule(vetting)


def refresh_clock(vetting: Vetting, cal: WorkdayCalendar) -> None:
    if vetting.clock_note and vetting.approved_at and vetting.status == VettingStatus.APPROVED:
        approved = vetting.approved_at
        vetting.reverify_due_at, vetting.clock_note = due_or_note(
            lambda: add_months(china_date(approved), REVERIFY_MONTHS, cal)
        )
        schedule(vetting)


def schedule(vetting: Vetting) -> None:
    approved = vetting.status == VettingStatus.APPROVED
    vetting.next_check_at = vetting.reverify_due_at if approved else None
