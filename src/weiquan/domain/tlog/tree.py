"""The shape of an RFC 6962 tree, its right edge ("compact range") and an in-memory tree.

A *complete subtree* is addressed by ``(level, index)``: it covers the leaves
``[index · 2^level, (index + 1) · 2^level)``.  Level 0 holds the leaf hashes.  The shape of a
tree of size n depends only on n, so every hash the log ever stores is one of these nodes;
the hashes on the right border of a tree that is not a power of two are recomputed from them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from hashlib import sha256

from weiquan.domain.errors import NotFound, ValidationFailed
from weiquan.domain.tlog.hashing import EMPTY_ROOT, HASH_SIZE, node_hash

NodeId = tuple[int, int]


def split_point(size: int) -> int:
    """The largest power of two smaller than ``size`` (k < n ≤ 2k, RFC 9162 §2.1.1); n ≥ 2."""
    if size < 2:
        raise ValidationFailed(f"a tree of {size} leaves has no split point", field="size")
    return 1 << ((size - 1).bit_length() - 1)


def aligned_subtrees(start: int, end: int) -> list[NodeId]:
    """Cover ``[start, end)`` with the fewest complete subtrees, left to right.

    For the ranges RFC 9162's recursion produces (``start`` a multiple of a power of two at
    least ``end - start``), the subtrees come out largest first, and folding them from the
    right gives MTH of the range.
    """
    if not 0 <= start <= end:
        raise ValidationFailed(f"bad leaf range [{start}, {end})", field="range")
    nodes: list[NodeId] = []
    while start < end:
        level = (end - start).bit_length() - 1
        if start:
            level = min(level, (start & -start).bit_length() - 1)
        nodes.append((level, start >> level))
        start += 1 << level
    return nodes


def fold_from_right(hashes: Sequence[bytes]) -> bytes:
    """Combine subtree hashes listed largest first into the hash of their union."""
    if not hashes:
        return EMPTY_ROOT
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = node_hash(left, result)
    return result


class CompactRange:
    """The right edge of the tree: one hash per set bit of the size, largest subtree first.

    Appending a leaf costs O(log n) and yields the newly completed nodes in post-order, which
    is exactly the order the file store appends them in (RFC 9162 §2.1.2 stack algorithm).
    """

    __slots__ = ("_peaks", "_size")

    def __init__(self, size: int = 0, peaks: Sequence[bytes] = ()) -> None:
        if size < 0 or len(peaks) != size.bit_count():
            raise ValidationFailed(
                f"a tree of {size} leaves has {size.bit_count()} peaks, not {len(peaks)}",
                field="peaks",
            )
        if any(len(peak) != HASH_SIZE for peak in peaks):
            raise ValidationFailed("every peak must be a 32-byte hash", field="peaks")
        self._size = size
        self._peaks = list(peaks)

    @property
    def size(self) -> int:
        return self._size

    @property
    def peaks(self) -> tuple[bytes, ...]:
        return tuple(self._peaks)

    def peak_ids(self) -> list[NodeId]:
        return aligned_subtrees(0, self._size)

    def copy(self) -> CompactRange:
        return CompactRange(self._size, self._peaks)

    def root(self) -> bytes:
        return fold_from_right(self._peaks)

    def append(self, leaf_hashes: Iterable[bytes]) -> list[bytes]:
        """Add leaf hashes; return every new node hash in post-order (leaf, then parents)."""
        peaks = self._peaks
        size = self._size
        new_nodes: list[bytes] = []
        emit = new_nodes.append
        for leaf in leaf_hashes:
            if len(leaf) != HASH_SIZE:
                raise ValidationFailed("a leaf hash must be 32 bytes", field="leaf_hash")
            current = leaf
            emit(current)
            # One merge per trailing 1 bit of the old size: those subtrees are now complete.
            pending = size
            while pending & 1:
                current = sha256(b"\x01" + peaks.pop() + current).digest()
                emit(current)
                pending >>= 1
            peaks.append(current)
            size += 1
        self._size = size
        return new_nodes


class MemoryTree:
    """Every complete-subtree hash held in lists: the reference ``NodeReader`` for tests,
    benchmarks and clients that rebuild a small log in memory."""

    __slots__ = ("_levels",)

    def __init__(self) -> None:
        self._levels: list[list[bytes]] = [[]]

    @property
    def size(self) -> int:
        return len(self._levels[0])

    def append(self, leaf_hashes: Iterable[bytes]) -> None:
        levels = self._levels
        for leaf in leaf_hashes:
            if len(leaf) != HASH_SIZE:
                raise ValidationFailed("a leaf hash must be 32 bytes", field="leaf_hash")
            levels[0].append(leaf)
            level = 0
            while len(levels[level]) % 2 == 0:
                row = levels[level]
                if level + 1 == len(levels):
                    levels.append([])
                levels[level + 1].append(node_hash(row[-2], row[-1]))
                level += 1

    def node_hash(self, level: int, index: int) -> bytes:
        if level < 0 or index < 0 or level >= len(self._levels):
            raise NotFound(f"no complete subtree at level {level}, index {index}")
        row = self._levels[level]
        if index >= len(row):
            raise NotFound(f"no complete subtree at level {level}, index {index}")
        return row[index]
