"""C2SP signed notes and Ed25519 note keys, against the published examples."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from tests.unit.tlog.vectors import VECTORS
from weiquan.adapters.tlog import Ed25519NoteSigner, Ed25519NoteVerifier
from weiquan.domain.errors import IntegrityViolation, ValidationFailed
from weiquan.domain.tlog import (
    compute_key_id,
    parse_signed_note,
    parse_verifier_key,
    sign_note,
    verify_note,
)

NOTE_VECTORS = VECTORS["signed_note_vectors"]


def _note_id(vector: dict[str, Any]) -> str:
    return str(vector["source"]["repo"])


@pytest.mark.parametrize("vector", NOTE_VECTORS, ids=_note_id)
def test_published_signed_note_verifies_with_its_key(vector: dict[str, Any]) -> None:
    verifier = Ed25519NoteVerifier.from_verifier_key(vector["verifier_key"])
    note = verify_note(vector["full_signed_note"], [verifier])
    assert note.text == vector["note_text"]
    assert note.verified_by == (verifier.name,)


@pytest.mark.parametrize("vector", NOTE_VECTORS, ids=_note_id)
def test_published_key_id_is_recomputed_from_name_and_public_key(vector: dict[str, Any]) -> None:
    key = parse_verifier_key(vector["verifier_key"])
    assert compute_key_id(key.name, key.signature_type, key.public_key) == key.key_id
    assert key.text() == vector["verifier_key"]


@pytest.mark.parametrize("vector", NOTE_VECTORS, ids=_note_id)
def test_published_note_with_a_changed_text_is_rejected(vector: dict[str, Any]) -> None:
    verifier = Ed25519NoteVerifier.from_verifier_key(vector["verifier_key"])
    tampered = vector["full_signed_note"].replace(vector["note_text"][:5], "Xhis ", 1)
    with pytest.raises(IntegrityViolation):
        verify_note(tampered, [verifier])


def test_verifier_key_whose_base64_holds_a_plus_sign_parses() -> None:
    key = parse_verifier_key(NOTE_VECTORS[1]["verifier_key"])
    assert "+" in base64.b64encode(bytes([1]) + key.public_key).decode()
    assert key.name == "sum.golang.org"


@pytest.fixture
def signer() -> Ed25519NoteSigner:
    return Ed25519NoteSigner.generate("example.org/log")


def test_signed_note_round_trips(signer: Ed25519NoteSigner) -> None:
    note = sign_note("line one\n\nline three\n", [signer])
    opened = verify_note(note, [signer.verifier()])
    assert opened.text == "line one\n\nline three\n"


def test_a_note_signed_only_by_unknown_keys_is_rejected(signer: Ed25519NoteSigner) -> None:
    stranger = Ed25519NoteSigner.generate("example.org/other")
    with pytest.raises(IntegrityViolation, match="trusted"):
        verify_note(sign_note("hello\n", [stranger]), [signer.verifier()])


def test_unknown_signatures_are_ignored_next_to_a_known_one(signer: Ed25519NoteSigner) -> None:
    witnesses = [Ed25519NoteSigner.generate(f"witness{number}.example") for number in range(15)]
    note = sign_note("hello\n", [*witnesses, signer])
    assert verify_note(note, [signer.verifier()]).verified_by == ("example.org/log",)


def test_same_name_with_another_key_id_counts_as_unknown(signer: Ed25519NoteSigner) -> None:
    impostor = Ed25519NoteSigner.generate("example.org/log")
    note = sign_note("hello\n", [impostor, signer])
    assert verify_note(note, [signer.verifier()]).verified_by == ("example.org/log",)


def test_a_known_key_whose_signature_fails_rejects_the_whole_note(
    signer: Ed25519NoteSigner,
) -> None:
    second = Ed25519NoteSigner.generate("example.org/second")
    note = sign_note("hello\n", [signer, second])
    good_line, bad_line = note.split("\n\n")[1].splitlines()
    payload = bytearray(base64.b64decode(bad_line.split(" ")[2]))
    payload[-1] ^= 1
    forged = f"hello\n\n{good_line}\n— example.org/second {base64.b64encode(payload).decode()}\n"
    with pytest.raises(IntegrityViolation, match="does not verify"):
        verify_note(forged, [signer.verifier(), second.verifier()])


@pytest.mark.parametrize(
    ("note", "reason"),
    [
        ("hello\n— k AAAAAAA=\n", "blank line"),
        ("hello\n\n", "no signature lines"),
        ("hello\n\n- k AAAAAAAA\n", "not a signature line"),
        ("hello\n\n— k !!!!\n", "not base64"),
        ("hello\n\n— k AAAA\n", "too short"),
        ("hello\n\n— a+b AAAAAAAA\n", "key name"),
        ("he\tllo\n\n— k AAAAAAAA\n", "control characters"),
        ("hello\n\n— k AAAAAAAA", "newline"),
    ],
)
def test_malformed_notes_are_refused(note: str, reason: str) -> None:
    with pytest.raises(ValidationFailed, match=reason):
        parse_signed_note(note)


def test_sixteen_signatures_are_read_and_more_than_a_hundred_refused() -> None:
    line = "— k AAAAAAAA\n"
    assert len(parse_signed_note("hello\n\n" + line * 16).signatures) == 16
    with pytest.raises(ValidationFailed, match="more than"):
        parse_signed_note("hello\n\n" + line * 101)


@pytest.mark.parametrize("name", ["", "has space", "plus+sign", "ideographic\u3000space"])
def test_key_names_with_spaces_or_plus_are_refused(name: str) -> None:
    with pytest.raises(ValidationFailed):
        Ed25519NoteSigner.generate(name)


def test_a_note_text_must_end_with_a_newline(signer: Ed25519NoteSigner) -> None:
    with pytest.raises(ValidationFailed):
        sign_note("no newline", [signer])


def test_signing_key_text_round_trips_in_the_go_note_format(signer: Ed25519NoteSigner) -> None:
    text = signer.private_key_text()
    assert text.startswith(f"PRIVATE+KEY+example.org/log+{signer.key_id:08x}+")
    again = Ed25519NoteSigner.from_private_key_text(text)
    assert again.verifier_key() == signer.verifier_key()


@pytest.mark.parametrize(
    "text",
    [
        "example.org/log+0000000+AQ==",
        "example.org/log+zzzzzzzz+AQ==",
        "example.org/log+0x123456+AQ==",
        "example.org/log+12345678",
        "example.org/log+12345678+!!",
    ],
)
def test_malformed_verifier_keys_are_refused(text: str) -> None:
    with pytest.raises(ValidationFailed):
        parse_verifier_key(text)


def test_a_verifier_key_whose_id_does_not_match_is_refused(signer: Ed25519NoteSigner) -> None:
    name, key_id, encoded = signer.verifier_key().split("+", 2)
    wrong = f"{name}+{(int(key_id, 16) ^ 1):08x}+{encoded}"
    with pytest.raises(ValidationFailed, match="key ID"):
        parse_verifier_key(wrong)
