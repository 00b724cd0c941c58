"""Receivers for notification tests: they stand in for the world outside (a mail system, an SMS
gateway), record what reached them and deduplicate by notice id, as real receivers should."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from weiquan.domain.notifications import DeliveryFailure
from weiquan.services.notify_ports import OutgoingMessage


@dataclass
class RecordingChannel:
    """Takes every message; ``failures`` are raised first, one per delivery, in order."""

    received: list[OutgoingMessage] = field(default_factory=list)
    failures: list[DeliveryFailure] = field(default_factory=list)

    def deliver(self, message: OutgoingMessage) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.received.append(message)

    @property
    def distinct_ids(self) -> set[str]:
        return {m.notice_id for m in self.received}


@dataclass
class FileReceiver:
    """Appends each delivered notice id to a file, durably, before acknowledging it."""

    path: Path

    def deliver(self, message: OutgoingMessage) -> None:
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(fd, f"{message.notice_id}\n".encode())
            os.fsync(fd)
        finally:
            os.close(fd)
