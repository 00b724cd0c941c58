"""Inclusion and consistency proofs: generation (RFC 9162 §2.1.3.1, §2.1.4.1) and verification
(§2.1.3.2, §2.1.4.2), including every ``sn == 0`` check.

Generation asks a :class:`NodeReader` for the hashes of complete subtrees; whatever stores the
log (files, tiles fetched over HTTP, memory) implements that one method.  Consistency proofs walk
the RFC recursion iteratively; inclusion paths are computed by node address.  Verification needs nothing but the hashes.  The edge-case policy is written
down in the package docstring (:mod:`weiquan.domain.tlog`).
"""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence
from hashlib import sha256
from typing import Protocol

from weiquan.domain.errors import IntegrityViolation, ValidationFailed
from weiquan.domain.tlog.hashing import EMPTY_ROOT, HASH_SIZE, node_hash
from weiquan.domain.tlog.tree import aligned_subtrees, split_point

_NODE = b"\x01"  # RFC 6962 interior-node prefix, inlined in the hot verification loop


class NodeReader(Protocol):
    """Hash of the complete subtree covering leaves [index·2^level, (index+1)·2^level)."""

    def node_hash(self, level: int, index: int) -> bytes: ...


def subtree_root(reader: NodeReader, start: int, end: int) -> bytes:
    """MTH(D[start:end]) for a range the RFC recursion produces (see ``aligned_subtrees``)."""
    width = end - start
    if width > 0 and width & (width - 1) == 0 and start % width == 0:
        level = width.bit_length() - 1  # one complete subtree: the common case, read directly
        return reader.node_hash(level, start >> level)
    nodes = aligned_subtrees(start, end)
    if not nodes:
        return EMPTY_ROOT
    result = reader.node_hash(*nodes[-1])
    for level, index in reversed(nodes[:-1]):
        result = node_hash(reader.node_hash(level, index), result)
    return result


def tree_root(reader: NodeReader, size: int) -> bytes:
    """MTH of the first ``size`` leaves; the empty tree's root is SHA-256 of nothing."""
    if size < 0:
        raise ValidationFailed("a tree size cannot be negative", field="size")
    return subtree_root(reader, 0, size)


def inclusion_path(
    reader: NodeReader,
    index: int,
    size: int,
    *,
    border_cache: MutableMapping[tuple[int, int], bytes] | None = None,
) -> list[bytes]:
    """PATH(index, D[0:size]): sibling hashes from the leaf's sibling up to the root's child.

    Computed by node address rather than by the RFC's recursion (same result, pinned by the
    vectors and by property tests against the recursive definition): below the level where
    the paths to ``index`` and to the last leaf part, every sibling is a complete subtree; at
    that level the sibling is the right border, possibly incomplete; above it the siblings are
    the complete left subtrees on the way to the root.

    The right-border hash depends only on the tree size and the level, so a caller serving many
    proofs may pass ``border_cache`` (keyed by leaf range) to compute each one once.
    """
    if not 0 <= index < size:
        raise ValidationFailed(
            f"leaf {index} is not in a tree of {size} leaves", field="leaf_index"
        )
    last = size - 1
    parting = (index ^ last).bit_length()
    path = [reader.node_hash(level, (index >> level) ^ 1) for level in range(parting - 1)]
    if parting:
        border_start = ((index >> (parting - 1)) ^ 1) << (parting - 1)
        path.append(_border_hash(reader, border_start, size, border_cache))
    for level in range(parting, last.bit_length()):
        if (last >> level) & 1:
            path.append(reader.node_hash(level, (last >> level) ^ 1))
    return path


def _border_hash(
    reader: NodeReader,
    start: int,
    end: int,
    cache: MutableMapping[tuple[int, int], bytes] | None,
) -> bytes:
    if cache is None:
        return subtree_root(reader, start, end)
    border = cache.get((start, end))
    if border is None:
        border = cache[start, end] = subtree_root(reader, start, end)
    return border


def consistency_path(reader: NodeReader, old_size: int, new_size: int) -> list[bytes]:
    """PROOF(old_size, D[0:new_size]); empty when the sizes are equal.

    An old size of 0 is refused: the empty tree commits to nothing, so no proof can say
    anything about it (the verifier refuses it too).
    """
    if not 0 < old_size <= new_size:
        raise ValidationFailed(
            f"no consistency proof from size {old_size} to size {new_size}", field="old_size"
        )
    proof: list[bytes] = []
    low, high, remaining = 0, new_size, old_size
    old_tree_is_whole_subtree = True  # the RFC's ``b`` flag
    while remaining != high - low:
        split = split_point(high - low)
        if remaining <= split:
            proof.append(subtree_root(reader, low + split, high))
            high = low + split
        else:
            proof.append(subtree_root(reader, low, low + split))
            low += split
            remaining -= split
            old_tree_is_whole_subtree = False
    if not old_tree_is_whole_subtree:
        proof.append(subtree_root(reader, low, high))
    proof.reverse()
    return proof


def _reject(reason: str) -> IntegrityViolation:
    return IntegrityViolation(reason)


def _require_hashes(hashes: Sequence[bytes], what: str) -> None:
    if all(len(value) == HASH_SIZE for value in hashes):
        return
    for position, value in enumerate(hashes):
        if len(value) != HASH_SIZE:
            raise _reject(f"{what}[{position}] is {len(value)} bytes, not a 32-byte hash")


def root_from_inclusion_path(
    *, leaf_hash: bytes, index: int, size: int, path: Sequence[bytes]
) -> bytes:
    """The root an inclusion path leads to (RFC 9162 §2.1.3.2 steps 1–4, without the final
    comparison); raises IntegrityViolation when the path cannot belong to this index and size."""
    if len(leaf_hash) != HASH_SIZE:
        raise _reject(f"the leaf hash is {len(leaf_hash)} bytes, not 32")
    if index < 0 or index >= size:
        raise _reject(f"leaf index {index} is not below the tree size {size}")
    _require_hashes(path, "inclusion path")
    fn, sn, result = index, size - 1, leaf_hash
    for sibling in path:
        if sn == 0:
            raise _reject("the inclusion path is longer than the tree is deep")
        if fn & 1 or fn == sn:
            result = sha256(_NODE + sibling + result).digest()
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            result = sha256(_NODE + result + sibling).digest()
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise _reject("the inclusion path is shorter than the tree is deep")
    return result


def verify_inclusion(
    *, leaf_hash: bytes, index: int, size: int, path: Sequence[bytes], root: bytes
) -> None:
    """Raise IntegrityViolation unless ``path`` proves leaf ``index`` is in the tree ``root``."""
    if root_from_inclusion_path(leaf_hash=leaf_hash, index=index, size=size, path=path) != root:
        raise _reject(f"the inclusion path for leaf {index} does not lead to the tree's root")


def verify_consistency(
    *,
    old_size: int,
    new_size: int,
    old_root: bytes,
    new_root: bytes,
    path: Sequence[bytes],
) -> None:
    """Raise IntegrityViolation unless ``path`` proves tree ``new_root`` extends ``old_root``."""
    if old_size > new_size:
        raise _reject(f"the older tree ({old_size}) is larger than the newer one ({new_size})")
    if old_size == 0:
        raise _reject("consistency with the empty tree is meaningless: it commits to nothing")
    if old_size == new_size:
        if path:
            raise _reject("trees of equal size need an empty consistency proof")
        if old_root != new_root:
            raise _reject(f"two different roots for the same tree size {old_size}")
        return
    if not path:
        raise _reject("the consistency proof is empty")
    _require_hashes(path, "consistency proof")
    old_computed, new_computed = _roots_from_consistency_path(old_size, new_size, old_root, path)
    if old_computed != old_root:
        raise _reject("the consistency proof does not reproduce the older root")
    if new_computed != new_root:
        raise _reject("the consistency proof does not reproduce the newer root")


def _roots_from_consistency_path(
    old_size: int, new_size: int, old_root: bytes, path: Sequence[bytes]
) -> tuple[bytes, bytes]:
    """RFC 9162 §2.1.4.2 steps 2–6 for 0 < old_size < new_size and a non-empty path."""
    nodes = list(path)
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is itself a node
        nodes.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    old_computed = new_computed = nodes[0]
    for node in nodes[1:]:
        if sn == 0:
            raise _reject("the consistency proof is longer than the trees need")
        if fn & 1 or fn == sn:
            old_computed = node_hash(node, old_computed)
            new_computed = node_hash(node, new_computed)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            new_computed = node_hash(new_computed, node)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise _reject("the consistency proof is shorter than the trees need")
    return old_computed, new_computed
