"""Every error the domain and services raise, each knowing how it is presented.

    DomainError                       400  exit 1
    ├── ValidationFailed              422  exit 2   input a person can correct
    │   └── CalendarOutOfRange        422  exit 2   a date the holiday calendar does not cover
    ├── NotFound                      404  exit 3
    ├── PermissionDenied              403  exit 4
    ├── NotAuthenticated              401  exit 4
    ├── Conflict                      409  exit 5
    │   ├── IllegalTransition         409  exit 5   the lifecycle table forbids this move
    │   └── IdempotencyMismatch       409  exit 5   a reused key with a different request
    ├── TooManyRequests               429  exit 8   a limit was reached; says when to retry
    ├── IntegrityViolation            500  exit 6   stored data failed a check (tampering, corruption)
    │   ├── LogRolledBack             500  exit 6   the log on disk is behind what it published
    │   └── SigningKeyMissing         500  exit 6   the log's signing key is gone; never replaced silently
    └── Unavailable                   503  exit 7   cannot be served just now (shutting down); retry

Entrypoints translate these in one place each (the FastAPI handler and the CLI wrapper);
nothing below them raises HTTP exceptions or calls ``sys.exit``.
"""

from __future__ import annotations

from typing import ClassVar


class DomainError(Exception):
    """Base class: a message a person can understand, plus how to present it."""

    http_status: ClassVar[int] = 400
    exit_code: ClassVar[int] = 1
    code: ClassVar[str] = "domain_error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def as_dict(self) -> dict[str, str]:
        body = {"error": self.code, "message": self.message}
        if self.field is not None:
            body["field"] = self.field
        return body


class ValidationFailed(DomainError):
    http_status = 422
    exit_code = 2
    code = "validation_failed"


class TooLong(ValidationFailed):
    """Text longer than its field takes: refused with the numbers, never cut."""

    code = "too_long"

    def __init__(self, *, limit: int, count: int, field: str | None = None) -> None:
        super().__init__(f"过长：最多 {limit} 个字符，现有 {count} 个", field=field)
        self.limit = limit
        self.count = count


class CalendarOutOfRange(ValidationFailed):
    code = "calendar_out_of_range"


class NotFound(DomainError):
    http_status = 404
    exit_code = 3
    code = "not_found"


class PermissionDenied(DomainError):
    http_status = 403
    exit_code = 4
    code = "permission_denied"


class NotAuthenticated(DomainError):
    http_status = 401
    exit_code = 4
    code = "not_authenticated"


class Conflict(DomainError):
    http_status = 409
    exit_code = 5
    code = "conflict"


class IllegalTransition(Conflict):
    code = "illegal_transition"


class CaseNumberTaken(Conflict):
    """A freshly drawn case number is already in use (the database said so on insert)."""

    code = "case_number_taken"


class NotYetSealed(Conflict):
    """A record is still on its way into the transparency log; asking again shortly succeeds."""

    code = "not_yet_sealed"


class IdempotencyMismatch(Conflict):
    code = "idempotency_mismatch"


class TooManyRequests(DomainError):
    """A rate or quota limit was reached; ``retry_after_seconds`` becomes ``Retry-After``."""

    http_status = 429
    exit_code = 8
    code = "too_many_requests"

    def __init__(self, message: str, *, retry_after_seconds: int, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.retry_after_seconds = retry_after_seconds


class IntegrityViolation(DomainError):
    http_status = 500
    exit_code = 6
    code = "integrity_violation"


class LogRolledBack(IntegrityViolation):
    """The log on disk is behind (or contradicts) a checkpoint it already published: signing
    now would fork it. Raised at start-up, before anything is signed."""

    code = "log_rolled_back"


class SigningKeyMissing(IntegrityViolation):
    """The log has published checkpoints but its signing key is not where it should be."""

    code = "signing_key_missing"


class Unavailable(DomainError):
    http_status = 503
    exit_code = 7
    code = "unavailable"
