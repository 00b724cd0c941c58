"""Properties over random trees: every proof verifies, any single-bit change fails, and the
iterative code agrees with the RFC's recursive definitions written out naively here."""

from __future__ import annotations

import hashlib
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from weiquan.domain.errors import IntegrityViolation
from weiquan.domain.tlog import (
    CompactRange,
    MemoryTree,
    consistency_path,
    inclusion_path,
    leaf_hash,
    tree_root,
    verify_consistency,
    verify_inclusion,
)

MAX_LEAVES = 3000


@cache
def tree_of(size: int) -> tuple[MemoryTree, tuple[bytes, ...]]:
    """A tree of distinct entries, so no two subtrees share a hash by accident."""
    leaves = tuple(leaf_hash(f"entry {index}".encode()) for index in range(size))
    tree = MemoryTree()
    tree.append(leaves)
    return tree, leaves


# -- the RFC 9162 §2.1 definitions, recursively, as an independent oracle ----------------------


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def oracle_mth(leaves: tuple[bytes, ...]) -> bytes:
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = _k(len(leaves))
    return hashlib.sha256(b"\x01" + oracle_mth(leaves[:k]) + oracle_mth(leaves[k:])).digest()


def oracle_path(m: int, leaves: tuple[bytes, ...]) -> list[bytes]:
    if len(leaves) == 1:
        return []
    k = _k(len(leaves))
    if m < k:
        return [*oracle_path(m, leaves[:k]), oracle_mth(leaves[k:])]
    return [*oracle_path(m - k, leaves[k:]), oracle_mth(leaves[:k])]


def oracle_subproof(m: int, leaves: tuple[bytes, ...], *, whole: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if whole else [oracle_mth(leaves)]
    k = _k(n)
    if m <= k:
        return [*oracle_subproof(m, leaves[:k], whole=whole), oracle_mth(leaves[k:])]
    return [*oracle_subproof(m - k, leaves[k:], whole=False), oracle_mth(leaves[:k])]


@settings(max_examples=60, deadline=None)
@given(size=st.integers(0, 300))
def test_compact_range_and_stored_tree_agree_with_the_recursive_definition(size: int) -> None:
    tree, leaves = tree_of(size)
    compact = CompactRange()
    compact.append(leaves)
    assert compact.root() == oracle_mth(leaves) == tree_root(tree, size)


@settings(max_examples=40, deadline=None)
@given(data=st.data(), size=st.integers(1, 200))
def test_generated_proofs_equal_the_recursive_definition(data: st.DataObject, size: int) -> None:
    tree, leaves = tree_of(size)
    index = data.draw(st.integers(0, size - 1))
    assert inclusion_path(tree, index, size) == oracle_path(index, leaves)
    old = data.draw(st.integers(1, size))
    assert consistency_path(tree, old, size) == oracle_subproof(old, leaves, whole=True)


@settings(max_examples=15, deadline=None)
@given(size=st.integers(1, MAX_LEAVES))
def test_every_inclusion_proof_of_a_random_tree_verifies(size: int) -> None:
    tree, leaves = tree_of(size)
    root = tree_root(tree, size)
    for index in range(size):
        verify_inclusion(
            leaf_hash=leaves[index],
            index=index,
            size=size,
            path=inclusion_path(tree, index, size),
            root=root,
        )


@settings(max_examples=15, deadline=None)
@given(size=st.integers(1, MAX_LEAVES))
def test_every_consistency_proof_into_a_random_tree_verifies(size: int) -> None:
    tree, _ = tree_of(size)
    new_root = tree_root(tree, size)
    for old in range(1, size + 1):
        verify_consistency(
            old_size=old,
            new_size=size,
            old_root=tree_root(tree, old),
            new_root=new_root,
            path=consistency_path(tree, old, size),
        )


def flip_bit(values: list[bytes], bit: int) -> list[bytes]:
    """Flip bit number ``bit`` of the concatenation of ``values``."""
    flipped = [bytearray(value) for value in values]
    for value in flipped:
        if bit < len(value) * 8:
            value[bit // 8] ^= 1 << (bit % 8)
            break
        bit -= len(value) * 8
    return [bytes(value) for value in flipped]


@settings(max_examples=300, deadline=None)
@given(data=st.data(), size=st.integers(1, MAX_LEAVES))
def test_any_single_bit_change_breaks_an_inclusion_proof(data: st.DataObject, size: int) -> None:
    tree, leaves = tree_of(size)
    index = data.draw(st.integers(0, size - 1))
    parts = [leaves[index], tree_root(tree, size), *inclusion_path(tree, index, size)]
    bit = data.draw(st.integers(0, len(parts) * 256 - 1))
    leaf, root, *path = flip_bit(parts, bit)
    with pytest.raises(IntegrityViolation):
        verify_inclusion(leaf_hash=leaf, index=index, size=size, path=path, root=root)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), size=st.integers(2, MAX_LEAVES))
def test_any_single_bit_change_breaks_a_consistency_proof(data: st.DataObject, size: int) -> None:
    tree, _ = tree_of(size)
    old = data.draw(st.integers(1, size - 1))
    parts = [tree_root(tree, old), tree_root(tree, size), *consistency_path(tree, old, size)]
    bit = data.draw(st.integers(0, len(parts) * 256 - 1))
    old_root, new_root, *path = flip_bit(parts, bit)
    with pytest.raises(IntegrityViolation):
        verify_consistency(
            old_size=old, new_size=size, old_root=old_root, new_root=new_root, path=path
        )


@settings(max_examples=200, deadline=None)
@given(data=st.data(), size=st.integers(2, MAX_LEAVES))
def test_an_inclusion_proof_holds_for_no_other_index(data: st.DataObject, size: int) -> None:
    tree, leaves = tree_of(size)
    index = data.draw(st.integers(0, size - 1))
    other = data.draw(st.integers(0, size).filter(lambda candidate: candidate != index))
    with pytest.raises(IntegrityViolation):
        verify_inclusion(
            leaf_hash=leaves[index],
            index=other,
            size=size,
            path=inclusion_path(tree, index, size),
            root=tree_root(tree, size),
        )


@settings(max_examples=200, deadline=None)
@given(data=st.data(), size=st.integers(3, MAX_LEAVES))
def test_a_consistency_proof_holds_for_no_other_older_size(data: st.DataObject, size: int) -> None:
    tree, _ = tree_of(size)
    old = data.draw(st.integers(1, size - 1))
    other = data.draw(st.integers(1, size - 1).filter(lambda value: value != old))
    with pytest.raises(IntegrityViolation):
        verify_consistency(
            old_size=other,
            new_size=size,
            old_root=tree_root(tree, old),
            new_root=tree_root(tree, size),
            path=consistency_path(tree, old, size),
        )


def test_a_path_pins_the_root_but_only_a_signed_checkpoint_pins_the_size() -> None:
    """Leaf 0's path has the same shape in trees of 257 and 258 leaves, so it leads to the
    257-leaf root under either size.  Verifiers therefore take size and root from one signed
    checkpoint, never from separate sources (docs/ledger.md, "What a proof proves")."""
    tree, leaves = tree_of(258)
    path = inclusion_path(tree, 0, 257)
    for claimed_size in (257, 258):
        verify_inclusion(
            leaf_hash=leaves[0], index=0, size=claimed_size, path=path, root=tree_root(tree, 257)
        )
    with pytest.raises(IntegrityViolation):
        verify_inclusion(
            leaf_hash=leaves[0], index=0, size=258, path=path, root=tree_root(tree, 258)
        )


def test_every_bit_of_one_proof_matters() -> None:
    """Exhaustive rather than sampled, for one inclusion and one consistency proof."""
    tree, leaves = tree_of(37)
    parts = [leaves[13], tree_root(tree, 37), *inclusion_path(tree, 13, 37)]
    for bit in range(len(parts) * 256):
        leaf, root, *path = flip_bit(parts, bit)
        with pytest.raises(IntegrityViolation):
            verify_inclusion(leaf_hash=leaf, index=13, size=37, path=path, root=root)
    parts = [tree_root(tree, 11), tree_root(tree, 37), *consistency_path(tree, 11, 37)]
    for bit in range(len(parts) * 256):
        old_root, new_root, *path = flip_bit(parts, bit)
        with pytest.raises(IntegrityViolation):
            verify_consistency(
                old_size=11, new_size=37, old_root=old_root, new_root=new_root, path=path
            )


@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_a_border_cache_shared_across_sizes_never_changes_a_path(data: st.DataObject) -> None:
    tree, _ = tree_of(MAX_LEAVES)
    cache: dict[tuple[int, int], bytes] = {}
    for _ in range(20):
        size = data.draw(st.integers(1, MAX_LEAVES))
        index = data.draw(st.integers(0, size - 1))
        cached = inclusion_path(tree, index, size, border_cache=cache)
        assert cached == inclusion_path(tree, index, size)
