"""C2SP tlog-checkpoint: the note text ``<origin>\\n<size>\\n<base64 root>\\n[extensions]``.

Root hashes enter the system here, so this is where their length (32 bytes) is enforced.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass

from weiquan.domain.errors import IntegrityViolation, ValidationFailed
from weiquan.domain.tlog.hashing import EMPTY_ROOT, HASH_SIZE
from weiquan.domain.tlog.notes import NoteVerifier, check_note_text, verify_note
from weiquan.domain.tlog.proofs import verify_consistency

_SIZE = re.compile(r"0|[1-9][0-9]{0,19}")
MAX_TREE_SIZE = (1 << 63) - 1


@dataclass(frozen=True, slots=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.origin or "\n" in self.origin:
            raise ValidationFailed("a checkpoint origin is one non-empty line", field="origin")
        if not 0 <= self.size <= MAX_TREE_SIZE:
            raise ValidationFailed(f"tree size {self.size} is out of range", field="size")
        if len(self.root) != HASH_SIZE:
            raise ValidationFailed("a checkpoint root must be a 32-byte hash", field="root")
        if any(not line or "\n" in line for line in self.extensions):
            raise ValidationFailed("extension lines must be non-empty lines", field="extensions")

    def body(self) -> str:
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode()]
        return "\n".join([*lines, *self.extensions]) + "\n"


def parse_checkpoint(text: str) -> Checkpoint:
    """Parse the note text (not the signatures) of a checkpoint."""
    check_note_text(text)
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise ValidationFailed("a checkpoint has at least three lines", field="checkpoint")
    origin, size_text, root_text, *extensions = lines
    if not _SIZE.fullmatch(size_text):
        raise ValidationFailed(f"bad checkpoint tree size {size_text!r}", field="checkpoint")
    try:
        root = base64.b64decode(root_text, validate=True)
    except binascii.Error as error:
        raise ValidationFailed("the checkpoint root is not base64", field="checkpoint") from error
    return Checkpoint(origin, int(size_text), root, tuple(extensions))


def open_checkpoint(
    note: str, verifiers: Sequence[NoteVerifier], *, origin: str | None = None
) -> Checkpoint:
    """Verify a signed checkpoint and parse it.

    ``origin`` defaults to the names of the trusted keys: a log's key name is its origin, so a
    note signed by a trusted key for another log is not mistaken for this one.
    """
    signed = verify_note(note, verifiers)
    checkpoint = parse_checkpoint(signed.text)
    expected = {origin} if origin is not None else set(signed.verified_by)
    if checkpoint.origin not in expected:
        raise IntegrityViolation(
            f"the checkpoint is for log {checkpoint.origin!r}, expected {sorted(expected)}"
        )
    return checkpoint


def verify_checkpoints_consistent(
    older: Checkpoint, newer: Checkpoint, path: Sequence[bytes]
) -> None:
    """Raise IntegrityViolation unless ``newer`` is an append-only extension of ``older``.

    The empty tree is extended by every tree, so an ``older`` of size 0 passes when its root is
    the empty root; the proof verifier itself refuses size 0 (there is nothing to prove).
    """
    if older.origin != newer.origin:
        raise IntegrityViolation(
            f"the checkpoints are from different logs: {older.origin!r}, {newer.origin!r}"
        )
    if older.size == 0:
        if older.root != EMPTY_ROOT:
            raise IntegrityViolation("a checkpoint of the empty tree has a non-empty root")
        if path:
            raise IntegrityViolation("a proof from the empty tree must be empty")
        return
    verify_consistency(
        old_size=older.size,
        new_size=newer.size,
        old_root=older.root,
        new_root=newer.root,
        path=path,
    )
