"""What the services need from the outside world, as Protocols the adapters implement."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from types import TracebackType
from typing import Any, Protocol

from weiquan.domain.accounts import Principal, Role
from weiquan.domain.cases import Case, CaseEvent
from weiquan.domain.evidence import CustodyEvent, EvidenceRecord
from weiquan.domain.health import WorkerBeat
from weiquan.domain.lifecycle import CaseStatus
from weiquan.domain.text_signals import TextRecord
from weiquan.domain.trust.disputes import MerchantDispute
from weiquan.domain.trust.reports import Report
from weiquan.domain.trust.reviews import Review
from weiquan.domain.trust.vetting import Vetting
from weiquan.services.notify_ports import NoticeRepository, WebhookRepository
from weiquan.services.trust_ports import (
    GradeRepository,
    PledgeRepository,
    TrustRecordRepository,
    UploadRepository,
)


@dataclass(frozen=True, slots=True)
class UserRecord:
    id: str
    username: str
    display_name: str
    role: Role
    password_hash: str
    merchant_id: str | None
    region_code: str | None
    is_active: bool
    phone: str | None = None  # decrypted only when the caller asked for PII
    id_number: str | None = None
    address: str | None = None

    @property
    def principal(self) -> Principal:
        return Principal(self.id, self.role, self.display_name, self.merchant_id, self.region_code)


@dataclass(frozen=True, slots=True)
class MerchantRecord:
    id: str
    name: str
    uscc: str | None
    uscc_check: str | None
    region_code: str


@dataclass(frozen=True, slots=True)
class ShopRecord:
    id: str
    merchant_id: str
    name: str
    platform: str
    url: str | None


@dataclass(frozen=True, slots=True)
class CasePosition:
    """Where a case stands in the list order: soonest ``next_due_at`` first, cases without one
    after all others, then newest ``created_at`` first, the id breaking ties. A page of a list
    starts after a position, so pages stay put when cases are added (keyset pagination)."""

    next_due_at: datetime | None
    created_at: datetime
    id: str

    @classmethod
    def of(cls, case: Case) -> CasePosition:
        return cls(case.deadlines.next_check_at, case.created_at, case.id)


class MediatorPart(StrEnum):
    """Which of a mediator's lists: both, their own cases, or the unassigned mediation queue."""

    ALL = "all"
    MINE = "mine"
    WAITING = "waiting"


@dataclass(frozen=True, slots=True)
class CaseFilter:
    """Object-level scope plus optional narrowing; built by the authorisation policy."""

    consumer_id: str | None = None
    merchant_id: str | None = None
    mediator_or_queue: str | None = None  # assigned to this mediator, or unassigned in mediation
    mediator_part: MediatorPart = MediatorPart.ALL
    region_prefix: str | None = None  # regulator: cases referred within this region
    statuses: tuple[CaseStatus, ...] = ()
    limit: int = 50
    after: CasePosition | None = None  # the page starts after this case


class UserRepository(Protocol):
    def add(self, user: UserRecord, *, created_at: datetime) -> None: ...
    def get(self, user_id: str, *, with_pii: bool = False) -> UserRecord | None: ...
    def by_username(self, username: str) -> UserRecord | None: ...
    def add_token(
        self,
        *,
        token_id: str,
        user_id: str,
        token_hash: str,
        name: str,
        created_at: datetime,
        expires_at: datetime | None,
    ) -> None: ...
    def by_token_hash(self, token_hash: str, *, now: datetime) -> UserRecord | None: ...
    def list_by_role(self, role: Role) -> list[UserRecord]: ...
    def erase_personal_data(self, user_id: str, *, display_name: str, now: datetime) -> None:
        """Blanks contact data, disables login and revokes every token of the account."""
        ...

    def set_password_hash(self, user_id: str, password_hash: str) -> None: ...
    def disable(self, user_id: str, *, now: datetime) -> None:
        """Nobody signs in to the account any more: no usable password, tokens revoked."""
        ...


class MerchantRepository(Protocol):
    def add(self, merchant: MerchantRecord, *, created_at: datetime) -> None: ...
    def get(self, merchant_id: str) -> MerchantRecord | None: ...
    def add_shop(self, shop: ShopRecord, *, created_at: datetime) -> None: ...
    def get_shop(self, shop_id: str) -> ShopRecord | None: ...
    def shop_and_merchant(self, shop_id: str) -> tuple[ShopRecord, MerchantRecord] | None:
        """The shop with its merchant, in one query (complaint intake asks for both)."""
        ...

    def shops_of(self, merchant_id: str) -> list[ShopRecord]: ...
    def shops(self, shop_ids: Sequence[str] | None = None) -> list[ShopRecord]:
        """The shops named, in one query; all shops by name when None."""
        ...

    def all(self) -> list[MerchantRecord]: ...


class CaseRepository(Protocol):
    def add_all(self, cases: Sequence[Case]) -> None:
        """Writes new cases with their events, a statement per table however many there are."""
        ...

    def get(self, case_id: str, *, for_update: bool = False) -> Case | None: ...
    def save(self, case: Case) -> None:
        """Writes changes and new events; raises Conflict if someone else saved meanwhile."""
        ...

    def find(self, scope: CaseFilter) -> list[Case]:
        """Up to ``scope.limit`` cases in the list order, after ``scope.after``; each statement
        is an index seek and walk of at most ``limit`` entries, whatever the size of the scope."""
        ...

    def find_after_skipping(self, scope: CaseFilter, skip: int) -> list[Case]:
        """``find`` from ``skip`` cases into the scope (a bounded OFFSET): the cases skipped are
        passed over in the index, not read."""
        ...

    def count_up_to(self, scope: CaseFilter, cap: int) -> int:
        """The number of cases in the scope, or ``cap`` if there are at least that many."""
        ...

    def events(self, case_id: str) -> list[CaseEvent]: ...
    def with_open_deadlines(self, *, after: str, limit: int) -> list[Case]:
        """Open cases whose deadlines could not be computed yet, in id order from after ``after``,
        locked for this transaction."""
        ...

    def claim_due(self, now: datetime, *, limit: int) -> list[Case]:
        """Due cases, locked for this transaction; rows other workers hold are skipped."""
        ...

    def texts_around(self, case: Case, *, limit: int) -> list[TextRecord]:
        """The most recent submitted complaints of the same consumer or against the same
        merchant, as text records (id = case id), for the integrity signals."""
        ...


class EvidenceRepository(Protocol):
    def add(self, record: EvidenceRecord) -> None: ...
    def get(self, evidence_id: str) -> EvidenceRecord | None: ...
    def for_case(self, case_id: str) -> list[EvidenceRecord]: ...
    def add_custody(self, event: CustodyEvent) -> None: ...
    def custody_of(self, evidence_id: str) -> list[CustodyEvent]: ...


@dataclass(frozen=True, slots=True)
class LoggedEntry:
    """A case event or evidence record with the salt of its log commitments and its index."""

    kind: str  # "case_event" | "evidence"
    ref: str  # case event row id, or evidence id
    salt: bytes
    log_index: int | None
    event: CaseEvent | None = None
    evidence: EvidenceRecord | None = None
    entry_version: int = 2  # the layout of its log entry (weiquan.domain.ledger_entries)
    case_key: bytes | None = None  # case events: the salt of the case's first event


class LedgerRepository(Protocol):
    """The database side of the transparency log (an outbox read in commit order)."""

    def pending(self, *, limit: int) -> list[LoggedEntry]: ...
    def mark(self, marks: Sequence[tuple[str, str, int]]) -> None:
        """Records the log index of each (kind, ref, log_index) entry just appended."""
        ...

    def mark_identified(
        self, *, case_id: str, seq: int | None, evidence_id: str | None, log_index: int
    ) -> bool: ...
    def recorded_size(self) -> int:
        """One past the highest log index recorded in the database."""
        ...

    def entries_of_case(self, case_id: str) -> list[LoggedEntry]: ...
    def unsealed_count(self) -> int:
        """How many case events and evidence records wait to be appended to the log."""
        ...

    def recorded_from(self, start: int, *, limit: int) -> list[LoggedEntry]:
        """Entries with a recorded log index ≥ ``start``, in index order (at most ``limit``)."""
        ...


class WorkerStatusRepository(Protocol):
    def save(self, beat: WorkerBeat) -> None: ...
    def all(self) -> list[WorkerBeat]: ...


class EventLog(Protocol):
    """The append-only transparency log (one writer process)."""

    @property
    def size(self) -> int: ...
    def append_many(self, entries: list[bytes]) -> list[int]:
        """Appends durably; returns the indices once acknowledged."""
        ...

    def read_entry(self, index: int) -> bytes: ...


class IdempotencyRepository(Protocol):
    def get_many(self, pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], tuple[str, str]]:
        """(user_id, key) → (request_hash, case_id), for the pairs that are stored."""
        ...

    def put_all(self, rows: Sequence[tuple[str, str, str, str, datetime]]) -> None:
        """Stores (user_id, key, request_hash, case_id, created_at) rows."""
        ...


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """A browser's sign-in; ``address`` is decrypted, ``data`` is what pages keep across requests."""

    id: str
    user_id: str | None
    device: str
    address: str | None
    data: dict[str, Any]
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime


class SessionRepository(Protocol):
    def add(self, session: SessionRecord, *, token_hash: str) -> None: ...
    def live_by_token_hash(self, token_hash: str, *, now: datetime) -> SessionRecord | None:
        """The session with this cookie digest, if it has neither ended nor expired."""
        ...

    def touch(self, session_id: str, *, last_seen_at: datetime, expires_at: datetime) -> None: ...
    def save_data(self, session_id: str, data: dict[str, Any]) -> None: ...
    def end(self, session_id: str, *, now: datetime, reason: str) -> bool:
        """Ends a live session; whether there was one to end."""
        ...

    def end_all_of(self, user_id: str, *, now: datetime, reason: str) -> int: ...
    def live_of(self, user_id: str, *, now: datetime) -> list[SessionRecord]: ...
    def forget_expired(self, *, before: datetime) -> int: ...


@dataclass(frozen=True, slots=True)
class RememberedRequest:
    """A POST sent with an Idempotency-Key: its fingerprint and, once answered, the answer."""

    request_hash: str
    status: int | None  # None while the first request is still being answered
    body: bytes
    created_at: datetime


class IdempotentRequestRepository(Protocol):
    def get(self, scope: str, key: str) -> RememberedRequest | None: ...
    def claim(
        self, scope: str, key: str, *, request_hash: str, user_id: str | None, now: datetime
    ) -> bool:
        """Records the key as being answered; False when it was already there."""
        ...

    def take_over(self, scope: str, key: str, *, request_hash: str, now: datetime) -> None: ...
    def answer(self, scope: str, key: str, *, status: int, body: bytes) -> None: ...
    def release(self, scope: str, key: str) -> None: ...
    def forget_before(self, cutoff: datetime) -> None: ...
    def forget_user(self, user_id: str) -> None: ...


class UnitOfWork(Protocol):
    users: UserRepository
    sessions: SessionRepository
    merchants: MerchantRepository
    cases: CaseRepository
    idempotency: IdempotencyRepository
    requests: IdempotentRequestRepository
    evidence: EvidenceRepository
    ledger: LedgerRepository
    workers: WorkerStatusRepository
    vetting: TrustRecordRepository[Vetting]
    reports: TrustRecordRepository[Report]
    reviews: TrustRecordRepository[Review]
    disputes: TrustRecordRepository[MerchantDispute]
    grades: GradeRepository
    pledges: PledgeRepository
    uploads: UploadRepository
    notices: NoticeRepository
    webhooks: WebhookRepository

    def __enter__(self) -> UnitOfWork: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self, *, readonly: bool = False) -> UnitOfWork: ...


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...
    def verify(self, password_hash: str, password: str) -> bool: ...


class LookupHasher(Protocol):
    """A keyed hash (HMAC) for finding records by a personal datum without storing it."""

    def digest(self, purpose: str, value: str) -> str: ...


class IdGenerator(Protocol):
    def new_id(self) -> str: ...
    def case_number(self, at: datetime) -> str: ...
    def token(self) -> str: ...


@dataclass(frozen=True, slots=True)
class ThrottleVerdict:
    allowed: bool
    retry_after: float  # seconds until the window that refused ends (0 when allowed)


class Throttle(Protocol):
    """Counts hits per rule and key (an address, an account) in windows shared by all processes."""

    def hit(self, rule: str, key: str) -> ThrottleVerdict:
        """Counts one hit; refused when the window is already full."""
        ...

    def peek(self, rule: str, key: str) -> ThrottleVerdict:
        """Whether one more hit would be allowed, without counting it."""
        ...

    def clear(self, rule: str, key: str) -> None: ...
