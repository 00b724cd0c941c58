"""What goes into the transparency log for case events and evidence, without personal data.

An entry commits to everything that matters — who did what to which case, when, and the exact
text of the reason and payload — while the log itself stays public. Version 2 entries (the
current ones) carry no identifier in clear: the case id, the evidence record id, the file's
SHA-256 and size, the actor, the reason and the payload appear only as salted commitments. The
salt is random per entry, stays in the database and is disclosed in the evidence package of the
case, so its parties can prove what was logged offline; the public log reveals nothing, and two
entries of one case cannot be linked through it.

One exception lets the parties, and only them, check that nothing was left out: a case event's
``case`` field is its *case tag*, a commitment to (case id, seq) under the salt of the case's
first event. The package discloses that salt (history line 1), so a party can compute the tag
event ``n + 1`` would carry and search the public log for it (``weiquan log audit --package``);
without the salt the tags of one case look unrelated.

Version 1 entries, written before, named the case, the evidence id and the file digest in clear
(a digest was enough to ask for another party's file, and a case id to follow a case). The log is
append-only, so those entries stay; packages still rebuild and verify them with the v1 layout.
"""

from __future__ import annotations

import json
from datetime import UTC
from typing import Any, Final

from weiquan.domain.cases import CaseEvent
from weiquan.domain.evidence import EvidenceRecord
from weiquan.domain.tlog.leaves import log_entry, salted_commitment

CASE_EVENT_KIND_V1: Final = "weiquan.case_event.v1"
EVIDENCE_KIND_V1: Final = "weiquan.evidence.v1"
CASE_EVENT_KIND: Final = "weiquan.case_event.v2"
EVIDENCE_KIND: Final = "weiquan.evidence.v2"
ENTRY_VERSIONS: Final = frozenset({1, 2})
CURRENT_ENTRY_VERSION: Final = 2


def _text_commitment(value: str, salt: bytes) -> str:
    return salted_commitment(value.encode("utf-8"), salt=salt)


def _field_commitment(field: str, value: str, salt: bytes) -> str:
    # The field's name is committed with its value: one salt serves every field of an entry,
    # and equal values under different names must not give equal commitments.
    return salted_commitment(f"{field}\x00{value}".encode(), salt=salt)


def _payload_commitment(payload: dict[str, Any], salt: bytes) -> str:
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return salted_commitment(text.encode("utf-8"), salt=salt)


def case_tag(case_id: str, seq: int, *, case_key: bytes) -> str:
    """What a v2 entry of event ``seq`` of the case carries as ``case`` (see the module doc);
    ``case_key`` is the log salt of the case's first event."""
    return salted_commitment(f"case\x00{case_id}\x00{seq}".encode(), salt=case_key)


def case_event_entry(
    event: CaseEvent,
    *,
    salt: bytes,
    case_key: bytes | None = None,
    version: int = CURRENT_ENTRY_VERSION,
) -> bytes:
    """``case_key``: the salt of the case's first event (the event's own salt for seq 1)."""
    if version == 1:
        return _case_event_entry_v1(event, salt=salt)
    _require_version(version)
    if event.seq == 1:
        case_key = salt  # the first event keys the case's tags with its own salt
    elif case_key is None:
        raise ValueError("a v2 entry of a later event needs the case key")
    return log_entry(
        CASE_EVENT_KIND,
        {
            "case": case_tag(event.case_id, event.seq, case_key=case_key),
            "seq": event.seq,
            "action": event.action.value,
            "from": event.from_status.value,
            "to": event.to_status.value,
            "actor_role": event.actor.role.value,
            "actor": _field_commitment("actor", event.actor.user_id, salt)
            if event.actor.user_id
            else None,
            "rule": event.actor.rule,
            "at": event.at.astimezone(UTC).isoformat(),
            "reason": _field_commitment("reason", event.reason, salt),
            "payload": _payload_commitment(event.payload, salt),
        },
    )


def evidence_entry(
    record: EvidenceRecord, *, salt: bytes, version: int = CURRENT_ENTRY_VERSION
) -> bytes:
    if version == 1:
        return _evidence_entry_v1(record, salt=salt)
    _require_version(version)
    return log_entry(
        EVIDENCE_KIND,
        {
            "case": _field_commitment("case", record.case_id, salt),
            "evidence": _field_commitment("evidence", record.id, salt),
            # Digest and size together: a known file's digest must not be testable against the
            # log, and its size alone would narrow a guess.
            "file": _field_commitment("file", f"{record.sha256}:{record.size}", salt),
            "mime": record.mime,
            "method": record.method.value,
            "captured_by_role": record.captured_by.role.value,
            "captured_by": _field_commitment("captured_by", record.captured_by.user_id, salt)
            if record.captured_by.user_id
            else None,
            "captured_at": record.captured_at.astimezone(UTC).isoformat(),
            "name": _field_commitment("name", record.original_name, salt),
            "supersedes": _field_commitment("supersedes", record.supersedes_id, salt)
            if record.supersedes_id
            else None,
            "supports_seq": record.supports_seq,
        },
    )


def _require_version(version: int) -> None:
    if version not in ENTRY_VERSIONS:
        raise ValueError(f"unknown log entry version {version}")


def _case_event_entry_v1(event: CaseEvent, *, salt: bytes) -> bytes:
    return log_entry(
        CASE_EVENT_KIND_V1,
        {
            "case": event.case_id,
            "seq": event.seq,
            "action": event.action.value,
            "from": event.from_status.value,
            "to": event.to_status.value,
            "actor_role": event.actor.role.value,
            "actor": _text_commitment(event.actor.user_id, salt) if event.actor.user_id else None,
            "rule": event.actor.rule,
            "at": event.at.astimezone(UTC).isoformat(),
            "reason": _text_commitment(event.reason, salt),
            "payload": _payload_commitment(event.payload, salt),
        },
    )


def _evidence_entry_v1(record: EvidenceRecord, *, salt: bytes) -> bytes:
    return log_entry(
        EVIDENCE_KIND_V1,
        {
            "case": record.case_id,
            "evidence": record.id,
            "sha256": record.sha256,
            "size": record.size,
            "mime": record.mime,
            "method": record.method.value,
            "captured_by_role": record.captured_by.role.value,
            "captured_by": _text_commitment(record.captured_by.user_id, salt)
            if record.captured_by.user_id
            else None,
            "captured_at": record.captured_at.astimezone(UTC).isoformat(),
            "name": _text_commitment(record.original_name, salt),
            "supersedes": record.supersedes_id,
            "supports_seq": record.supports_seq,
        },
    )
