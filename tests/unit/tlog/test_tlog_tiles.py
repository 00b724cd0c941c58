"""C2SP tlog-tiles coordinates, paths, entry bundles, and proofs computed from tiles."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from weiquan.domain.errors import IntegrityViolation, NotFound, ValidationFailed
from weiquan.domain.tlog import (
    MemoryTree,
    TiledNodeReader,
    TileRef,
    consistency_path,
    encode_tile_index,
    format_entry_bundle,
    inclusion_path,
    leaf_hash,
    parse_entry_bundle,
    parse_tile_path,
    subtree_root,
    tile_width,
    tree_root,
)
from weiquan.domain.tlog.tiles import TileFetcher, audit_tiles


def entries_of(size: int) -> list[bytes]:
    return [f"entry {index}".encode() for index in range(size)]


def memory_log(size: int) -> tuple[MemoryTree, list[bytes]]:
    entries = entries_of(size)
    tree = MemoryTree()
    tree.append(leaf_hash(entry) for entry in entries)
    return tree, entries


def tile_server(tree: MemoryTree, entries: list[bytes]) -> TileFetcher:
    """Serve tiles the way the spec defines them, straight from the in-memory tree."""

    def fetch(ref: TileRef) -> bytes:
        first = ref.index * 256
        if ref.level is None:
            return format_entry_bundle(entries[first : first + ref.width])
        return b"".join(
            tree.node_hash(8 * ref.level, first + offset) for offset in range(ref.width)
        )

    return fetch


@pytest.mark.parametrize(
    ("index", "encoded"),
    [(0, "000"), (5, "005"), (999, "999"), (1000, "x001/000"), (1234067, "x001/x234/067")],
)
def test_tile_index_is_written_in_groups_of_three_digits(index: int, encoded: str) -> None:
    assert encode_tile_index(index) == encoded


@given(
    level=st.one_of(st.none(), st.integers(0, 63)),
    index=st.integers(0, 10**18),
    width=st.integers(1, 256),
)
def test_every_tile_path_parses_back_to_its_tile(level: int | None, index: int, width: int) -> None:
    ref = TileRef(level, index, width)
    assert parse_tile_path(ref.path()) == ref


def test_tile_paths_look_as_the_specification_shows() -> None:
    assert TileRef(0, 1234067).path() == "tile/0/x001/x234/067"
    assert TileRef(1, 5, 17).path() == "tile/1/005.p/17"
    assert TileRef(None, 0, 3).path() == "tile/entries/000.p/3"


@pytest.mark.parametrize(
    "path",
    [
        "tile/0/5",
        "tile/0/0005",
        "tile/0/x000/005",
        "tile/0/001/002",
        "tile/0/x001/x002",
        "tile/01/000",
        "tile/64/000",
        "tile/-1/000",
        "tile/0/000.p/0",
        "tile/0/000.p/256",
        "tile/0/000.p/007",
        "tile/0/000.p",
        "tile/entries/x001",
        "tile/0/x001.p/5",
        "tiles/0/000",
        "tile/0",
        "tile/0/000/",
    ],
)
def test_non_canonical_or_malformed_tile_paths_are_refused(path: str) -> None:
    with pytest.raises(ValidationFailed):
        parse_tile_path(path)


def test_tile_widths_match_the_specification_example_of_70000_entries() -> None:
    size = 70_000
    assert [tile_width(0, index, size) for index in (0, 272, 273, 274)] == [256, 256, 112, 0]
    assert [tile_width(1, index, size) for index in (0, 1, 2)] == [256, 17, 0]
    assert [tile_width(2, index, size) for index in (0, 1)] == [1, 0]


def test_a_tree_of_256_entries_has_one_full_tile_and_a_level_1_tile_of_width_1() -> None:
    assert tile_width(0, 0, 256) == 256
    assert tile_width(0, 1, 256) == 0
    assert tile_width(1, 0, 256) == 1


def test_a_level_1_tile_hash_is_the_root_of_256_entries() -> None:
    tree, entries = memory_log(600)
    tile = tile_server(tree, entries)(TileRef(1, 0, 2))
    assert tile[32:] == subtree_root(tree, 256, 512)


@pytest.mark.parametrize("size", [1, 2, 255, 256, 257, 511, 65_535, 65_536, 65_537, 70_000])
def test_proofs_computed_from_tiles_equal_proofs_from_the_whole_tree(size: int) -> None:
    tree, entries = memory_log(size)
    from_tiles = TiledNodeReader(tile_server(tree, entries), size)
    assert tree_root(from_tiles, size) == tree_root(tree, size)
    for index in {0, size // 3, size // 2, size - 1}:
        assert inclusion_path(from_tiles, index, size) == inclusion_path(tree, index, size)
    for old in {1, size // 3, size - 1, size} - {0}:
        assert consistency_path(from_tiles, old, size) == consistency_path(tree, old, size)


def test_a_tile_of_the_wrong_length_is_refused() -> None:
    tree, entries = memory_log(300)
    honest = tile_server(tree, entries)
    reader = TiledNodeReader(lambda ref: honest(ref)[:-1], 300)
    with pytest.raises(IntegrityViolation):
        reader.node_hash(0, 3)


def test_a_node_outside_the_tree_is_not_found() -> None:
    tree, entries = memory_log(300)
    reader = TiledNodeReader(tile_server(tree, entries), 300)
    with pytest.raises(NotFound):
        reader.node_hash(0, 300)
    with pytest.raises(NotFound):
        reader.node_hash(9, 0)  # 512 leaves


def test_entry_bundle_round_trips_with_empty_and_maximal_entries() -> None:
    entries = [b"", b"x", bytes(range(256)) * 255 + b"\x00" * 255]
    assert len(entries[2]) == 65535
    assert parse_entry_bundle(format_entry_bundle(entries)) == entries


def test_entry_longer_than_a_uint16_cannot_be_bundled() -> None:
    with pytest.raises(ValidationFailed):
        format_entry_bundle([b"x" * 65536])


@pytest.mark.parametrize("bundle", [b"\x00", b"\x00\x05abc", b"\x00\x01a\x00"])
def test_a_truncated_entry_bundle_is_refused(bundle: bytes) -> None:
    with pytest.raises(IntegrityViolation):
        parse_entry_bundle(bundle)


def test_an_audit_of_honest_tiles_rebuilds_the_root() -> None:
    tree, entries = memory_log(1000)
    audit_tiles(tile_server(tree, entries), size=1000, root=tree_root(tree, 1000))


def test_an_audit_finds_an_entry_that_was_changed_after_logging() -> None:
    tree, entries = memory_log(1000)
    entries[700] = b"entry 700, edited later"
    with pytest.raises(IntegrityViolation, match="bundle 2"):
        audit_tiles(tile_server(tree, entries), size=1000, root=tree_root(tree, 1000))


def test_an_audit_finds_tiles_that_do_not_rebuild_the_signed_root() -> None:
    tree, entries = memory_log(1000)
    with pytest.raises(IntegrityViolation, match="root"):
        audit_tiles(tile_server(tree, entries), size=1000, root=tree_root(tree, 999))
