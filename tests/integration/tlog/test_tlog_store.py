"""The file store: durable appends, recovery of torn tails, detection of damaged history."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from weiquan.adapters.tlog import FileLogStore
from weiquan.adapters.tlog.store import node_count, node_position
from weiquan.domain.errors import Conflict, IntegrityViolation, NotFound, ValidationFailed
from weiquan.domain.tlog import (
    MemoryTree,
    consistency_path,
    inclusion_path,
    leaf_hash,
    tree_root,
)


def entries(start: int, end: int) -> list[bytes]:
    return [f'{{"kind":"test","n":{index}}}'.encode() for index in range(start, end)]


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    return tmp_path / "tree"


def fill(directory: Path, batches: list[tuple[int, int]]) -> None:
    store = FileLogStore(directory)
    try:
        for start, end in batches:
            assert store.append(entries(start, end)) == start
    finally:
        store.close()


def test_post_order_positions_count_every_earlier_node() -> None:
    tree = MemoryTree()
    tree.append(leaf_hash(entry) for entry in entries(0, 64))
    order = []
    for size in range(1, 65):  # the order in which appending creates nodes
        last = size - 1
        order.append((0, last))
        level = 0
        while (last >> level) & 1:
            level += 1
            order.append((level, last >> level))
    assert [node_position(*node) for node in order] == list(range(len(order)))
    assert node_count(64) == len(order)


def test_stored_tree_gives_the_same_roots_and_proofs_as_memory(store_dir: Path) -> None:
    fill(store_dir, [(0, 1), (1, 300), (300, 1000)])
    tree = MemoryTree()
    tree.append(leaf_hash(entry) for entry in entries(0, 1000))
    store = FileLogStore(store_dir)
    try:
        assert store.size == 1000
        for size in (1, 2, 299, 300, 777, 1000):
            assert store.root(size) == tree_root(tree, size)
        for index in (0, 1, 511, 999):
            assert inclusion_path(store, index, 1000) == inclusion_path(tree, index, 1000)
        assert consistency_path(store, 300, 1000) == consistency_path(tree, 300, 1000)
        assert store.read_entry(512) == entries(512, 513)[0]
    finally:
        store.close()


def test_an_empty_batch_changes_nothing(store_dir: Path) -> None:
    store = FileLogStore(store_dir)
    try:
        assert store.append([]) == 0
        assert store.size == 0
    finally:
        store.close()


def test_an_entry_longer_than_64_kib_is_refused_and_nothing_is_written(store_dir: Path) -> None:
    store = FileLogStore(store_dir)
    try:
        with pytest.raises(ValidationFailed):
            store.append([b"ok", b"x" * 65_536])
        assert store.size == 0
        assert store.append([b"ok"]) == 0
    finally:
        store.close()


def test_a_second_writer_is_refused_while_the_first_holds_the_log(store_dir: Path) -> None:
    store = FileLogStore(store_dir)
    try:
        with pytest.raises(Conflict):
            FileLogStore(store_dir)
    finally:
        store.close()
    FileLogStore(store_dir).close()  # free again once closed


def append_garbage(path: Path, data: bytes) -> None:
    with path.open("ab") as handle:
        handle.write(data)


def test_a_torn_tail_in_every_file_is_cut_back_to_the_last_commit(store_dir: Path) -> None:
    fill(store_dir, [(0, 100), (100, 250)])
    sizes = {name: (store_dir / name).stat().st_size for name in ("entries", "hashes")}
    append_garbage(store_dir / "entries", b"\x00\x09half an e")
    append_garbage(store_dir / "entry-ends", b"\x00\x00\x01")
    append_garbage(store_dir / "hashes", os.urandom(77))
    append_garbage(store_dir / "commits", b"\x00" * 13)
    store = FileLogStore(store_dir)
    try:
        assert store.size == 250
        assert (store_dir / "entries").stat().st_size == sizes["entries"]
        assert (store_dir / "hashes").stat().st_size == sizes["hashes"]
        assert store.append(entries(250, 260)) == 250
        store.verify_integrity()
    finally:
        store.close()


def test_a_zero_filled_last_commit_record_is_discarded(store_dir: Path) -> None:
    fill(store_dir, [(0, 10), (10, 20)])
    append_garbage(store_dir / "commits", bytes(40))
    store = FileLogStore(store_dir)
    try:
        assert store.size == 20
    finally:
        store.close()


def test_entries_written_without_a_commit_record_are_dropped(store_dir: Path) -> None:
    fill(store_dir, [(0, 10), (10, 20)])
    commits = store_dir / "commits"
    with commits.open("r+b") as handle:  # as if the crash came before the last record
        handle.truncate(40)
    store = FileLogStore(store_dir)
    try:
        assert store.size == 10
        with pytest.raises(NotFound):
            store.read_entry(10)
    finally:
        store.close()


def test_damaged_acknowledged_history_is_reported_not_repaired(store_dir: Path) -> None:
    fill(store_dir, [(0, 8), (8, 16), (16, 24)])
    with (store_dir / "hashes").open("r+b") as handle:  # the 16-leaf subtree: a peak of 24
        handle.seek(node_position(4, 0) * 32)
        handle.write(bytes(32))
    with pytest.raises(IntegrityViolation, match="no longer matches"):
        FileLogStore(store_dir)


def test_an_edited_entry_is_found_by_the_full_integrity_check(store_dir: Path) -> None:
    fill(store_dir, [(0, 50)])
    data = (store_dir / "entries").read_bytes()
    (store_dir / "entries").write_bytes(data.replace(b'"n":7}', b'"n":8}', 1))
    store = FileLogStore(store_dir)
    try:
        with pytest.raises(IntegrityViolation, match="differ"):
            store.verify_integrity()
    finally:
        store.close()


def test_readers_never_see_a_size_whose_nodes_are_missing(store_dir: Path) -> None:
    store = FileLogStore(store_dir)
    stop = threading.Event()
    failures: list[BaseException] = []

    def read_continuously() -> None:
        while not stop.is_set():
            size = store.size
            try:
                if size:
                    inclusion_path(store, size - 1, size)
                    store.read_entry(size - 1)
            except BaseException as error:  # noqa: BLE001 - collected and asserted below
                failures.append(error)
                return

    reader = threading.Thread(target=read_continuously)
    reader.start()
    try:
        for start in range(0, 5000, 100):
            store.append(entries(start, start + 100))
    finally:
        stop.set()
        reader.join()
        store.close()
    assert failures == []
