"""Browser sign-in sessions: started at login, resumed per request, ended at logout, on a password
change, on erasure or from the account page. The cookie holds a random id; the services see
only its digest."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from weiquan.domain.accounts import Principal
from weiquan.domain.errors import NotFound
from weiquan.services.context import Services
from weiquan.services.ports import SessionRecord, UnitOfWork

# A session unused this long ends; however busy, it ends this long after sign-in.
IDLE_TIMEOUT = timedelta(hours=8)
MAX_LIFETIME = timedelta(days=7)
# Last-seen times are written at most this often, so a page view is not a write every time.
TOUCH_EVERY = timedelta(minutes=1)


def _expiry(created_at: datetime, now: datetime) -> datetime:
    return min(now + IDLE_TIMEOUT, created_at + MAX_LIFETIME)


def start(
    svc: Services,
    *,
    user_id: str | None,
    token_hash: str,
    device: str,
    address: str | None,
    now: datetime,
    data: dict[str, Any] | None = None,
    replaces: str | None = None,
) -> SessionRecord:
    """A new session; ``replaces`` (the digest of the browser's previous one) ends in the same
    transaction, so signing in always changes the id (no session fixation)."""
    session = SessionRecord(
        id=svc.ids.new_id(),
        user_id=user_id,
        device=device,
        address=address,
        data=dict(data or {}),
        created_at=now,
        last_seen_at=now,
        expires_at=_expiry(now, now),
    )
    with svc.uow() as uow:
        if replaces is not None:
            previous = uow.sessions.live_by_token_hash(replaces, now=now)
            if previous is not None:
                uow.sessions.end(previous.id, now=now, reason="replaced")
        uow.sessions.forget_expired(before=now - MAX_LIFETIME)
        uow.sessions.add(session, token_hash=token_hash)
        uow.commit()
    return session


def resume(svc: Services, *, token_hash: str, now: datetime) -> SessionRecord | None:
    """The live session behind a cookie, or None when it ended, expired or never existed."""
    with svc.uow(readonly=True) as uow:
        session = uow.sessions.live_by_token_hash(token_hash, now=now)
    if session is None or now - session.last_seen_at < TOUCH_EVERY:
        return session
    expires = _expiry(session.created_at, now)
    with svc.uow() as uow:
        uow.sessions.touch(session.id, last_seen_at=now, expires_at=expires)
        uow.commit()
    return session


def save_data(svc: Services, *, session_id: str, data: dict[str, Any]) -> None:
    with svc.uow() as uow:
        uow.sessions.save_data(session_id, data)
        uow.commit()


def end_current(svc: Services, *, token_hash: str, now: datetime) -> None:
    """Logout: the cookie's session ends for good, whoever presents the cookie later."""
    with svc.uow() as uow:
        session = uow.sessions.live_by_token_hash(token_hash, now=now)
        if session is not None:
            uow.sessions.end(session.id, now=now, reason="logout")
            uow.commit()


def list_mine(svc: Services, *, principal: Principal, now: datetime) -> list[SessionRecord]:
    with svc.uow(readonly=True) as uow:
        return uow.sessions.live_of(principal.user_id, now=now)


def end_mine(svc: Services, *, principal: Principal, session_id: str, now: datetime) -> None:
    """Ends one of the person's own sessions (a lost phone, a shared computer); another
    person's session is "not found", as an unseen case is."""
    with svc.uow() as uow:
        own = {s.id for s in uow.sessions.live_of(principal.user_id, now=now)}
        if session_id not in own:
            raise NotFound("找不到该登录会话，或它已结束")
        uow.sessions.end(session_id, now=now, reason="ended_by_user")
        uow.commit()


def end_all_of(uow: UnitOfWork, user_id: str, *, now: datetime, reason: str) -> int:
    """Ends every session of an account inside the caller's transaction."""
    return uow.sessions.end_all_of(user_id, now=now, reason=reason)
