"""What a throttle's refusal says: when to try again, in minutes and Beijing time, or seconds."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from weiquan.domain.throttle import LOGIN_ACCOUNT, LOGIN_ADDRESS, Rate, refusal

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # 10:00 in Beijing


def test_a_long_wait_is_given_in_minutes_with_the_beijing_time_it_ends() -> None:
    refused = refusal(LOGIN_ADDRESS, retry_after=14 * 60 + 30, now=NOW)
    assert refused.message == "操作过于频繁，请在 15 分钟后（北京时间 10:14 之后）再试。"
    assert refused.retry_after_seconds == 870
    assert refused.http_status == 429


def test_a_locked_account_says_it_is_locked() -> None:
    refused = refusal(LOGIN_ACCOUNT, retry_after=600, now=NOW)
    assert refused.message.startswith("密码错误次数过多，账户已暂时锁定")
    assert "10 分钟后（北京时间 10:10 之后）" in refused.message


def test_a_short_wait_is_given_in_whole_seconds_never_zero() -> None:
    assert (
        refusal(LOGIN_ADDRESS, retry_after=0.2, now=NOW).message
        == "操作过于频繁，请在 1 秒后再试。"
    )
    assert refusal(LOGIN_ADDRESS, retry_after=0.2, now=NOW).retry_after_seconds == 1
    assert "59 秒" in refusal(LOGIN_ACCOUNT, retry_after=58.1, now=NOW).message


@pytest.mark.parametrize(("amount", "seconds"), [(0, 60), (5, 0)])
def test_a_rate_needs_a_hit_and_a_window(amount: int, seconds: int) -> None:
    with pytest.raises(ValueError, match="at least one"):
        Rate(amount, seconds)
