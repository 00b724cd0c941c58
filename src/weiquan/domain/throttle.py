"""Throttles: how often one address or one account may try something, and what a refusal says.

The counting itself (windows, shared storage) is an adapter's job; here are the rules' names,
their default rates and the sentence that tells a person when to try again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from weiquan.domain.errors import TooManyRequests

SHOWN_ZONE = ZoneInfo("Asia/Shanghai")

# Every sign-in attempt from one address, on the page and the token endpoint alike.
LOGIN_ADDRESS = "login-address"
# Wrong passwords for one account, from anywhere: past the limit the account is locked until
# the window ends (the unlock time the refusal names).
LOGIN_ACCOUNT = "login-account"
# 举报 reports and evidence uploads sent without an account, per address.
ANONYMOUS_REPORT = "anonymous-report"
ANONYMOUS_UPLOAD = "anonymous-upload"
# Sign-up codes (SMS or e-mail), per address and per destination.
SIGNUP_CODE_ADDRESS = "signup-code-address"
SIGNUP_CODE_DESTINATION = "signup-code-destination"


@dataclass(frozen=True, slots=True)
class Rate:
    """At most ``amount`` hits per window of ``seconds``."""

    amount: int
    seconds: int

    def __post_init__(self) -> None:
        if self.amount < 1 or self.seconds < 1:
            raise ValueError("a rate needs at least one hit per window of at least one second")


DEFAULT_RATES: dict[str, Rate] = {
    LOGIN_ADDRESS: Rate(60, 15 * 60),
    LOGIN_ACCOUNT: Rate(10, 15 * 60),
    ANONYMOUS_REPORT: Rate(10, 60 * 60),
    ANONYMOUS_UPLOAD: Rate(30, 60 * 60),
    SIGNUP_CODE_ADDRESS: Rate(10, 60 * 60),
    SIGNUP_CODE_DESTINATION: Rate(5, 60 * 60),
}

# Message templates (msgids of the page catalogue): the API answers in Chinese, pages in theirs.
TOO_FREQUENT_MINUTES = "操作过于频繁，请在 %(wait)s 分钟后（北京时间 %(time)s 之后）再试。"
TOO_FREQUENT_SECONDS = "操作过于频繁，请在 %(wait)s 秒后再试。"
LOCKED_MINUTES = (
    "密码错误次数过多，账户已暂时锁定，请在 %(wait)s 分钟后（北京时间 %(time)s 之后）再试。"
)
LOCKED_SECONDS = "密码错误次数过多，账户已暂时锁定，请在 %(wait)s 秒后再试。"


class Refused(TooManyRequests):
    """A throttle's refusal, carrying its sentence as a template so pages can translate it."""

    def __init__(self, template: str, params: dict[str, str], *, retry_after: int) -> None:
        super().__init__(template % params, retry_after_seconds=retry_after)
        self.template = template
        self.params = params


def refusal(rule: str, *, retry_after: float, now: datetime) -> Refused:
    """The refusal for ``rule`` when it allows the next try ``retry_after`` seconds from ``now``."""
    seconds = max(1, math.ceil(retry_after))
    locked = rule == LOGIN_ACCOUNT
    if seconds < 60:
        template = LOCKED_SECONDS if locked else TOO_FREQUENT_SECONDS
        return Refused(template, {"wait": str(seconds)}, retry_after=seconds)
    until = (now + timedelta(seconds=seconds)).astimezone(SHOWN_ZONE)
    template = LOCKED_MINUTES if locked else TOO_FREQUENT_MINUTES
    params = {"wait": str(math.ceil(seconds / 60)), "time": f"{until:%H:%M}"}
    return Refused(template, params, retry_after=seconds)
