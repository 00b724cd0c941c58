"""C2SP signed notes: text, a blank line, then ``— <key name> <base64(key ID ‖ signature)>`` lines.

The signature algorithm is injected (:class:`NoteSigner`, :class:`NoteVerifier`), so this module
only formats, parses and applies the verification rules of c2sp.org/signed-note:

* signatures from unknown keys (name *and* key ID) are ignored;
* a known key whose signature fails rejects the whole note;
* a note with no verified signature from a known key is rejected;
* at least 16 signatures are accepted (the limit here is 100).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass
from hashlib import sha256
from typing import Protocol

from weiquan.domain.errors import IntegrityViolation, ValidationFailed

SIGNATURE_TYPE_ED25519 = 0x01
MAX_SIGNATURES = 100
_DASH = "\u2014 "
_KEY_ID = re.compile(r"[0-9a-fA-F]{8}")


class NoteSigner(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def key_id(self) -> int: ...

    def sign(self, message: bytes) -> bytes: ...


class NoteVerifier(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def key_id(self) -> int: ...

    def verify(self, message: bytes, signature: bytes) -> bool: ...


def check_key_name(name: str) -> None:
    if not name or "+" in name or any(character.isspace() for character in name):
        raise ValidationFailed(
            f"a key name must be non-empty, without spaces or '+': {name!r}", field="key_name"
        )


def compute_key_id(name: str, signature_type: int, public_key: bytes) -> int:
    """SHA-256(name ‖ 0x0A ‖ type ‖ public key)[:4] as a big-endian uint32."""
    check_key_name(name)
    digest = sha256(name.encode() + b"\n" + bytes([signature_type]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


@dataclass(frozen=True, slots=True)
class NoteSignature:
    name: str
    key_id: int
    signature: bytes

    def line(self) -> str:
        payload = self.key_id.to_bytes(4, "big") + self.signature
        return f"{_DASH}{self.name} {base64.b64encode(payload).decode()}\n"


@dataclass(frozen=True, slots=True)
class SignedNote:
    text: str
    signatures: tuple[NoteSignature, ...]
    verified_by: tuple[str, ...] = ()

    def render(self) -> str:
        return self.text + "\n" + "".join(signature.line() for signature in self.signatures)


def check_note_text(text: str) -> None:
    if not text.endswith("\n"):
        raise ValidationFailed("a note's text must end with a newline", field="note")
    if any(ord(character) < 0x20 and character != "\n" for character in text):
        raise ValidationFailed("a note may hold no control characters but newline", field="note")


def sign_note(text: str, signers: Sequence[NoteSigner]) -> str:
    """The signed note: ``text``, a blank line and one signature line per signer."""
    check_note_text(text)
    if not signers:
        raise ValidationFailed("a note needs at least one signer", field="signers")
    message = text.encode()
    signatures = []
    for signer in signers:
        check_key_name(signer.name)
        signatures.append(NoteSignature(signer.name, signer.key_id, signer.sign(message)))
    return SignedNote(text, tuple(signatures)).render()


def parse_signed_note(note: str) -> SignedNote:
    """Split a note into text and signature lines; checks syntax only, not signatures."""
    check_note_text(note)
    separator = note.rfind("\n\n")
    if separator < 0:
        raise ValidationFailed("a signed note needs a blank line before its signatures")
    text, block = note[: separator + 1], note[separator + 2 :]
    if not text.strip("\n"):
        raise ValidationFailed("a signed note's text is empty", field="note")
    lines = block.split("\n")[:-1]  # the block ends with a newline (checked above)
    if not lines:
        raise ValidationFailed("a signed note has no signature lines", field="note")
    if len(lines) > MAX_SIGNATURES:
        raise ValidationFailed(f"more than {MAX_SIGNATURES} signatures", field="note")
    return SignedNote(text, tuple(_parse_signature_line(line) for line in lines))


def _parse_signature_line(line: str) -> NoteSignature:
    if not line.startswith(_DASH):
        raise ValidationFailed(f"not a signature line: {line!r}", field="note")
    name, space, encoded = line[len(_DASH) :].partition(" ")
    if not space:
        raise ValidationFailed(f"not a signature line: {line!r}", field="note")
    check_key_name(name)
    try:
        payload = base64.b64decode(encoded, validate=True)
    except binascii.Error as error:
        raise ValidationFailed(f"a signature is not base64: {line!r}", field="note") from error
    if len(payload) < 5:
        raise ValidationFailed(f"a signature is too short: {line!r}", field="note")
    return NoteSignature(name, int.from_bytes(payload[:4], "big"), payload[4:])


def verify_note(note: str, verifiers: Sequence[NoteVerifier]) -> SignedNote:
    """Parse ``note`` and check it against the known keys; raise IntegrityViolation unless at
    least one known key verified it and none failed."""
    parsed = parse_signed_note(note)
    known = {(verifier.name, verifier.key_id): verifier for verifier in verifiers}
    message = parsed.text.encode()
    verified: list[str] = []
    for signature in parsed.signatures:
        verifier = known.get((signature.name, signature.key_id))
        if verifier is None:
            continue
        if not verifier.verify(message, signature.signature):
            raise IntegrityViolation(
                f"the signature by {signature.name} ({signature.key_id:08x}) does not verify"
            )
        verified.append(signature.name)
    if not verified:
        raise IntegrityViolation("no signature on the note is from a trusted key")
    return SignedNote(parsed.text, parsed.signatures, tuple(verified))


@dataclass(frozen=True, slots=True)
class VerifierKey:
    """``<name>+<hex key ID>+<base64(type ‖ public key)>``, the text form of a public key."""

    name: str
    key_id: int
    signature_type: int
    public_key: bytes

    def text(self) -> str:
        encoded = base64.b64encode(bytes([self.signature_type]) + self.public_key).decode()
        return f"{self.name}+{self.key_id:08x}+{encoded}"


def parse_verifier_key(text: str) -> VerifierKey:
    """Parse a verifier key; split on the first two ``+`` only, since base64 may contain ``+``."""
    name, plus1, rest = text.strip().partition("+")
    key_id_text, plus2, encoded = rest.partition("+")
    if not (plus1 and plus2) or not _KEY_ID.fullmatch(key_id_text):
        raise ValidationFailed(f"not a verifier key: {text!r}", field="key")
    check_key_name(name)
    key_id = int(key_id_text, 16)
    try:
        payload = base64.b64decode(encoded, validate=True)
    except binascii.Error as error:
        raise ValidationFailed(f"not a verifier key: {text!r}", field="key") from error
    if len(payload) < 2:
        raise ValidationFailed(f"a verifier key without a public key: {text!r}", field="key")
    key = VerifierKey(name, key_id, payload[0], payload[1:])
    if key.signature_type == SIGNATURE_TYPE_ED25519 and (
        len(key.public_key) != 32 or compute_key_id(name, payload[0], payload[1:]) != key_id
    ):
        raise ValidationFailed(f"the key ID does not match the key: {text!r}", field="key")
    return key
