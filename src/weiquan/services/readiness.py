"""What must not be true of a production database: demo accounts that still sign in with the
password the README publishes. The fix, :func:`disable_accounts`, is ``weiquan user disable-demo``.
"""

from __future__ import annotations

from datetime import datetime

from weiquan.services.context import Services

DEMO_PASSWORD = "weiquan-demo-2026"  # noqa: S105 - published in the README on purpose
DEMO_USERNAMES = (
    "alice",
    "bob",
    "shop-beijing",
    "shop-chengdu",
    "shop-zhejiang",
    "mediator",
    "regulator-chengdu",
    "operator",
    "admin",
)


def usable_demo_accounts(svc: Services) -> list[str]:
    """Demo accounts present, active and still opened by the demo password."""
    with svc.uow(readonly=True) as uow:
        users = [uow.users.by_username(name) for name in DEMO_USERNAMES]
    return [
        user.username
        for user in users
        if user is not None
        and user.is_active
        and svc.passwords.verify(user.password_hash, DEMO_PASSWORD)
    ]


def disable_accounts(svc: Services, usernames: list[str], *, now: datetime) -> list[str]:
    """Nobody signs in to these accounts any more: no usable password, tokens revoked, sessions
    ended. Their records (cases, events) stay as they are. Returns those that were disabled."""
    disabled = []
    with svc.uow() as uow:
        for name in usernames:
            user = uow.users.by_username(name)
            if user is None:
                continue
            uow.users.disable(user.id, now=now)
            uow.sessions.end_all_of(user.id, now=now, reason="disabled")
            disabled.append(name)
        uow.commit()
    return disabled
