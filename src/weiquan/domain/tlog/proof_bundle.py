"""C2SP tlog-proof (``.tlog-proof`` files): an entry's index, its inclusion path and the signed
checkpoint the path leads to, verifiable offline with nothing but the log's public key.

    c2sp.org/tlog-proof@v1
    [extra <base64>]
    index <n>
    <base64 hash>            one per line, leaf's sibling first
    <blank line>
    <signed checkpoint, verbatim>
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass

from weiquan.domain.errors import ValidationFailed
from weiquan.domain.tlog.checkpoint import Checkpoint, open_checkpoint
from weiquan.domain.tlog.hashing import HASH_SIZE
from weiquan.domain.tlog.notes import NoteVerifier
from weiquan.domain.tlog.proofs import verify_inclusion

HEADER = "c2sp.org/tlog-proof@v1"
_INDEX = re.compile(r"index (0|[1-9][0-9]{0,19})")


@dataclass(frozen=True, slots=True)
class TlogProof:
    index: int
    path: tuple[bytes, ...]
    checkpoint_note: str
    extra: bytes | None = None

    def text(self) -> str:
        lines = [HEADER]
        if self.extra is not None:
            lines.append(f"extra {base64.b64encode(self.extra).decode()}")
        lines.append(f"index {self.index}")
        lines.extend(base64.b64encode(node).decode() for node in self.path)
        return "\n".join(lines) + "\n\n" + self.checkpoint_note


def parse_tlog_proof(text: str) -> TlogProof:
    head, separator, checkpoint_note = text.partition("\n\n")
    if not separator:
        raise ValidationFailed("a tlog-proof needs a blank line before the checkpoint")
    lines = head.split("\n")
    if lines[0] != HEADER:
        raise ValidationFailed(f"a tlog-proof starts with {HEADER!r}", field="proof")
    lines = lines[1:]
    extra = None
    if lines and lines[0].startswith("extra "):
        extra = _decode(lines[0].removeprefix("extra "), "extra data")
        lines = lines[1:]
    match = _INDEX.fullmatch(lines[0]) if lines else None
    if match is None:
        raise ValidationFailed("a tlog-proof needs an 'index <n>' line", field="proof")
    path = tuple(_decode(line, "proof hash") for line in lines[1:])
    if any(len(node) != HASH_SIZE for node in path):
        raise ValidationFailed("every proof line must be a 32-byte hash", field="proof")
    return TlogProof(int(match.group(1)), path, checkpoint_note, extra)


def _decode(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error as error:
        raise ValidationFailed(f"the {what} is not base64", field="proof") from error


def verify_tlog_proof(
    proof: TlogProof,
    *,
    leaf_hash: bytes,
    verifiers: Sequence[NoteVerifier],
    origin: str | None = None,
) -> Checkpoint:
    """Check the checkpoint's signature, then the inclusion of ``leaf_hash`` at ``proof.index``;
    return the checkpoint, or raise IntegrityViolation with the reason."""
    checkpoint = open_checkpoint(proof.checkpoint_note, verifiers, origin=origin)
    verify_inclusion(
        leaf_hash=leaf_hash,
        index=proof.index,
        size=checkpoint.size,
        path=proof.path,
        root=checkpoint.root,
    )
    return checkpoint


CONSISTENCY_HEADER = "weiquan/tlog-consistency-proof@v1"


@dataclass(frozen=True, slots=True)
class ConsistencyProofFile:
    """A consistency proof kept as text, so it can be checked later without the log:

    weiquan/tlog-consistency-proof@v1
    old <size>
    new <size>
    <base64 hash>        one per line, in RFC 9162 PROOF() order
    """

    old_size: int
    new_size: int
    path: tuple[bytes, ...]

    def text(self) -> str:
        lines = [CONSISTENCY_HEADER, f"old {self.old_size}", f"new {self.new_size}"]
        lines.extend(base64.b64encode(node).decode() for node in self.path)
        return "\n".join(lines) + "\n"


def parse_consistency_proof(text: str) -> ConsistencyProofFile:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if len(lines) < 3 or lines[0] != CONSISTENCY_HEADER:
        raise ValidationFailed(f"a consistency proof starts with {CONSISTENCY_HEADER!r}")
    sizes = []
    for line, label in ((lines[1], "old"), (lines[2], "new")):
        match = re.fullmatch(rf"{label} (0|[1-9][0-9]{{0,19}})", line)
        if match is None:
            raise ValidationFailed(f"a consistency proof needs an '{label} <size>' line")
        sizes.append(int(match.group(1)))
    path = tuple(_decode(line, "proof hash") for line in lines[3:])
    if any(len(node) != HASH_SIZE for node in path):
        raise ValidationFailed("every proof line must be a 32-byte hash", field="proof")
    return ConsistencyProofFile(sizes[0], sizes[1], path)
