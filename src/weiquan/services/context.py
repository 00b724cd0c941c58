"""Everything a use case needs, injected once by the bootstrap."""

from __future__ import annotations

from dataclasses import dataclass, field

from weiquan.domain.calendar import WorkdayCalendar
from weiquan.domain.evidence_files import BlobStore
from weiquan.domain.trust.grade import DEFAULT_POLICY, GradePolicy
from weiquan.domain.trust.uploads import AnonymousQuota
from weiquan.domain.workflow import DeadlinePolicy
from weiquan.services.notify_ports import Channels, NotifyPolicy
from weiquan.services.ports import (
    IdGenerator,
    LookupHasher,
    PasswordHasher,
    Throttle,
    UnitOfWorkFactory,
)


@dataclass(frozen=True)
class Services:
    uow: UnitOfWorkFactory
    calendar: WorkdayCalendar
    policy: DeadlinePolicy
    ids: IdGenerator
    passwords: PasswordHasher
    blobs: BlobStore
    throttle: Throttle
    lookup: LookupHasher
    max_upload_bytes: int = 200 * 1024 * 1024
    grade_policy: GradePolicy = DEFAULT_POLICY
    anonymous_uploads: AnonymousQuota = field(default_factory=AnonymousQuota)
    channels: Channels = field(default_factory=Channels)
    notify: NotifyPolicy = field(default_factory=NotifyPolicy)
