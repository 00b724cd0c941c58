"""A sender in a process of its own, for the crash test: ``python -m tests.support.notify_sender_process
DATABASE_URL PII_KEYS RECEIVED_FILE NOW_ISO``. It delivers every due notice to a file receiver,
slowly (a few ms each), so the test can kill it in the middle of a burst."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from tests.support.notify_receivers import FileReceiver
from weiquan.adapters.blobstore import FilesystemBlobStore
from weiquan.adapters.crypto import Argon2Passwords, FieldCipher, KeyedHash, RandomIds
from weiquan.adapters.db.engine import create_engine
from weiquan.adapters.db.unit_of_work import SqlUnitOfWorkFactory
from weiquan.adapters.holiday_calendar import ChinaWorkdayCalendar
from weiquan.adapters.throttle import LimitsThrottle, SqlWindowStorage
from weiquan.domain.workflow import DeadlinePolicy
from weiquan.services import notifications
from weiquan.services.context import Services
from weiquan.services.notify_ports import Channels, OutgoingMessage


@dataclass
class SlowReceiver(FileReceiver):
    def deliver(self, message: OutgoingMessage) -> None:
        super().deliver(message)
        time.sleep(0.005)


def main(url: str, keys: str, received: str, now_iso: str) -> None:
    engine = create_engine(url, pool_size=2)
    receiver = SlowReceiver(Path(received))
    svc = Services(
        uow=SqlUnitOfWorkFactory(engine, FieldCipher.from_secret_list(keys)),
        calendar=ChinaWorkdayCalendar(),
        policy=DeadlinePolicy(),
        ids=RandomIds(),
        passwords=Argon2Passwords(time_cost=1, memory_cost=1024),
        blobs=FilesystemBlobStore(Path(received).parent / "blobs"),
        throttle=LimitsThrottle(SqlWindowStorage(engine), secret="sender-test-throttle"),
        lookup=KeyedHash.from_secret("sender-test-lookup-key-" + "x" * 16),
    )
    svc = replace(svc, channels=Channels(email=receiver, sms=receiver))
    now = datetime.fromisoformat(now_iso)
    while notifications.deliver_due(svc, now=now, batch_size=20).handled:
        pass


if __name__ == "__main__":
    main(*sys.argv[1:5])
