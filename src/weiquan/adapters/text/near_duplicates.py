"""Near-duplicate detection: MinHash signatures of character shingles, banded by MinHashLSH.

Texts are compared by the Jaccard similarity of their 3-character shingle sets after
normalisation (Simplified, NFKC, case-folded, punctuation and spacing removed), so re-typed
punctuation, Traditional characters or full-width digits do not hide a copy. datasketch does the
hashing scheme and the banding; this module adds a vectorised shingle hash (code points packed
and mixed in numpy, about 10 µs a text instead of one SHA-1 per shingle), a store of signatures
so each LSH candidate is checked against the threshold before it is reported, and grouping.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from datasketch import LeanMinHash, MinHash, MinHashLSH

from weiquan.adapters.text.normaliser import content_key
from weiquan.domain.errors import Conflict, ValidationFailed

DEFAULT_THRESHOLD = 0.7
DEFAULT_NUM_PERM = 64
DEFAULT_SHINGLE_SIZE = 3
# The seed fixes the permutations: signatures stored by one process are comparable with those
# computed by another only if both use the same seed and num_perm.
MINHASH_SEED = 20261125
# LSH banding (10 bands of 6 rows at 64 permutations) that leans towards recall: a pair at the
# threshold becomes a candidate about 7 times in 10, at 0.8 about 19 in 20; candidates below the
# threshold are dropped by the signature check. Leaning further (12 bands of 5) found 0.1 % more
# pairs on real reviews but gave seven times the candidates per query on template complaints.
LSH_WEIGHTS = (0.3, 0.7)
_BITS_PER_CODE_POINT = 21  # Unicode needs 21 bits, so three code points pack into 63.
_GOLDEN_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)


def shingle_hashes(key: str, *, size: int = DEFAULT_SHINGLE_SIZE) -> np.ndarray:
    """Distinct 32-bit hashes of the ``size``-character shingles of a content key.

    Each shingle's code points are packed into one 64-bit integer (exact for ``size`` ≤ 3),
    then mixed with the splitmix64 finaliser, whose top 32 bits are kept. Deterministic across
    processes, unlike ``hash()``.
    """
    if not key:
        return np.empty(0, dtype=np.uint32)
    points = np.frombuffer(key.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    width = min(size, len(points))
    packed = np.zeros(len(points) - width + 1, dtype=np.uint64)
    for offset in range(width):
        window = points[offset : len(points) - width + 1 + offset]
        packed = (packed << np.uint64(_BITS_PER_CODE_POINT)) | window
    mixed = packed + _GOLDEN_GAMMA
    mixed = (mixed ^ (mixed >> np.uint64(30))) * _MIX_1
    mixed = (mixed ^ (mixed >> np.uint64(27))) * _MIX_2
    mixed ^= mixed >> np.uint64(31)
    return np.unique((mixed >> np.uint64(32)).astype(np.uint32))


class MinHasher:
    """Builds datasketch MinHash signatures (``affine32`` scheme) from texts."""

    def __init__(
        self,
        *,
        num_perm: int = DEFAULT_NUM_PERM,
        shingle_size: int = DEFAULT_SHINGLE_SIZE,
        seed: int = MINHASH_SEED,
    ) -> None:
        if not 1 <= shingle_size <= 3:
            raise ValidationFailed("shingle size must be 1, 2 or 3", field="shingle_size")
        self.num_perm = num_perm
        self.shingle_size = shingle_size
        self.seed = seed
        # Generating permutations costs ~100 µs; made once and shared by every signature.
        self._permutations = MinHash(num_perm=num_perm, seed=seed).permutations

    def minhash(self, text: str) -> LeanMinHash | None:
        """The signature of a text, or None when it has no letters or digits to compare."""
        hashes = shingle_hashes(content_key(text), size=self.shingle_size)
        if hashes.size == 0:
            return None
        sketch = MinHash(
            num_perm=self.num_perm,
            seed=self.seed,
            hashfunc=_as_is,
            permutations=self._permutations,
            scheme="affine32",
        )
        sketch.update_batch(hashes)
        return LeanMinHash(sketch)


def _as_is(value: Any) -> Any:
    return value


@dataclass(frozen=True, slots=True)
class SimilarText:
    key: str
    similarity: float  # estimated Jaccard similarity of the shingle sets


class NearDuplicateIndex:
    """Stored texts by key; finds those whose estimated similarity to a text reaches a threshold.

    Memory is dominated by datasketch's in-memory band tables, about ``bands`` × 0.4 KB per
    stored text (see docs/performance.md); MinHashLSH can keep them in Redis instead.
    """

    def __init__(
        self,
        *,
        threshold: float = DEFAULT_THRESHOLD,
        num_perm: int = DEFAULT_NUM_PERM,
        shingle_size: int = DEFAULT_SHINGLE_SIZE,
        lsh_weights: tuple[float, float] = LSH_WEIGHTS,
    ) -> None:
        if not 0.0 < threshold <= 1.0:
            raise ValidationFailed("the similarity threshold must be in (0, 1]", field="threshold")
        self.threshold = threshold
        self.hasher = MinHasher(num_perm=num_perm, shingle_size=shingle_size)
        self._lsh = MinHashLSH(threshold=threshold, num_perm=num_perm, weights=lsh_weights)
        self._signatures = np.empty((1024, num_perm), dtype=np.uint32)
        self._rows: dict[str, int] = {}
        self._keys: list[str] = []

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, key: object) -> bool:
        return key in self._rows

    @property
    def bands(self) -> int:
        return int(self._lsh.b)

    def add(self, key: str, text: str) -> bool:
        """Store a text; False (and nothing stored) when it has no letters or digits."""
        return self.add_many([(key, text)]) == 1

    def add_many(self, items: Iterable[tuple[str, str]]) -> int:
        """Store many texts in one LSH insertion session; returns how many were stored."""
        stored = 0
        with self._lsh.insertion_session() as session:
            for key, text in items:
                if key in self._rows:
                    raise Conflict(f"key {key!r} is already in the index")
                sketch = self.hasher.minhash(text)
                if sketch is None:
                    continue
                # The LSH tables hold row numbers, not keys: candidates then index the
                # signature store directly, which keeps a query with thousands of them fast.
                session.insert(
                    self._remember(key, sketch.hashvalues), sketch, check_duplication=False
                )
                stored += 1
        return stored

    def query(self, text: str, *, exclude: str | None = None) -> list[SimilarText]:
        """Stored texts at or above the threshold, most similar first."""
        sketch = self.hasher.minhash(text)
        if sketch is None:
            return []
        skip = self._rows.get(exclude, -1) if exclude is not None else -1
        return self._verified(sketch.hashvalues, self._lsh.query(sketch), skip_row=skip)

    def similar_to_key(self, key: str) -> list[SimilarText]:
        """Stored texts near the one stored under ``key`` (itself excluded)."""
        row = self._rows[key]
        signature = self._signatures[row]
        sketch = LeanMinHash(seed=self.hasher.seed, hashvalues=signature, scheme="affine32")
        return self._verified(signature, self._lsh.query(sketch), skip_row=row)

    def pairs(self) -> Iterator[tuple[str, str, float]]:
        """Every stored pair at or above the threshold, each once (first key stored first)."""
        for row, key in enumerate(self._keys):
            for match in self.similar_to_key(key):
                if self._rows[match.key] > row:
                    yield key, match.key, match.similarity

    def groups(self, *, min_size: int = 2) -> list[list[str]]:
        """Connected groups of near-duplicates, largest first, keys in insertion order."""
        return group_pairs(((a, b) for a, b, _ in self.pairs()), self._keys, min_size=min_size)

    def _remember(self, key: str, signature: np.ndarray) -> int:
        row = len(self._keys)
        if row == len(self._signatures):
            grown = np.empty((2 * row, self._signatures.shape[1]), dtype=np.uint32)
            grown[:row] = self._signatures
            self._signatures = grown
        self._signatures[row] = signature
        self._rows[key] = row
        self._keys.append(key)
        return row

    def _verified(
        self, signature: np.ndarray, candidates: list[int], *, skip_row: int
    ) -> list[SimilarText]:
        if not candidates:
            return []
        rows = np.array(candidates, dtype=np.int64)
        similarity = (self._signatures[rows] == signature).mean(axis=1)
        keep = (similarity >= self.threshold) & (rows != skip_row)
        found = sorted(zip((-similarity[keep]).tolist(), rows[keep].tolist(), strict=True))
        return [SimilarText(self._keys[row], round(-negative, 4)) for negative, row in found]


def group_pairs(
    pairs: Iterable[tuple[str, str]], keys: Iterable[str], *, min_size: int = 2
) -> list[list[str]]:
    """Connected components of a similarity graph (union-find), largest first."""
    order = {key: position for position, key in enumerate(keys)}
    parent = {key: key for key in order}

    def root(key: str) -> str:
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for left, right in pairs:
        a, b = root(left), root(right)
        if a != b:
            # The earlier key becomes the root, so a group is named after its first text.
            parent[max(a, b, key=order.__getitem__)] = min(a, b, key=order.__getitem__)
    members: dict[str, list[str]] = {}
    for key in order:
        members.setdefault(root(key), []).append(key)
    found = [group for group in members.values() if len(group) >= min_size]
    found.sort(key=lambda group: (-len(group), order[group[0]]))
    return found
