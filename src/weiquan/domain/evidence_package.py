"""The evidence package format: what its manifest and history lines hold, both ways.

A package is a zip whose ``manifest.json`` lists every evidence record and whose
``history.jsonl`` holds every case event, each with the salt of its log commitments and its log
index, so anyone can rebuild the exact log entry (``weiquan.domain.ledger_entries``) and check
it against the ``.tlog-proof`` beside it. Writing and reading live together here so the two
cannot drift apart. ``docs/evidence-package.md`` describes the layout for people.

Format v2 states, for each record, the version of the log entry it was written as (``entry``):
a case that began before v2 entries has v1 entries first. Format v1 packages, made before, hold
v1 entries only and still verify.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, TypeVar

from weiquan.domain.accounts import Actor, Role
from weiquan.domain.cases import CaseEvent
from weiquan.domain.errors import ValidationFailed
from weiquan.domain.evidence import CaptureMethod, EvidenceRecord
from weiquan.domain.ledger_entries import (
    CURRENT_ENTRY_VERSION,
    ENTRY_VERSIONS,
    case_event_entry,
    evidence_entry,
)
from weiquan.domain.lifecycle import Action, CaseStatus
from weiquan.domain.tlog.hashing import leaf_hash

_Choice = TypeVar("_Choice", Action, CaseStatus, CaptureMethod, Role)

FORMAT_VERSION: Final = "weiquan.evidence-package.v2"
FORMAT_VERSION_V1: Final = "weiquan.evidence-package.v1"
FORMAT_VERSIONS: Final = frozenset({FORMAT_VERSION, FORMAT_VERSION_V1})
MANIFEST: Final = "manifest.json"
HISTORY: Final = "history.jsonl"
CHECKPOINT: Final = "checkpoint"
LOG_KEY: Final = "log-key.vkey"
CERTIFICATE: Final = "certificate.pdf"
README: Final = "README.txt"


def file_path(sha256: str) -> str:
    return f"files/{sha256}"


def proof_path(log_index: int) -> str:
    return f"proofs/{log_index}.tlog-proof"


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


@dataclass(frozen=True, slots=True)
class LoggedRecord:
    """A record as the package carries it: rebuilt, with the salt and index of its entry."""

    entry: bytes
    log_index: int
    listed_leaf_hash: str  # as the package states it; a diagnosis aid, never trusted

    @property
    def leaf_hash(self) -> bytes:
        return leaf_hash(self.entry)


# ── writing ───────────────────────────────────────────────────────────────────────────────


def evidence_item(
    record: EvidenceRecord, *, salt: bytes, log_index: int, version: int = CURRENT_ENTRY_VERSION
) -> dict[str, Any]:
    """The manifest's description of one evidence record (everything its log entry commits to)."""
    entry = evidence_entry(record, salt=salt, version=version)
    return {
        "entry": version,
        "id": record.id,
        "sha256": record.sha256,
        "size": record.size,
        "mime": record.mime,
        "name": record.original_name,
        "captured_at": _utc(record.captured_at),
        "method": record.method.value,
        "captured_by_role": record.captured_by.role.value,
        "captured_by": record.captured_by.user_id,
        "supports_seq": record.supports_seq,
        "supersedes_id": record.supersedes_id,
        "salt": salt.hex(),
        "log_index": log_index,
        "leaf_hash": leaf_hash(entry).hex(),
        "path": file_path(record.sha256),
        "proof": proof_path(log_index),
    }


def manifest_text(manifest: Mapping[str, Any]) -> str:
    """The one spelling of a manifest: the verifier refuses any other, so no byte is loose."""
    return json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"


def _line_text(value: Mapping[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def history_line(
    event: CaseEvent,
    *,
    salt: bytes,
    case_key: bytes | None,
    log_index: int,
    version: int = CURRENT_ENTRY_VERSION,
) -> str:
    """One line of ``history.jsonl`` (no newline). ``case_key`` is the salt of the case's first
    event, which line 1 discloses."""
    entry = case_event_entry(event, salt=salt, case_key=case_key, version=version)
    line = {
        "entry": version,
        "case": event.case_id,
        "seq": event.seq,
        "action": event.action.value,
        "from": event.from_status.value,
        "to": event.to_status.value,
        "actor_role": event.actor.role.value,
        "actor": event.actor.user_id,
        "rule": event.actor.rule,
        "at": _utc(event.at),
        "reason": event.reason,
        "payload": event.payload,
        "salt": salt.hex(),
        "log_index": log_index,
        "leaf_hash": leaf_hash(entry).hex(),
    }
    return _line_text(line)


EVIDENCE_FIELDS_V1: Final = frozenset(
    {
        "id", "sha256", "size", "mime", "name", "captured_at", "method", "captured_by_role",
        "captured_by", "supports_seq", "supersedes_id", "salt", "log_index", "leaf_hash", "path",
        "proof",
    }
)  # fmt: skip
HISTORY_FIELDS_V1: Final = frozenset(
    {
        "case", "seq", "action", "from", "to", "actor_role", "actor", "rule", "at", "reason",
        "payload", "salt", "log_index", "leaf_hash",
    }
)  # fmt: skip
EVIDENCE_FIELDS: Final = EVIDENCE_FIELDS_V1 | {"entry"}
HISTORY_FIELDS: Final = HISTORY_FIELDS_V1 | {"entry"}


# ── reading ───────────────────────────────────────────────────────────────────────────────


class _Fields:
    """Typed access to one JSON object; every error names where it is."""

    def __init__(self, value: object, where: str) -> None:
        if not isinstance(value, Mapping):
            raise ValidationFailed(f"{where} is not a JSON object", field=where)
        self._value = value
        self._where = where

    def require_exactly(self, keys: frozenset[str]) -> None:
        """No field missing and none added: a field the log does not vouch for has no place."""
        present = frozenset(self._value)
        extra, missing = sorted(present - keys), sorted(keys - present)
        if extra or missing:
            detail = f"unexpected {extra}" if extra else f"missing {missing}"
            raise ValidationFailed(f"{self._where} has {detail}", field=self._where)

    def _get(self, key: str) -> object:
        if key not in self._value:
            raise ValidationFailed(f"{self._where} has no {key!r}", field=f"{self._where}.{key}")
        return self._value[key]

    def _wrong(self, key: str, what: str) -> ValidationFailed:
        return ValidationFailed(f"{self._where}.{key} is not {what}", field=f"{self._where}.{key}")

    def text(self, key: str) -> str:
        value = self._get(key)
        if not isinstance(value, str):
            raise self._wrong(key, "a string")
        return value

    def optional_text(self, key: str) -> str | None:
        value = self._get(key)
        return None if value is None else self.text(key)

    def integer(self, key: str) -> int:
        value = self._get(key)
        if not isinstance(value, int) or isinstance(value, bool):
            raise self._wrong(key, "an integer")
        return value

    def optional_integer(self, key: str) -> int | None:
        value = self._get(key)
        return None if value is None else self.integer(key)

    def index(self, key: str) -> int:
        value = self.integer(key)
        if value < 0:
            raise self._wrong(key, "a log index")
        return value

    def moment(self, key: str) -> datetime:
        try:
            value = datetime.fromisoformat(self.text(key))
        except ValueError as error:
            raise self._wrong(key, "an ISO 8601 time") from error
        if value.tzinfo is None:
            raise self._wrong(key, "a time with a time zone")
        return value

    def salt(self, key: str) -> bytes:
        try:
            return bytes.fromhex(self.text(key))
        except ValueError as error:
            raise self._wrong(key, "hex") from error

    def mapping(self, key: str) -> dict[str, Any]:
        value = self._get(key)
        if not isinstance(value, dict):
            raise self._wrong(key, "an object")
        return value

    def items(self, key: str) -> list[object]:
        value = self._get(key)
        if not isinstance(value, list):
            raise self._wrong(key, "a list")
        return value

    def child(self, key: str) -> _Fields:
        return _Fields(self._get(key), f"{self._where}.{key}")

    def entry_version(self, key: str) -> int:
        value = self.integer(key)
        if value not in ENTRY_VERSIONS:
            raise self._wrong(key, "a known log entry version")
        return value

    def choice(self, key: str, kind: type[_Choice]) -> _Choice:
        try:
            return kind(self.text(key))
        except ValueError as error:
            raise self._wrong(key, f"a known {kind.__name__}") from error


def fields(value: object, where: str) -> _Fields:
    return _Fields(value, where)


@dataclass(frozen=True, slots=True)
class EvidenceItem:
    path: str
    sha256: str
    size: int
    logged: LoggedRecord


def _read_version(item: _Fields, *, package_format: str, v2_fields: frozenset[str]) -> int:
    """The entry version an item states (format v2), or 1 for every item of a v1 package."""
    if package_format == FORMAT_VERSION_V1:
        item.require_exactly(v2_fields - {"entry"})
        return 1
    item.require_exactly(v2_fields)
    return item.entry_version("entry")


def read_evidence_item(
    value: object, *, case_id: str, where: str, package_format: str = FORMAT_VERSION
) -> EvidenceItem:
    """Rebuild the log entry of a manifest evidence item; ValidationFailed when malformed."""
    item = _Fields(value, where)
    version = _read_version(item, package_format=package_format, v2_fields=EVIDENCE_FIELDS)
    record = EvidenceRecord(
        id=item.text("id"),
        case_id=case_id,
        sha256=item.text("sha256"),
        size=item.integer("size"),
        mime=item.text("mime"),
        original_name=item.text("name"),
        method=item.choice("method", CaptureMethod),
        captured_by=Actor(item.choice("captured_by_role", Role), item.optional_text("captured_by")),
        captured_at=item.moment("captured_at"),
        supports_seq=item.optional_integer("supports_seq"),
        supersedes_id=item.optional_text("supersedes_id"),
    )
    entry = evidence_entry(record, salt=item.salt("salt"), version=version)
    logged = LoggedRecord(entry, item.index("log_index"), item.text("leaf_hash"))
    if item.text("proof") != proof_path(logged.log_index):
        raise ValidationFailed(f"{where}.proof is not {proof_path(logged.log_index)}", field=where)
    return EvidenceItem(item.text("path"), record.sha256, record.size, logged)


@dataclass(frozen=True, slots=True)
class HistoryRecord:
    case_id: str
    seq: int
    logged: LoggedRecord
    salt: bytes


def read_history_line(
    line: str, *, where: str, case_key: bytes | None, package_format: str = FORMAT_VERSION
) -> HistoryRecord:
    """``case_key``: the salt the line of the case's first event discloses."""
    """Rebuild the log entry of one history line; ValidationFailed when malformed."""
    try:
        value = json.loads(line)
    except ValueError as error:
        raise ValidationFailed(f"{where} is not JSON", field=where) from error
    if not isinstance(value, dict) or _line_text(value) != line:
        raise ValidationFailed(f"{where} is not in its canonical form", field=where)
    item = _Fields(value, where)
    version = _read_version(item, package_format=package_format, v2_fields=HISTORY_FIELDS)
    event = CaseEvent(
        case_id=item.text("case"),
        seq=item.integer("seq"),
        action=item.choice("action", Action),
        from_status=item.choice("from", CaseStatus),
        to_status=item.choice("to", CaseStatus),
        actor=Actor(
            item.choice("actor_role", Role), item.optional_text("actor"), item.optional_text("rule")
        ),
        at=item.moment("at"),
        reason=item.text("reason"),
        payload=item.mapping("payload"),
    )
    if version == CURRENT_ENTRY_VERSION and event.seq != 1 and case_key is None:
        raise ValidationFailed(f"{where}: the history lacks the case's first event")
    salt = item.salt("salt")
    entry = case_event_entry(event, salt=salt, case_key=case_key, version=version)
    logged = LoggedRecord(entry, item.index("log_index"), item.text("leaf_hash"))
    return HistoryRecord(event.case_id, event.seq, logged, salt)
