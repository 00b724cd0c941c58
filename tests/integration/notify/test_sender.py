"""The sender: at least once, with backoff and jitter, a give-up horizon, quiet hours for SMS,
staff retries, and crash safety (on SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import TEST_PII_KEYS
from tests.support.notify_receivers import FileReceiver, RecordingChannel
from tests.support.world import NOW, World, complaint
from weiquan.adapters.db.engine import is_sqlite
from weiquan.adapters.db.tables_notify import notices
from weiquan.domain.cases import Claim, ClaimKind
from weiquan.domain.errors import NotFound, PermissionDenied
from weiquan.domain.lifecycle import Action
from weiquan.domain.notifications import ChannelName, DeliveryFailure, NoticeKind, NoticeState
from weiquan.services import cases, notifications
from weiquan.services.cases import Submission
from weiquan.services.commands import CaseCommand
from weiquan.services.context import Services
from weiquan.services.notify_ports import Channels

ROOT = Path(__file__).resolve().parents[3]


def _wire(
    services: Services, email: RecordingChannel | FileReceiver, sms: object = None
) -> Services:
    return replace(services, channels=Channels(email=email, sms=sms or email))  # type: ignore[arg-type]


def _with_email(services: Services, world: World) -> None:
    notifications.set_preferences(
        services,
        principal=world.merchant_a,
        language="en",
        email="shop@example.com",
        email_enabled=True,
        sms_enabled=True,
        now=NOW,
    )


def _states(services: Services, case_id: str) -> dict[ChannelName, NoticeState]:
    return {n.channel: n.state for n in notifications.case_notices(services, case_id)}


def test_a_pending_email_is_delivered_in_the_recipients_language_and_recorded(
    services: Services, world: World
) -> None:
    _with_email(services, world)
    inbox = RecordingChannel()
    svc = _wire(services, inbox)
    case, _ = cases.file_complaint(svc, complaint(world.shop_a), principal=world.alice, now=NOW)
    done = notifications.deliver_due(svc, now=NOW + timedelta(seconds=1))
    assert done.delivered == 1
    (message,) = inbox.received
    assert message.to == "shop@example.com"
    assert message.subject == f"[Weiquan] New complaint · case {case.number}"
    assert "Reply, make an offer or give your reasons by" in message.text
    assert message.link.endswith(f"/cases/{case.id}")
    (email,) = [
        n for n in notifications.case_notices(svc, case.id) if n.channel is ChannelName.EMAIL
    ]
    assert email.state is NoticeState.DELIVERED
    assert email.delivered_at == NOW + timedelta(seconds=1)
    assert notifications.deliver_due(svc, now=NOW + timedelta(seconds=2)).handled == 0


def test_a_failure_worth_retrying_is_retried_with_growing_jittered_delays_then_succeeds(
    services: Services, world: World
) -> None:
    _with_email(services, world)
    inbox = RecordingChannel(failures=[DeliveryFailure("smtp_451", retry=True)] * 3)
    svc = _wire(services, inbox)
    case, _ = cases.file_complaint(svc, complaint(world.shop_a), principal=world.alice, now=NOW)
    now, delays = NOW, []
    for _ in range(3):
        assert notifications.deliver_due(svc, now=now, draw=lambda: 0.5).retrying == 1
        (row,) = [
            n for n in notifications.case_notices(svc, case.id) if n.channel is ChannelName.EMAIL
        ]
        assert row.next_attempt_at is not None
        delays.append(row.next_attempt_at - now)
        assert (
            notifications.deliver_due(svc, now=row.next_attempt_at - timedelta(seconds=1)).handled
            == 0
        )
        now = row.next_attempt_at
    # 30 s, 60 s, 120 s ceilings, each drawn in the upper half: 22.5 s, 45 s, 90 s at draw 0.5.
    assert delays == [timedelta(seconds=22.5), timedelta(seconds=45), timedelta(seconds=90)]
    assert notifications.deliver_due(svc, now=now).delivered == 1
    assert _states(svc, case.id)[ChannelName.EMAIL] is NoticeState.DELIVERED
    assert len(inbox.received) == 1


def test_a_permanent_failure_fails_at_once_and_staff_can_retry_it(
    services: Services, world: World
) -> None:
    _with_email(services, world)
    inbox = RecordingChannel(failures=[DeliveryFailure("smtp_550", retry=False)])
    svc = _wire(services, inbox)
    case, _ = cases.file_complaint(svc, complaint(world.shop_a), principal=world.alice, now=NOW)
    assert notifications.deliver_due(svc, now=NOW).failed == 1
    (failed,) = notifications.failed_notices(svc, principal=world.admin)
    assert (failed.last_error, failed.state) == ("smtp_550", NoticeState.FAILED)
    with pytest.raises(PermissionDenied):
        notifications.retry_notice(svc, failed.id, principal=world.alice, now=NOW)
    notifications.retry_notice(svc, failed.id, principal=world.mediator, now=NOW)
    with pytest.raises(NotFound):
        notifications.retry_notice(svc, failed.id, principal=world.mediator, now=NOW)
    assert notifications.deliver_due(svc, now=NOW).delivered == 1
    assert _states(svc, case.id)[ChannelName.EMAIL] is NoticeState.DELIVERED


def test_a_notice_still_failing_after_the_horizon_is_given_up(
    services: Services, world: World
) -> None:
    _with_email(services, world)
    inbox = RecordingChannel(failures=[DeliveryFailure("timeout", retry=True)] * 2)
    svc = _wire(services, inbox)
    case, _ = cases.file_complaint(svc, complaint(world.shop_a), principal=world.alice, now=NOW)
    assert notifications.deliver_due(svc, now=NOW).retrying == 1
    assert notifications.deliver_due(svc, now=NOW + timedelta(hours=25)).failed == 1
    assert _states(svc, case.id)[ChannelName.EMAIL] is NoticeState.FAILED


def test_sms_waits_for_the_end_of_quiet_hours_without_counting_an_attempt(
    services: Services, world: World
) -> None:
    phone = RecordingChannel()
    svc = _wire(services, RecordingChannel(), phone)
    case, _ = cases.file_complaint(svc, complaint(world.shop_a), principal=world.alice, now=NOW)
    terms = (Claim(ClaimKind.REFUND, 29900),)
    late = datetime(2026, 11, 25, 15, 30, tzinfo=UTC)  # 23:30 in Beijing
    cases.act(
        svc,
        CaseCommand(case.id, Action.MAKE_OFFER, terms=terms, text="退款"),
        principal=world.merchant_a,
        now=late,
    )
    assert notifications.deliver_due(svc, now=late).deferred == 1
    (sms,) = [n for n in notifications.case_notices(svc, case.id) if n.channel is ChannelName.SMS]
    assert sms.next_attempt_at == datetime(2026, 11, 26, 0, 0, tzinfo=UTC)  # 08:00 Beijing
    assert sms.attempts == 0
    assert phone.received == []
    assert notifications.deliver_due(svc, now=sms.next_attempt_at).delivered == 1
    assert phone.received[0].to == "13912345678"
    assert phone.received[0].template == NoticeKind.OFFER_MADE.value


def test_a_sign_in_code_goes_out_at_once_even_in_quiet_hours(services: Services) -> None:
    phone = RecordingChannel()
    svc = _wire(services, RecordingChannel(), phone)
    notifications.send_code(
        svc,
        channel=ChannelName.SMS,
        to="13912345678",
        code="428913",
        language="zh_CN",
        message_id="code-1",
    )
    (message,) = phone.received
    assert message.urgent
    assert message.template_params == {"code": "428913"}
    assert "428913" in message.text


def test_a_sender_killed_mid_burst_redelivers_and_a_deduplicating_receiver_sees_each_once(
    services: Services, world: World, database_url: str, tmp_path: Path, engine: sa.Engine
) -> None:
    _with_email(services, world)
    group = [
        Submission(complaint(world.shop_a, title=f"第 {n} 件"), world.alice, NOW) for n in range(60)
    ]
    received = tmp_path / "received.txt"
    cases.file_complaints(_wire(services, FileReceiver(received)), group)
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'src'}"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.support.notify_sender_process",
            database_url,
            TEST_PII_KEYS,
            str(received),
            NOW.isoformat(),
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if received.exists() and len(received.read_text().split()) >= 25:
            break
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    before_restart = len(received.read_text().split())
    assert 25 <= before_restart < 60, "the sender was to be killed in the middle of the burst"

    # Restarted after the lease ran out: everything not yet recorded as delivered goes out.
    svc = _wire(services, FileReceiver(received))
    later = NOW + timedelta(minutes=5)
    while notifications.deliver_due(svc, now=later).handled:
        pass
    ids = received.read_text().split()
    with engine.connect() as conn:
        email_ids = set(
            conn.execute(sa.select(notices.c.id).where(notices.c.channel == "email")).scalars()
        )
        states = set(
            conn.execute(sa.select(notices.c.state).where(notices.c.channel == "email")).scalars()
        )
    assert len(email_ids) == 60
    assert set(ids) == email_ids  # every notice arrived; deduplicated by id, each exactly once
    assert states == {"delivered"}


def test_two_senders_on_postgresql_never_claim_the_same_notice(
    services: Services, world: World, database_url: str
) -> None:
    if is_sqlite(database_url):
        pytest.skip("SQLite deployments run one sender; the lock test is for PostgreSQL")
    _with_email(services, world)
    svc = _wire(services, RecordingChannel())
    group = [Submission(complaint(world.shop_a), world.alice, NOW) for _ in range(10)]
    cases.file_complaints(svc, group)
    lease = NOW + timedelta(minutes=2)
    with svc.uow() as first:
        held = first.notices.claim_due(NOW, limit=4, lease_until=lease)  # not yet committed
        with svc.uow() as second:
            other = second.notices.claim_due(NOW, limit=100, lease_until=lease)
            second.commit()
        first.commit()
    assert len(held) == 4
    assert len(other) == 6  # the rows the first sender holds were skipped, not waited for
    assert {c.notice.id for c in held}.isdisjoint({c.notice.id for c in other})
