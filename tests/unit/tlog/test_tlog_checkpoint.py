"""C2SP checkpoints and tlog-proof bundles."""

from __future__ import annotations

import base64

import pytest

from tests.unit.tlog.vectors import VECTORS
from weiquan.adapters.tlog import Ed25519NoteSigner, Ed25519NoteVerifier
from weiquan.domain.errors import IntegrityViolation, ValidationFailed
from weiquan.domain.tlog import (
    EMPTY_ROOT,
    Checkpoint,
    MemoryTree,
    TlogProof,
    inclusion_path,
    leaf_hash,
    open_checkpoint,
    parse_checkpoint,
    parse_tlog_proof,
    sign_note,
    tree_root,
    verify_checkpoints_consistent,
    verify_tlog_proof,
)
from weiquan.domain.tlog.proof_bundle import ConsistencyProofFile, parse_consistency_proof

ROOT = bytes(range(32))
ROOT_TEXT = base64.b64encode(ROOT).decode()


def test_the_go_checksum_database_checkpoint_opens() -> None:
    vector = VECTORS["signed_note_vectors"][1]
    verifier = Ed25519NoteVerifier.from_verifier_key(vector["verifier_key"])
    checkpoint = open_checkpoint(
        vector["full_signed_note"], [verifier], origin="go.sum database tree"
    )
    assert checkpoint.size == 6476701
    assert checkpoint.body() == vector["note_text"]


def test_checkpoint_body_round_trips_with_extension_lines() -> None:
    checkpoint = Checkpoint("example.org/log", 42, ROOT, ("ext one", "ext two"))
    assert checkpoint.body() == f"example.org/log\n42\n{ROOT_TEXT}\next one\next two\n"
    assert parse_checkpoint(checkpoint.body()) == checkpoint


@pytest.mark.parametrize(
    "text",
    [
        f"example.org/log\n042\n{ROOT_TEXT}\n",
        f"example.org/log\n-1\n{ROOT_TEXT}\n",
        f"example.org/log\n4 2\n{ROOT_TEXT}\n",
        "example.org/log\n42\nAAAA\n",
        "example.org/log\n42\nnot base64!\n",
        f"\n42\n{ROOT_TEXT}\n",
        "example.org/log\n42\n",
        f"example.org/log\n42\n{ROOT_TEXT}",
        f"example.org/log\n42\n{ROOT_TEXT}\n\n",
    ],
)
def test_malformed_checkpoints_are_refused(text: str) -> None:
    with pytest.raises(ValidationFailed):
        parse_checkpoint(text)


@pytest.fixture
def signer() -> Ed25519NoteSigner:
    return Ed25519NoteSigner.generate("example.org/log")


def test_a_checkpoint_for_another_origin_is_refused(signer: Ed25519NoteSigner) -> None:
    note = sign_note(Checkpoint("example.org/other", 1, ROOT).body(), [signer])
    with pytest.raises(IntegrityViolation, match="other"):
        open_checkpoint(note, [signer.verifier()])


def test_every_tree_extends_the_empty_tree() -> None:
    empty = Checkpoint("example.org/log", 0, EMPTY_ROOT)
    verify_checkpoints_consistent(empty, Checkpoint("example.org/log", 5, ROOT), [])


def test_an_empty_checkpoint_with_a_non_empty_root_is_refused() -> None:
    bogus = Checkpoint("example.org/log", 0, ROOT)
    with pytest.raises(IntegrityViolation):
        verify_checkpoints_consistent(bogus, Checkpoint("example.org/log", 5, ROOT), [])


def test_checkpoints_of_different_logs_are_never_consistent() -> None:
    with pytest.raises(IntegrityViolation, match="different logs"):
        verify_checkpoints_consistent(
            Checkpoint("example.org/a", 1, ROOT), Checkpoint("example.org/b", 1, ROOT), []
        )


def test_tlog_proof_round_trips_and_verifies(signer: Ed25519NoteSigner) -> None:
    tree = MemoryTree()
    entries = [f"entry {index}".encode() for index in range(11)]
    tree.append(leaf_hash(entry) for entry in entries)
    note = sign_note(Checkpoint("example.org/log", 11, tree_root(tree, 11)).body(), [signer])
    proof = TlogProof(7, tuple(inclusion_path(tree, 7, 11)), note, extra=b"context")
    parsed = parse_tlog_proof(proof.text())
    assert parsed == proof
    checkpoint = verify_tlog_proof(
        parsed, leaf_hash=leaf_hash(entries[7]), verifiers=[signer.verifier()]
    )
    assert checkpoint.size == 11
    with pytest.raises(IntegrityViolation):
        verify_tlog_proof(parsed, leaf_hash=leaf_hash(entries[6]), verifiers=[signer.verifier()])


def test_the_specification_example_of_a_tlog_proof_parses() -> None:
    example = (
        "c2sp.org/tlog-proof@v1\n"
        "extra YWdlLXYxLjIuMS1kYXJ3aW4tYXJtNjQudGFyLmd6kYXJ3aW4tYXJ\n"
        "index 73894\n"
        "gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=\n"
        "B95lDa8R83lS8n0eG+o0buTxRKQTYFi//1U8anccXmA=\n"
        "EKNzoDWG8LGC0Yp9o+sv3qllpMP9uHQ9B20KNL+Q1zs=\n"
        "RoopEkOdqkYqMB4MJXrbt/hMjOxsVn0IrWjpz1ZMMes=\n"
        "AHCioX9nLjsrse6YhjRRmk1WUEirVOLLRoOQ6vfO5vk=\n"
        "\n"
        "example.com/fancylog\n109482\nsFodV/vSp5O8n9a8QpW6PRY97tfOSW5bsc2Xl/EQi08=\n\n"
        "— example.com/fancylog hI2DJw==\n"
    )
    proof = parse_tlog_proof(example)
    assert proof.index == 73894
    assert len(proof.path) == 5
    assert proof.checkpoint_note.startswith("example.com/fancylog\n109482\n")


@pytest.mark.parametrize(
    "text",
    [
        "c2sp.org/tlog-proof@v2\nindex 1\n\nnote\n",
        "c2sp.org/tlog-proof@v1\n\nnote\n",
        "c2sp.org/tlog-proof@v1\nindex 01\n\nnote\n",
        "c2sp.org/tlog-proof@v1\nindex 1\nAAAA\n\nnote\n",
        "c2sp.org/tlog-proof@v1\nindex 1\n",
    ],
)
def test_malformed_tlog_proofs_are_refused(text: str) -> None:
    with pytest.raises(ValidationFailed):
        parse_tlog_proof(text)


def test_consistency_proof_file_round_trips() -> None:
    stored = ConsistencyProofFile(3, 7, (ROOT, bytes(32)))
    assert parse_consistency_proof(stored.text()) == stored


def test_a_consistency_proof_file_with_a_short_hash_is_refused() -> None:
    text = ConsistencyProofFile(3, 7, (ROOT,)).text().replace(ROOT_TEXT, "AAAA")
    with pytest.raises(ValidationFailed):
        parse_consistency_proof(text)
