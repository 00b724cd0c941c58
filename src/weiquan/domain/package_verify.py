"""Checking an evidence package offline, with nothing but the package and the log's public key.

The checks run in a fixed order and stop at the first failure, which names what failed:

1. ``archive`` / ``manifest`` / ``history``  the zip is readable; manifest and history lines
   are well formed, in their canonical spelling and without extra fields; every part they
   list is there
2. ``signature`` / ``unknown_key``  the checkpoint verifies with the package's key, and that key
   is one the caller trusts (when the caller names keys)
3. ``manifest``  the manifest describes that same checkpoint
4. ``file``  every file has the SHA-256 and size the manifest lists
5. ``evidence`` / ``history`` / ``proof``  every manifest record and history line rebuilds into
   its log entry, and its inclusion proof leads from that entry to the signed root
6. ``sequence``  the history runs 1, 2, 3 … without gaps, as many lines as the manifest says
7. ``certificate``  the certificate PDF is the one the manifest lists
8. ``archive``  the zip holds nothing the manifest does not list

What this proves: each listed record is, byte for byte, what the log holds at its index, under a
checkpoint signed by the key. It cannot prove offline that nothing of the case was left out at
the end of its history (the sequence check catches a gap, not a cut end). Since format v2 the
log names no case in clear, so the tiles cannot tell either: completeness rests on the sequence
and on the operator's signed checkpoint covering the package's time.

Packages of format v1 (entries that named case and file in clear) verify with the v1 layout.

Reading the zip is the caller's job (:class:`PackageContents`), so this module stays pure and
never extracts anything to disk.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from weiquan.domain.errors import DomainError, IntegrityViolation
from weiquan.domain.evidence_package import (
    CERTIFICATE,
    CHECKPOINT,
    FORMAT_VERSIONS,
    HISTORY,
    LOG_KEY,
    MANIFEST,
    README,
    EvidenceItem,
    HistoryRecord,
    LoggedRecord,
    fields,
    file_path,
    manifest_text,
    proof_path,
    read_evidence_item,
    read_history_line,
)
from weiquan.domain.ledger_entries import case_tag
from weiquan.domain.tlog.checkpoint import Checkpoint, open_checkpoint
from weiquan.domain.tlog.notes import NoteVerifier, parse_verifier_key
from weiquan.domain.tlog.proof_bundle import parse_tlog_proof
from weiquan.domain.tlog.proofs import verify_inclusion

REQUIRED = (MANIFEST, HISTORY, CHECKPOINT, LOG_KEY, CERTIFICATE)


class PackageContents(Protocol):
    def names(self) -> Sequence[str]: ...

    def read(self, name: str) -> bytes:
        """A small member's bytes (manifest, history, checkpoint, key, proofs)."""
        ...

    def digest(self, name: str) -> tuple[str, int]:
        """SHA-256 (hex) and size of a member, read in chunks."""
        ...


class PackageCheckFailed(IntegrityViolation):
    """One check failed; ``check`` names which (see the module docstring)."""

    code = "package_check_failed"

    def __init__(self, check: str, message: str) -> None:
        super().__init__(message)
        self.check = check


@dataclass(frozen=True, slots=True)
class PackageSummary:
    case_id: str
    case_number: str
    origin: str
    checkpoint_size: int
    files: int
    events: int
    key: str  # the verifier key that signed the checkpoint
    key_trusted: bool  # the caller named this key (otherwise only the package vouches for it)
    case_key: bytes | None = None  # salt of the case's first event: finds its tags in the log


@dataclass(frozen=True, slots=True)
class _Manifest:
    case_id: str
    case_number: str
    origin: str
    size: int
    root: str
    history_events: int
    certificate_sha256: str
    evidence: tuple[object, ...]
    package_format: str


def verify_package(
    contents: PackageContents,
    *,
    make_verifier: Callable[[str], NoteVerifier],
    trusted_keys: Sequence[str] = (),
) -> PackageSummary:
    """Run every check in order; raise :class:`PackageCheckFailed` at the first failure."""
    names = set(contents.names())
    _require(names, REQUIRED, "the package has no {}")
    manifest = _read_manifest(contents)
    evidence = _read_evidence(manifest)
    history = _read_history(contents, manifest)
    listed = _check_complete(names, evidence, history)
    key_text = _text(contents, LOG_KEY).strip()
    checkpoint, note = _open_checkpoint(contents, key_text, make_verifier)
    trusted = _check_trusted(key_text, trusted_keys)
    _check_manifest_checkpoint(manifest, checkpoint)
    _check_files(contents, evidence)
    for number, item in enumerate(evidence, start=1):
        what = f"manifest evidence #{number}"
        _check_logged(contents, item.logged, checkpoint, note, what=what, check="evidence")
    for line_number, record in enumerate(history, start=1):
        what = f"{HISTORY} line {line_number}"
        _check_logged(contents, record.logged, checkpoint, note, what=what, check="history")
    _check_sequence([record.seq for record in history], manifest.history_events)
    _check_certificate(contents, manifest.certificate_sha256)
    _check_nothing_unlisted(names, listed)
    return PackageSummary(
        case_id=manifest.case_id,
        case_number=manifest.case_number,
        origin=checkpoint.origin,
        checkpoint_size=checkpoint.size,
        files=len(evidence),
        events=len(history),
        key=key_text,
        key_trusted=trusted,
        case_key=history[0].salt if history else None,
    )


def later_case_events(
    entries: Iterable[tuple[int, bytes]],
    *,
    case_id: str,
    case_key: bytes,
    last_seq: int,
    lookahead: int = 1_000,
) -> list[tuple[int, int]]:
    """(seq, log index) of every entry among ``entries`` that is an event of the case after
    ``last_seq``: what a package would have left out. Only v2 entries carry case tags."""
    wanted = {
        case_tag(case_id, seq, case_key=case_key): seq
        for seq in range(last_seq + 1, last_seq + 1 + lookahead)
    }
    found = []
    for index, entry in entries:
        try:
            tag = json.loads(entry).get("case")
        except (ValueError, AttributeError):
            continue
        if isinstance(tag, str) and tag in wanted:
            found.append((wanted[tag], index))
    return sorted(found)


def _fail(check: str, message: str) -> PackageCheckFailed:
    return PackageCheckFailed(check, message)


def _require(names: set[str], required: Sequence[str], message: str) -> None:
    for name in required:
        if name not in names:
            raise _fail("archive", message.format(name))


def _text(contents: PackageContents, name: str) -> str:
    try:
        return contents.read(name).decode("utf-8")
    except UnicodeDecodeError as error:
        raise _fail("archive", f"{name} is not UTF-8 text") from error


# ── manifest and history ──────────────────────────────────────────────────────────────────


def _message(error: Exception) -> str:
    return error.message if isinstance(error, DomainError) else str(error)


_TOP_FIELDS = frozenset(
    {"format", "created_at", "case", "log", "evidence", "history", "certificate"}
)
_PARTS = {"checkpoint": CHECKPOINT, "key": LOG_KEY}


def _read_manifest(contents: PackageContents) -> _Manifest:
    text = _text(contents, MANIFEST)
    try:
        value = json.loads(text)
        manifest = fields(value, "manifest")
        manifest.require_exactly(_TOP_FIELDS)
        version = manifest.text("format")
        if version not in FORMAT_VERSIONS:
            known = " or ".join(sorted(FORMAT_VERSIONS))
            raise _fail("manifest", f"the manifest is in format {version!r}, not {known}")
        manifest.moment("created_at")
        case, log = manifest.child("case"), manifest.child("log")
        history, certificate = manifest.child("history"), manifest.child("certificate")
        case.require_exactly(frozenset({"id", "number"}))
        log.require_exactly(frozenset({"origin", "size", "root", *_PARTS}))
        history.require_exactly(frozenset({"path", "events"}))
        certificate.require_exactly(frozenset({"path", "sha256"}))
        parts = {key: log.text(key) for key in _PARTS}
        parts |= {"history": history.text("path"), "certificate": certificate.text("path")}
        parsed = _Manifest(
            case_id=case.text("id"),
            case_number=case.text("number"),
            origin=log.text("origin"),
            size=log.integer("size"),
            root=log.text("root"),
            history_events=history.integer("events"),
            certificate_sha256=certificate.text("sha256"),
            evidence=tuple(manifest.items("evidence")),
            package_format=version,
        )
    except PackageCheckFailed:
        raise
    except (ValueError, DomainError) as error:
        raise _fail("manifest", f"the manifest is malformed: {_message(error)}") from error
    if parts != {**_PARTS, "history": HISTORY, "certificate": CERTIFICATE}:
        raise _fail("manifest", "the manifest names other paths for the package's parts")
    if text != manifest_text(value):
        raise _fail("manifest", "the manifest is not in its canonical form: it was edited")
    return parsed


def _read_evidence(manifest: _Manifest) -> list[EvidenceItem]:
    out = []
    for number, value in enumerate(manifest.evidence, start=1):
        where = f"manifest evidence #{number}"
        try:
            item = read_evidence_item(
                value, case_id=manifest.case_id, where=where, package_format=manifest.package_format
            )
        except DomainError as error:
            raise _fail("manifest", f"{where} is malformed: {_message(error)}") from error
        if item.path != file_path(item.sha256):
            raise _fail(
                "manifest", f"{where} points at {item.path!r}, not {file_path(item.sha256)}"
            )
        out.append(item)
    return out


def _read_history(contents: PackageContents, manifest: _Manifest) -> list[HistoryRecord]:
    case_id = manifest.case_id
    text = _text(contents, HISTORY)
    if text and not text.endswith("\n"):
        raise _fail("history", f"{HISTORY} does not end with a newline: it was cut or edited")
    out: list[HistoryRecord] = []
    lines = text.split("\n")[:-1]
    case_key = _first_event_salt(lines)
    for number, line in enumerate(lines, start=1):
        where = f"{HISTORY} line {number}"
        try:
            record = read_history_line(
                line, where=where, case_key=case_key, package_format=manifest.package_format
            )
        except DomainError as error:
            raise _fail("history", f"{where} is malformed: {_message(error)}") from error
        if record.case_id != case_id:
            raise _fail("history", f"{where} belongs to case {record.case_id}, not {case_id}")
        out.append(record)
    return out


def _first_event_salt(lines: Sequence[str]) -> bytes | None:
    """The salt of the case's first event, wherever its line stands: it keys the case tags of
    the others (a line out of place is then reported by the sequence check, as it should be)."""
    for line in lines:
        try:
            value = json.loads(line)
            if isinstance(value, dict) and value.get("seq") == 1:
                return bytes.fromhex(value["salt"])
        except (ValueError, KeyError, TypeError):
            continue  # reported when the line itself is read
    return None


def _check_complete(
    names: set[str], evidence: Sequence[EvidenceItem], history: Sequence[HistoryRecord]
) -> set[str]:
    files = {item.path for item in evidence}
    logged = [item.logged for item in evidence] + [record.logged for record in history]
    proofs = {proof_path(record.log_index) for record in logged}
    _require(names, sorted(files), "the file {} listed in the manifest is missing")
    _require(names, sorted(proofs), "the inclusion proof {} is missing")
    return files | proofs


def _check_nothing_unlisted(names: set[str], listed: set[str]) -> None:
    """Last, so that a removed record is reported as such rather than as its orphaned proof."""
    unlisted = sorted(names - listed - {*REQUIRED, README})
    if unlisted:
        raise _fail("archive", f"the package holds {unlisted[0]}, which the manifest does not list")


# ── checkpoint and key ────────────────────────────────────────────────────────────────────


def _open_checkpoint(
    contents: PackageContents, key_text: str, make_verifier: Callable[[str], NoteVerifier]
) -> tuple[Checkpoint, str]:
    try:
        verifier = make_verifier(key_text)
    except DomainError as error:
        raise _fail("signature", f"{LOG_KEY} is not a usable key: {_message(error)}") from error
    note = _text(contents, CHECKPOINT)
    try:
        return open_checkpoint(note, [verifier]), note
    except DomainError as error:
        raise _fail(
            "signature",
            f"the checkpoint's signature does not verify with {LOG_KEY}: {_message(error)}",
        ) from error


def _check_trusted(key_text: str, trusted_keys: Sequence[str]) -> bool:
    if not trusted_keys:
        return False
    try:
        wanted = {parse_verifier_key(text) for text in trusted_keys}
    except DomainError as error:
        raise _fail(
            "unknown_key", f"a key given with --key is unreadable: {_message(error)}"
        ) from error
    signer = parse_verifier_key(key_text)
    if signer not in wanted:
        raise _fail(
            "unknown_key",
            f"unknown key: the checkpoint is signed by {signer.name} key {signer.key_id:08x}, "
            "which is not a key you trust",
        )
    return True


def _check_manifest_checkpoint(manifest: _Manifest, checkpoint: Checkpoint) -> None:
    signed = (checkpoint.origin, checkpoint.size, base64.b64encode(checkpoint.root).decode())
    if (manifest.origin, manifest.size, manifest.root) != signed:
        raise _fail(
            "manifest",
            f"the manifest describes log {manifest.origin} at size {manifest.size} with root "
            f"{manifest.root}; the signed checkpoint is {signed[0]} at size {signed[1]} with "
            f"root {signed[2]}",
        )


# ── files, entries, proofs ────────────────────────────────────────────────────────────────


def _check_files(contents: PackageContents, evidence: Sequence[EvidenceItem]) -> None:
    for item in evidence:
        sha256, size = contents.digest(item.path)
        if sha256 != item.sha256:
            raise _fail(
                "file", f"{item.path}: its SHA-256 is {sha256}, the manifest lists {item.sha256}"
            )
        if size != item.size:
            raise _fail("file", f"{item.path}: it has {size} bytes, the manifest lists {item.size}")


def _check_logged(
    contents: PackageContents,
    record: LoggedRecord,
    checkpoint: Checkpoint,
    note: str,
    *,
    what: str,
    check: str,
) -> None:
    """The rebuilt entry is in the log at its index, under the package's checkpoint."""
    name = proof_path(record.log_index)
    text = _text(contents, name)
    try:
        proof = parse_tlog_proof(text)
    except DomainError as error:
        raise _fail("proof", f"{name} is malformed: {_message(error)}") from error
    if proof.index != record.log_index:
        raise _fail("proof", f"{name} proves index {proof.index}, not {record.log_index}")
    if proof.checkpoint_note != note:
        raise _fail("proof", f"{name} is for another checkpoint than the package's")
    rebuilt = record.leaf_hash
    changed = rebuilt.hex() != record.listed_leaf_hash
    try:
        verify_inclusion(
            leaf_hash=rebuilt,
            index=proof.index,
            size=checkpoint.size,
            path=proof.path,
            root=checkpoint.root,
        )
    except DomainError as error:
        if changed:  # the record no longer rebuilds into the entry the package says was logged
            raise _fail(
                check,
                f"{what} (log index {record.log_index}) differs from the entry that was logged: "
                "a field was changed",
            ) from error
        raise _fail(
            "proof", f"{name} does not lead from {what} to the signed root: {_message(error)}"
        ) from error
    if changed:
        raise _fail(check, f"{what} lists a leaf hash that is not its entry's")


def _check_sequence(seqs: Sequence[int], expected_count: int) -> None:
    for position, seq in enumerate(seqs, start=1):
        if seq != position:
            raise _fail(
                "sequence",
                f"{HISTORY} line {position} has event {seq}, expected {position}: "
                "a line was removed, added or moved",
            )
    if len(seqs) != expected_count:
        raise _fail(
            "sequence",
            f"{HISTORY} has {len(seqs)} events, the manifest lists {expected_count}",
        )


def _check_certificate(contents: PackageContents, listed: str) -> None:
    sha256, _size = contents.digest(CERTIFICATE)
    if sha256 != listed:
        raise _fail(
            "certificate", f"{CERTIFICATE}: its SHA-256 is {sha256}, the manifest lists {listed}"
        )
