"""How notices read and when they are retried: pure rules, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from weiquan.domain.notifications import (
    STATUTORY,
    WORDINGS,
    NoticeKind,
    QuietHours,
    RetryPolicy,
    render,
)

DUE = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)  # the end of 30 November in Beijing
NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize("language", ["zh_CN", "en"])
@pytest.mark.parametrize("kind", list(NoticeKind))
def test_every_notice_names_the_case_and_what_to_do_in_both_languages(
    kind: NoticeKind, language: str
) -> None:
    params = {"title": "耳机右耳无声", "due_at": DUE.isoformat(), "amount_fen": 29900}
    notice = render(kind, "WQ-20261125-ABC", params, language)
    assert "WQ-20261125-ABC" in notice.subject
    assert "WQ-20261125-ABC" in notice.headline
    assert "{" not in notice.text
    assert notice.todo
    undated = render(kind, "WQ-20261125-ABC", {"title": "耳机"}, language)
    assert "{" not in undated.text
    assert "None" not in undated.text


def test_a_deadline_reads_as_24_00_of_its_last_day_in_beijing_time() -> None:
    params = {"title": "耳机", "due_at": DUE.isoformat()}
    zh = render(NoticeKind.COMPLAINT_RECEIVED, "WQ1", params, "zh_CN")
    en = render(NoticeKind.COMPLAINT_RECEIVED, "WQ1", params, "en")
    assert zh.todo == "请在 2026年11月30日 24:00 前答复、提出解决方案或说明理由。"
    assert (
        en.todo == "Reply, make an offer or give your reasons by 30 Nov 2026 24:00 (Beijing time)."
    )


def test_an_unknown_deadline_is_not_written_as_a_date() -> None:
    zh = render(NoticeKind.PROPOSAL_MADE, "WQ1", {"title": "耳机", "amount_fen": 100}, "zh_CN")
    assert zh.todo == "请尽快表示同意或不同意。"


def test_an_unknown_language_reads_as_chinese() -> None:
    notice = render(NoticeKind.OFFER_MADE, "WQ1", {"title": "耳机", "amount_fen": 100}, "fr")
    assert notice.subject.startswith("[维权]")


def test_both_languages_word_every_kind() -> None:
    for wordings in WORDINGS.values():
        assert set(wordings) == set(NoticeKind)


def test_the_notices_that_start_a_statutory_clock_are_the_statutory_ones() -> None:
    assert NoticeKind.COMPLAINT_RECEIVED in STATUTORY
    assert NoticeKind.CASE_REFERRED in STATUTORY
    assert NoticeKind.OFFER_MADE not in STATUTORY


@pytest.mark.parametrize(
    ("attempts", "low", "high"),
    [(1, 15, 30), (2, 30, 60), (3, 60, 120), (8, 1800, 3600), (30, 1800, 3600)],
)
def test_retries_back_off_exponentially_within_jitter_bounds_and_a_cap(
    attempts: int, low: int, high: int
) -> None:
    policy = RetryPolicy()
    earliest = policy.next_attempt(attempts=attempts, now=NOW, draw=0.0)
    latest = policy.next_attempt(attempts=attempts, now=NOW, draw=0.999999)
    assert earliest - NOW == timedelta(seconds=low)
    assert timedelta(seconds=high - 1) < latest - NOW <= timedelta(seconds=high)


def test_a_notice_is_given_up_once_the_horizon_has_passed() -> None:
    policy = RetryPolicy(give_up_after=timedelta(hours=24))
    assert not policy.gives_up(created_at=NOW, now=NOW + timedelta(hours=23, minutes=59))
    assert policy.gives_up(created_at=NOW, now=NOW + timedelta(hours=24))


@pytest.mark.parametrize(
    ("beijing", "quiet", "resumes"),
    [
        ("2026-11-25T21:59", False, "2026-11-25T21:59"),
        ("2026-11-25T22:00", True, "2026-11-26T08:00"),
        ("2026-11-26T03:10", True, "2026-11-26T08:00"),
        ("2026-11-26T08:00", False, "2026-11-26T08:00"),
    ],
)
def test_quiet_hours_run_from_22_00_to_08_00_beijing_time(
    beijing: str, quiet: bool, resumes: str
) -> None:
    tz = timedelta(hours=8)
    at = (datetime.fromisoformat(beijing) - tz).replace(tzinfo=UTC)
    hours = QuietHours()
    assert hours.holds(at) is quiet
    assert hours.ends_after(at) == (datetime.fromisoformat(resumes) - tz).replace(tzinfo=UTC)
