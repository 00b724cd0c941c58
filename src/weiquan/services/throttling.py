"""Throttles for whatever can be abused by repetition: sign-in, anonymous reports and uploads,
sign-up codes. One call, :func:`admit`, counts a try and refuses with when to try again."""

from __future__ import annotations

from datetime import datetime

from weiquan.domain.accounts import Principal
from weiquan.domain.errors import NotAuthenticated
from weiquan.domain.throttle import LOGIN_ACCOUNT, LOGIN_ADDRESS, refusal
from weiquan.services import accounts
from weiquan.services.context import Services


def admit(svc: Services, rule: str, key: str, *, now: datetime) -> None:
    """Counts one try under ``rule`` for ``key`` (an address, an account, a phone number);
    raises :class:`~weiquan.domain.throttle.Refused` (429) once the window is full."""
    verdict = svc.throttle.hit(rule, key)
    if not verdict.allowed:
        raise refusal(rule, retry_after=verdict.retry_after, now=now)


def sign_in(
    svc: Services, *, username: str, password: str, address: str, now: datetime
) -> Principal:
    """Password sign-in for the page and the token endpoint alike.

    Every attempt counts against the address; wrong passwords count against the account, which
    is locked until its window ends once they fill it. A locked account is refused before the
    password is hashed, so a flood of guesses costs no argon2 time; a correct password clears
    the account's count.
    """
    account = username.strip().lower()
    admit(svc, LOGIN_ADDRESS, address, now=now)
    lock = svc.throttle.peek(LOGIN_ACCOUNT, account)
    if not lock.allowed:
        raise refusal(LOGIN_ACCOUNT, retry_after=lock.retry_after, now=now)
    try:
        principal = accounts.authenticate(svc, username=account, password=password)
    except NotAuthenticated:
        svc.throttle.hit(LOGIN_ACCOUNT, account)
        raise
    svc.throttle.clear(LOGIN_ACCOUNT, account)
    return principal
