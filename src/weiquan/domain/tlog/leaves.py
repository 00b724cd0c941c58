"""Log entries as canonical JSON, and salted commitments for values that must not be public.

Canonical form: UTF-8, object keys sorted, no insignificant whitespace, no floats (money is
integer fen, times are strings), integers within ±(2^53 − 1) so every JSON reader agrees on them,
ASCII object keys (so code-point order equals the UTF-16 order RFC 8785 uses).  The same value
always gives the same bytes, hence the same leaf hash.

Entries are public (anyone can mirror the log), so personal data never goes in clear: put a
salted commitment (or a ciphertext) in the entry and keep the salt with the private record.
Disclosing value and salt later proves what was logged; without the salt a guess cannot be
checked, which an unsalted hash of a phone number would allow.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from hashlib import sha256
from typing import TypeAlias

from weiquan.domain.errors import ValidationFailed
from weiquan.domain.tlog.tiles import MAX_ENTRY_SIZE

JsonValue: TypeAlias = bool | int | str | Sequence["JsonValue"] | Mapping[str, "JsonValue"] | None

MAX_SAFE_INTEGER = (1 << 53) - 1
MIN_SALT_BYTES = 16
_COMMITMENT_DOMAIN = b"weiquan/tlog-commitment/v1\x00"


def canonical_json(value: JsonValue) -> bytes:
    """The canonical UTF-8 bytes of ``value``; raises ValidationFailed for what JSON cannot
    carry unambiguously."""
    _check(value, "$")
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ValidationFailed("a string holds a lone surrogate", field="entry") from error


def _check(value: object, where: str) -> None:
    if value is None or isinstance(value, bool | str):
        return
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise ValidationFailed(f"{where}: integer beyond ±(2^53 − 1)", field="entry")
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str) or not key.isascii():
                raise ValidationFailed(f"{where}: object keys must be ASCII strings", field="entry")
            _check(item, f"{where}.{key}")
        return
    if isinstance(value, list | tuple):
        for position, item in enumerate(value):
            _check(item, f"{where}[{position}]")
        return
    raise ValidationFailed(
        f"{where}: {type(value).__name__} has no canonical JSON form", field="entry"
    )


def log_entry(kind: str, fields: Mapping[str, JsonValue]) -> bytes:
    """One log entry: ``{"kind": ..., **fields}`` in canonical JSON, within the 64 KiB limit."""
    if not kind or "kind" in fields:
        raise ValidationFailed("an entry needs a kind and no field named 'kind'", field="kind")
    entry = canonical_json({"kind": kind, **fields})
    if len(entry) > MAX_ENTRY_SIZE:
        raise ValidationFailed("a log entry is longer than 65535 bytes", field="entry")
    return entry


def salted_commitment(value: bytes, *, salt: bytes) -> str:
    """``sha256:<hex>`` of a domain tag, the salt and the value; the salt must be secret and
    random (at least 16 bytes, from the caller's CSPRNG)."""
    if len(salt) < MIN_SALT_BYTES:
        raise ValidationFailed("a commitment salt must be at least 16 bytes", field="salt")
    digest = sha256(_COMMITMENT_DOMAIN + len(salt).to_bytes(2, "big") + salt + value)
    return f"sha256:{digest.hexdigest()}"
