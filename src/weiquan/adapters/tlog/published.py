"""The highest checkpoint a log has ever published, kept where a restore cannot roll it back.

A restore of the data directory brings back an older tree *and* the older ``checkpoint`` file
beside it, so the log's own directory cannot tell that a larger tree was published meanwhile;
signing the restored tree would then fork the log under the same key. This file lives in a
separate state directory (``WEIQUAN_LOG_STATE_DIR``, outside the data directory and outside its
backups) and only ever grows: the writer records each checkpoint here before handing it out, and
refuses to start when the stored tree is behind it or contradicts it.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from weiquan.adapters.tlog.files import write_atomically
from weiquan.domain.tlog import Checkpoint, parse_checkpoint, parse_signed_note


class PublishedCheckpoints:
    """One file per log origin in ``directory``: the signed note of the largest checkpoint."""

    def __init__(self, directory: Path, *, origin: str) -> None:
        self._directory = directory
        self._origin = origin
        self._path = directory / f"{quote(origin, safe='')}.checkpoint"
        self._size: int | None = None

    @property
    def path(self) -> Path:
        return self._path

    def load(self) -> tuple[Checkpoint, str] | None:
        """The recorded checkpoint and its note, or None when this log has recorded none here."""
        try:
            note = self._path.read_text("utf-8")
        except FileNotFoundError:
            return None
        checkpoint = parse_checkpoint(parse_signed_note(note).text)
        self._size = checkpoint.size
        return checkpoint, note

    def record(self, checkpoint: Checkpoint, note: str) -> None:
        """Keep ``note`` if it is for a larger tree than the one recorded (never a smaller)."""
        if self._size is None:
            loaded = self.load()
            self._size = loaded[0].size if loaded else -1
        if checkpoint.size <= self._size:
            return
        if not self._directory.exists():
            self._directory.mkdir(parents=True, mode=0o700)
        write_atomically(self._path, note.encode(), mode=0o600)
        self._size = checkpoint.size
