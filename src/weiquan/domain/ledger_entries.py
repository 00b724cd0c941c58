"""What goes into the transparency log for case events and evidence, without personal data.

An entry commits to everything that matters — who did what to which case, when, and the exact
text of the reason and payload — but text that may hold personal data appears only as a salted
commitment. The salt stays in the database and is disclosed, with the text, in the evidence
package of the case, so its parties can prove what was logged; the public log reveals nothing.
User ids are committed the same way.
"""

from __future__ import annotations

import json
from datetime import UTC
from typing import Any

from weiquan.domain.cases import CaseEvent
from weiquan.domain.evidence import EvidenceRecord
from weiquan.domain.tlog.leaves import log_entry, salted_commitment

CASE_EVENT_KIND = "weiquan.case_event.v1"
EVIDENCE_KIND = "weiquan.evidence.v1"


def _text_commitment(value: str, salt: bytes) -> str:
    return salted_commitment(value.encode("utf-8"), salt=salt)


def _payload_commitment(payload: dict[str, Any], salt: bytes) -> str:
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return salted_commitment(text.encode("utf-8"), salt=salt)


def case_event_entry(event: CaseEvent, *, salt: bytes) -> bytes:
    return log_entry(
        CASE_EVENT_KIND,
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


def evidence_entry(record: EvidenceRecord, *, salt: bytes) -> bytes:
    return log_entry(
        EVIDENCE_KIND,
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
