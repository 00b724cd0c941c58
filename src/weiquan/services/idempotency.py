"""``Idempotency-Key`` for every POST that creates something, not only complaints.

A client that sends a key and retries (a timeout, a dropped connection) gets the first answer
again instead of a second statement, report or dispute. The same key with a different request is
a conflict. The first request holds the key while it is answered; a retry arriving meanwhile is
told to wait. Answers are kept for a day.

The answer is stored after the request's own transaction has committed, so a process killed in
between leaves the key held but unanswered: after :data:`ABANDONED_AFTER` a retry is let through
and answered afresh. Complaints, the busiest case, do better: their key is written in the same
transaction as the case (:mod:`weiquan.services.cases`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from weiquan.domain.errors import Conflict, IdempotencyMismatch, ValidationFailed
from weiquan.services.context import Services
from weiquan.services.ports import RememberedRequest

KEPT_FOR = timedelta(hours=24)
ABANDONED_AFTER = timedelta(minutes=10)
MAX_KEY = 100
ANONYMOUS = "anonymous"


@dataclass(frozen=True, slots=True)
class KeyedRequest:
    scope: str  # the caller's user id, or ANONYMOUS
    key: str
    request_hash: str
    user_id: str | None


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: bytes


def require_key(key: str) -> str:
    if not key or len(key) > MAX_KEY or not key.isascii() or not key.isprintable():
        raise ValidationFailed(
            f"Idempotency-Key 应为 1–{MAX_KEY} 个可见的 ASCII 字符", field="Idempotency-Key"
        )
    return key


def begin(svc: Services, request: KeyedRequest, *, now: datetime) -> Answer | None:
    """The stored answer to replay, or None when this request now holds the key and must be
    answered (then :func:`finish` or :func:`release`)."""
    require_key(request.key)
    with svc.uow() as uow:
        uow.requests.forget_before(now - KEPT_FOR)
        claimed = uow.requests.claim(
            request.scope,
            request.key,
            request_hash=request.request_hash,
            user_id=request.user_id,
            now=now,
        )
        if not claimed:
            answer = _earlier(uow.requests.get(request.scope, request.key), request, now=now)
            if answer is not None:
                return answer
            uow.requests.take_over(
                request.scope, request.key, request_hash=request.request_hash, now=now
            )
        uow.commit()
    return None


def _earlier(
    found: RememberedRequest | None, request: KeyedRequest, *, now: datetime
) -> Answer | None:
    """The earlier request's answer, None when it was abandoned, or the reason to refuse."""
    if found is None:  # forgotten between the insert and the read: nothing to replay
        return None
    if found.request_hash != request.request_hash:
        raise IdempotencyMismatch(
            "同一个 Idempotency-Key 已用于另一个不同的请求", field="Idempotency-Key"
        )
    if found.status is not None:
        return Answer(found.status, found.body)
    if now - found.created_at < ABANDONED_AFTER:
        raise Conflict(
            "使用同一个 Idempotency-Key 的请求仍在处理中，请稍后重试", field="Idempotency-Key"
        )
    return None


def finish(svc: Services, request: KeyedRequest, answer: Answer) -> None:
    with svc.uow() as uow:
        uow.requests.answer(request.scope, request.key, status=answer.status, body=answer.body)
        uow.commit()


def release(svc: Services, request: KeyedRequest) -> None:
    """The request failed: nothing was created, so a retry with the key may try again."""
    with svc.uow() as uow:
        uow.requests.release(request.scope, request.key)
        uow.commit()
