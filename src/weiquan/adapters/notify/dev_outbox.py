"""The developer outbox: e-mail and SMS written to a file instead of sent, shown at /dev/outbox.

For development only (the bootstrap uses it when ``WEIQUAN_ENV=development`` and no real channel
is configured; the page answers 404 elsewhere). A notice delivered twice is kept once: the outbox
deduplicates by notice id, as every receiver should. Messages carry sign-in codes in
development, which is why this never runs in production.
"""

from __future__ import annotations

import fcntl
import json
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from weiquan.services.notify_ports import OutgoingMessage

KEEP = 500  # the page shows the newest; the file is trimmed to this many now and then


@dataclass(frozen=True)
class DevOutbox:
    path: Path

    def deliver(self, message: OutgoingMessage) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        record = {
            **asdict(message),
            "channel": message.channel.value,
            "at": datetime.now(UTC).isoformat(),
        }
        line = json.dumps(record, ensure_ascii=False) + "\n"
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # web and worker processes append to one file
            os.write(fd, line.encode())
        finally:
            os.close(fd)

    def messages(self, *, limit: int = 100) -> list[dict[str, Any]]:
        """The newest messages first, each notice id once."""
        if not self.path.exists():
            return []
        seen: set[str] = set()
        found: list[dict[str, Any]] = []
        for line in reversed(self.path.read_text(encoding="utf-8").splitlines()[-KEEP * 2 :]):
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if record.get("notice_id") in seen:
                continue
            seen.add(record.get("notice_id", ""))
            found.append(record)
            if len(found) >= limit:
                break
        return found
