"""Every vector in tests/data/rfc6962-merkle.json, including all 196 transparency-dev probes."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.tlog.vectors import REFERENCE_LEAVES, VECTORS, unhex
from weiquan.domain.errors import IntegrityViolation
from weiquan.domain.tlog import (
    EMPTY_ROOT,
    CompactRange,
    MemoryTree,
    consistency_path,
    inclusion_path,
    leaf_hash,
    node_hash,
    tree_root,
    verify_consistency,
    verify_inclusion,
)


def reference_tree(size: int) -> MemoryTree:
    tree = MemoryTree()
    tree.append(leaf_hash(leaf) for leaf in REFERENCE_LEAVES[:size])
    return tree


def _hash_vector_id(vector: dict[str, Any]) -> str:
    return str(vector["desc"])


@pytest.mark.parametrize("vector", VECTORS["hash_function_vectors"], ids=_hash_vector_id)
def test_hash_function_matches_published_vector(vector: dict[str, Any]) -> None:
    if vector["kind"] == "empty_tree":
        computed = EMPTY_ROOT
    elif vector["kind"] == "leaf_hash":
        computed = leaf_hash(bytes.fromhex(vector["input_hex"]))
    else:
        computed = node_hash(bytes.fromhex(vector["left_hex"]), bytes.fromhex(vector["right_hex"]))
    assert computed.hex() == vector["expected_hex"]


@pytest.mark.parametrize("size", range(9))
def test_root_of_reference_tree_matches_for_every_size(size: int) -> None:
    expected = VECTORS["reference_tree"]["roots_by_tree_size"][str(size)]["root"]
    compact = CompactRange()
    compact.append(leaf_hash(leaf) for leaf in REFERENCE_LEAVES[:size])
    assert compact.root().hex() == expected
    assert tree_root(reference_tree(size), size).hex() == expected


def test_every_complete_subtree_of_the_reference_tree_matches() -> None:
    by_level = VECTORS["reference_tree"]["complete_subtree_hashes_by_level"]
    tree = reference_tree(8)
    for level, key in enumerate(["level0_leaves", "level1", "level2", "level3_root8"]):
        stored = [tree.node_hash(level, index).hex() for index in range(8 >> level)]
        assert stored == by_level[key]


def _inclusion_id(vector: dict[str, Any]) -> str:
    return f"leaf{vector['leaf_index']}-of-{vector['tree_size']}"


@pytest.mark.parametrize("vector", VECTORS["inclusion_proofs"], ids=_inclusion_id)
def test_published_inclusion_path_is_generated_exactly_and_verifies(
    vector: dict[str, Any],
) -> None:
    size, index = vector["tree_size"], vector["leaf_index"]
    path = inclusion_path(reference_tree(size), index, size)
    assert [node.hex() for node in path] == vector["inclusion_path_hex"]
    verify_inclusion(
        leaf_hash=bytes.fromhex(vector["leaf_hash_hex"]),
        index=index,
        size=size,
        path=path,
        root=bytes.fromhex(vector["root_hex"]),
    )


def _consistency_id(vector: dict[str, Any]) -> str:
    return f"{vector['first']}-to-{vector['second']}"


@pytest.mark.parametrize("vector", VECTORS["consistency_proofs"], ids=_consistency_id)
def test_published_consistency_proof_is_generated_exactly_and_verifies(
    vector: dict[str, Any],
) -> None:
    old, new = vector["first"], vector["second"]
    path = consistency_path(reference_tree(new), old, new)
    assert [node.hex() for node in path] == vector["consistency_path_hex"]
    verify_consistency(
        old_size=old,
        new_size=new,
        old_root=bytes.fromhex(vector["first_root_hex"]),
        new_root=bytes.fromhex(vector["second_root_hex"]),
        path=path,
    )


def test_real_certificate_transparency_inclusion_proof_verifies() -> None:
    vector = VECTORS["real_ct_log_inclusion_proof"]
    hashed = leaf_hash(bytes.fromhex(vector["raw_leaf_hex"]))
    assert hashed.hex() == vector["leaf_hash_hex"]
    verify_inclusion(
        leaf_hash=hashed,
        index=vector["leaf_index"],
        size=vector["tree_size"],
        path=unhex(vector["inclusion_path_hex"]),
        root=bytes.fromhex(vector["root_hex"]),
    )


def test_real_certificate_transparency_proof_fails_for_the_neighbouring_leaf() -> None:
    vector = VECTORS["real_ct_log_inclusion_proof"]
    with pytest.raises(IntegrityViolation):
        verify_inclusion(
            leaf_hash=bytes.fromhex(vector["leaf_hash_hex"]),
            index=vector["leaf_index"] + 1,
            size=vector["tree_size"],
            path=unhex(vector["inclusion_path_hex"]),
            root=bytes.fromhex(vector["root_hex"]),
        )


INCLUSION_PROBES = VECTORS["transparency_dev_probes"]["inclusion"]
CONSISTENCY_PROBES = VECTORS["transparency_dev_probes"]["consistency"]


def _probe_id(probe: dict[str, Any]) -> str:
    return str(probe["source"]["path"]).removeprefix("testdata/")


def test_there_are_196_probes() -> None:
    assert len(INCLUSION_PROBES) + len(CONSISTENCY_PROBES) == 196


def _inclusion_probe_passes(probe: dict[str, Any]) -> bool:
    try:
        verify_inclusion(
            leaf_hash=bytes.fromhex(probe["leaf_hash_hex"]),
            index=probe["leaf_index"],
            size=probe["tree_size"],
            path=unhex(probe["inclusion_path_hex"]),
            root=bytes.fromhex(probe["root_hex"]),
        )
    except IntegrityViolation:
        return False
    return True


def _consistency_probe_passes(probe: dict[str, Any]) -> bool:
    try:
        verify_consistency(
            old_size=probe["first"],
            new_size=probe["second"],
            old_root=bytes.fromhex(probe["first_root_hex"]),
            new_root=bytes.fromhex(probe["second_root_hex"]),
            path=unhex(probe["consistency_path_hex"]),
        )
    except IntegrityViolation:
        return False
    return True


@pytest.mark.parametrize("probe", INCLUSION_PROBES, ids=_probe_id)
def test_inclusion_probe_gives_the_expected_verdict(probe: dict[str, Any]) -> None:
    assert _inclusion_probe_passes(probe) is probe["expected_valid"]


@pytest.mark.parametrize("probe", CONSISTENCY_PROBES, ids=_probe_id)
def test_consistency_probe_gives_the_expected_verdict(probe: dict[str, Any]) -> None:
    assert _consistency_probe_passes(probe) is probe["expected_valid"]


DERIVED = VECTORS["derived_full_matrix_not_published"]


def test_every_inclusion_path_of_the_eight_leaf_matrix_is_generated_exactly() -> None:
    for vector in DERIVED["inclusion"]:
        size, index = vector["tree_size"], vector["leaf_index"]
        path = inclusion_path(reference_tree(size), index, size)
        assert [node.hex() for node in path] == vector["inclusion_path_hex"], (index, size)


def test_every_consistency_proof_of_the_eight_leaf_matrix_is_generated_exactly() -> None:
    for vector in DERIVED["consistency"]:
        old, new = vector["first"], vector["second"]
        path = consistency_path(reference_tree(new), old, new)
        assert [node.hex() for node in path] == vector["consistency_path_hex"], (old, new)


def test_rfc_9162_worked_example_of_seven_leaves() -> None:
    """§2.1.5: a–f are the leaves d0–d5 and j the leaf d6; g, h, i, k are complete subtrees and
    l = HASH(i, j).  PATH(d0) = [b, h, l], PATH(d3) = [c, g, l], PATH(d4) = [f, j, k],
    PATH(d6) = [i, k]; PROOF(3) = [c, d, g, l], PROOF(4) = [l], PROOF(6) = [i, j, k]."""
    tree = reference_tree(7)
    b, c, d, f, j = (tree.node_hash(0, index) for index in (1, 2, 3, 5, 6))
    g, h, i = (tree.node_hash(1, index) for index in (0, 1, 2))
    k = tree.node_hash(2, 0)
    l = node_hash(i, j)  # noqa: E741 - the RFC's name for this node
    assert inclusion_path(tree, 0, 7) == [b, h, l]
    assert inclusion_path(tree, 3, 7) == [c, g, l]
    assert inclusion_path(tree, 4, 7) == [f, j, k]
    assert inclusion_path(tree, 6, 7) == [i, k]
    assert consistency_path(tree, 3, 7) == [c, d, g, l]
    assert consistency_path(tree, 4, 7) == [l]
    assert consistency_path(tree, 6, 7) == [i, j, k]
