"""The transparency log object: checkpoints, keys and rotation, proofs, tiles, group commit."""

from __future__ import annotations

import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from weiquan.adapters.tlog import (
    Ed25519NoteSigner,
    KeyStore,
    TransparencyLog,
    open_transparency_log,
)
from weiquan.domain.errors import Conflict, IntegrityViolation, NotFound, ValidationFailed
from weiquan.domain.tlog import (
    TILE_WIDTH,
    TiledNodeReader,
    TileRef,
    consistency_path,
    inclusion_path,
    leaf_hash,
    open_checkpoint,
    parse_entry_bundle,
    parse_tlog_proof,
    verify_checkpoints_consistent,
    verify_tlog_proof,
)

ORIGIN = "weiquan.example/log"


def entries(start: int, end: int) -> list[bytes]:
    return [f'{{"kind":"test","n":{index}}}'.encode() for index in range(start, end)]


@pytest.fixture
def opened(tmp_path: Path) -> Iterator[tuple[TransparencyLog, KeyStore]]:
    log, keys = open_transparency_log(tmp_path / "log", tmp_path / "keys", origin=ORIGIN)
    yield log, keys
    log.close()


def test_first_start_generates_a_private_key_only_its_owner_can_read(tmp_path: Path) -> None:
    log, _ = open_transparency_log(tmp_path / "log", tmp_path / "keys", origin=ORIGIN)
    log.close()
    private = list((tmp_path / "keys").glob("*.key"))
    assert len(private) == 1
    assert stat.S_IMODE(private[0].stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "keys").stat().st_mode) == 0o700
    again, _ = open_transparency_log(tmp_path / "log", tmp_path / "keys", origin=ORIGIN)
    again.close()
    assert list((tmp_path / "keys").glob("*.key")) == private


def test_a_key_readable_by_others_is_refused(tmp_path: Path) -> None:
    keys = KeyStore(tmp_path / "keys", name=ORIGIN)
    key_file = tmp_path / "keys" / f"ed25519-{keys.create_first_key().key_id:08x}.key"
    key_file.chmod(0o644)
    with pytest.raises(IntegrityViolation, match="chmod 600"):
        keys.active_signer()


def test_checkpoint_is_signed_for_the_durable_size(
    opened: tuple[TransparencyLog, KeyStore],
) -> None:
    log, keys = opened
    empty = open_checkpoint(log.checkpoint(), keys.verifiers())
    assert (empty.origin, empty.size) == (ORIGIN, 0)
    log.append_many(entries(0, 300))
    checkpoint = open_checkpoint(log.checkpoint(), keys.verifiers())
    assert checkpoint.size == 300
    assert checkpoint.root == log.root()
    verify_checkpoints_consistent(empty, checkpoint, [])


def test_checkpoints_before_and_after_a_key_rotation_both_verify(
    opened: tuple[TransparencyLog, KeyStore],
) -> None:
    log, keys = opened
    log.append_many(entries(0, 10))
    before = log.checkpoint()
    old_key = keys.active_signer().key_id
    log.replace_signer(keys.rotate())
    log.append_many(entries(10, 20))
    after = log.checkpoint()
    assert keys.active_signer().key_id != old_key
    assert not (keys.directory / f"ed25519-{old_key:08x}.key").exists()
    verifiers = keys.verifiers()
    assert len(verifiers) == 2
    older = open_checkpoint(before, verifiers)
    newer = open_checkpoint(after, verifiers)
    verify_checkpoints_consistent(older, newer, log.consistency_proof(10, 20))
    with pytest.raises(IntegrityViolation):
        open_checkpoint(after, verifiers[1:])  # the retired key alone cannot vouch for it


def test_a_signer_for_another_origin_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationFailed):
        TransparencyLog(
            tmp_path / "log", origin=ORIGIN, signer=Ed25519NoteSigner.generate("other.example")
        )


def test_reopening_with_another_origin_is_refused(tmp_path: Path) -> None:
    log, _ = open_transparency_log(tmp_path / "log", tmp_path / "keys", origin=ORIGIN)
    log.checkpoint()
    log.close()
    KeyStore(tmp_path / "other-keys", name="other.example").create_first_key()
    with pytest.raises(ValidationFailed, match="holds the log"):
        open_transparency_log(tmp_path / "log", tmp_path / "other-keys", origin="other.example")


def test_a_published_checkpoint_the_stored_tree_cannot_back_stops_the_log(tmp_path: Path) -> None:
    log, _ = open_transparency_log(tmp_path / "log", tmp_path / "keys", origin=ORIGIN)
    log.append_many(entries(0, 10))
    log.checkpoint()
    log.close()
    commits = tmp_path / "log" / "tree" / "commits"
    commits.write_bytes(commits.read_bytes()[:0])  # as if the acknowledged batch were lost
    with pytest.raises(IntegrityViolation, match="missing"):
        open_transparency_log(tmp_path / "log", tmp_path / "keys", origin=ORIGIN)


def test_tlog_proof_for_an_entry_verifies_offline(
    opened: tuple[TransparencyLog, KeyStore],
) -> None:
    log, keys = opened
    batch = entries(0, 1000)
    log.append_many(batch)
    for index in (0, 255, 256, 999):
        proof = parse_tlog_proof(log.tlog_proof(index))
        checkpoint = verify_tlog_proof(
            proof, leaf_hash=leaf_hash(batch[index]), verifiers=keys.verifiers()
        )
        assert checkpoint.size == 1000


def test_tiles_hold_the_nodes_and_stop_at_the_tree(
    opened: tuple[TransparencyLog, KeyStore],
) -> None:
    log, _ = opened
    batch = entries(0, 70_000)
    log.append_many(batch)
    level0 = log.read_tile(0, 1)
    assert level0[:32] == leaf_hash(batch[256])
    assert len(level0) == TILE_WIDTH * 32
    assert len(log.read_tile(0, 273, 112)) == 112 * 32
    assert len(log.read_tile(1, 1, 17)) == 17 * 32
    assert len(log.read_tile(2, 0, 1)) == 32
    assert log.read_tile(0, 273, 100) == log.read_tile(0, 273, 112)[: 100 * 32]
    for beyond in ((0, 273, TILE_WIDTH), (0, 273, 113), (0, 274, 1), (2, 0, 2), (3, 0, 1)):
        with pytest.raises(NotFound):
            log.read_tile(*beyond)
    assert parse_entry_bundle(log.read_entry_bundle(273, 112)) == batch[273 * 256 :]
    with pytest.raises(NotFound):
        log.read_entry_bundle(273)


def test_proofs_rebuilt_from_served_tiles_match_the_log(
    opened: tuple[TransparencyLog, KeyStore],
) -> None:
    log, _ = opened
    log.append_many(entries(0, 66_000))

    def fetch(ref: TileRef) -> bytes:
        assert ref.level is not None
        return log.read_tile(ref.level, ref.index, ref.width)

    reader = TiledNodeReader(fetch, 66_000)
    assert inclusion_path(reader, 65_537, 66_000) == log.inclusion_proof(65_537)
    assert consistency_path(reader, 300, 66_000) == log.consistency_proof(300)


def test_concurrent_single_appends_share_batches_and_get_distinct_indices(
    opened: tuple[TransparencyLog, KeyStore],
) -> None:
    log, _ = opened
    results: dict[bytes, int] = {}
    lock = threading.Lock()

    def writer(thread: int) -> None:
        for number in range(100):
            entry = f"thread {thread} entry {number}".encode()
            index = log.append(entry)
            with lock:
                results[entry] = index

    threads = [threading.Thread(target=writer, args=(thread,)) for thread in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results.values()) == list(range(800))
    for entry, index in results.items():
        assert log.read_entry(index) == entry
    commits = (log.directory / "tree" / "commits").stat().st_size // 40
    assert commits < 800  # appends were coalesced into shared batches


def test_a_failed_single_append_reports_the_error_to_its_caller(
    opened: tuple[TransparencyLog, KeyStore],
) -> None:
    log, _ = opened
    with pytest.raises(ValidationFailed):
        log.append(b"x" * 70_000)
    assert log.append(b"fine") == 0


def test_a_read_only_view_serves_what_the_writer_published(
    opened: tuple[TransparencyLog, KeyStore],
) -> None:
    writer, keys = opened
    reader = TransparencyLog.reader(writer.directory, origin=ORIGIN)
    try:
        with pytest.raises(NotFound):
            reader.checkpoint()  # nothing published yet
        writer.append_many(entries(0, 300))
        published = writer.checkpoint()
        assert reader.checkpoint() == published
        assert reader.read_tile(0, 1, 44) == writer.read_tile(0, 1, 44)
        writer.append_many(entries(300, 600))
        assert reader.read_tile(0, 1) == writer.read_tile(0, 1)  # catches up on demand
        proof = parse_tlog_proof(reader.tlog_proof(299))
        verify_tlog_proof(
            proof, leaf_hash=leaf_hash(entries(299, 300)[0]), verifiers=keys.verifiers()
        )
        with pytest.raises(Conflict):
            reader.append_many(entries(600, 601))
    finally:
        reader.close()
