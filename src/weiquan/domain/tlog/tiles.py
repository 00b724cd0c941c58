"""C2SP tlog-tiles: tile coordinates, paths, entry bundles and a tile-backed ``NodeReader``.

A tile at level L, index N holds the hashes of the complete subtrees of height 8·L numbered
N·256 … N·256+255 (each covers 256^L leaves).  The rightmost tile of a level is *partial*
(``.p/W``, 1 ≤ W ≤ 255 hashes) until it fills.  Entry bundles hold the entries of level-0 tile N,
each as a big-endian uint16 length and the bytes.  Paths write N in groups of three digits, every
group but the last prefixed with ``x``: 1234067 → ``x001/x234/067``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from weiquan.domain.errors import IntegrityViolation, NotFound, ValidationFailed
from weiquan.domain.tlog.hashing import HASH_SIZE, leaf_hash, node_hash
from weiquan.domain.tlog.tree import CompactRange

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
MAX_TILE_LEVEL = 63
MAX_ENTRY_SIZE = 0xFFFF  # the uint16 length prefix of entry bundles
_MAX_INDEX_GROUPS = 7  # 10^21 > 2^64: no tree gets that large

_LEVEL = re.compile(r"0|[1-9][0-9]?")
_WIDTH = re.compile(r"[1-9][0-9]{0,2}")
_GROUP = re.compile(r"[0-9]{3}")


@dataclass(frozen=True, slots=True)
class TileRef:
    """One tile (``level`` 0–63) or entry bundle (``level`` None) of ``width`` hashes or entries."""

    level: int | None
    index: int
    width: int = TILE_WIDTH

    def __post_init__(self) -> None:
        if self.level is not None and not 0 <= self.level <= MAX_TILE_LEVEL:
            raise ValidationFailed(f"tile level {self.level} is outside 0–63", field="level")
        if self.index < 0:
            raise ValidationFailed("a tile index cannot be negative", field="index")
        if not 1 <= self.width <= TILE_WIDTH:
            raise ValidationFailed(f"a tile holds 1–256 hashes, not {self.width}", field="width")

    @property
    def is_partial(self) -> bool:
        return self.width < TILE_WIDTH

    @property
    def is_entry_bundle(self) -> bool:
        return self.level is None

    def path(self) -> str:
        """The path below the log's prefix, e.g. ``tile/1/x001/234.p/17``."""
        level = "entries" if self.level is None else str(self.level)
        suffix = f".p/{self.width}" if self.is_partial else ""
        return f"tile/{level}/{encode_tile_index(self.index)}{suffix}"


def encode_tile_index(index: int) -> str:
    if index < 0:
        raise ValidationFailed("a tile index cannot be negative", field="index")
    digits = str(index)
    digits = digits.zfill(-(-len(digits) // 3) * 3)
    groups = [digits[start : start + 3] for start in range(0, len(digits), 3)]
    return "/".join([*(f"x{group}" for group in groups[:-1]), groups[-1]])


def parse_tile_path(path: str) -> TileRef:
    """Parse ``tile/<L>/<N>[.p/<W>]`` or ``tile/entries/<N>[.p/<W>]``; only the canonical
    spelling is accepted, so each tile has exactly one URL."""
    parts = path.split("/")
    if len(parts) < 3 or parts[0] != "tile":
        raise ValidationFailed(f"not a tile path: {path!r}", field="path")
    level_text, rest = parts[1], parts[2:]
    width = TILE_WIDTH
    if len(rest) >= 2 and rest[-2].endswith(".p"):
        if not _WIDTH.fullmatch(rest[-1]) or int(rest[-1]) >= TILE_WIDTH:
            raise ValidationFailed(f"bad partial tile width in {path!r}", field="path")
        width = int(rest[-1])
        rest = [*rest[:-2], rest[-2].removesuffix(".p")]
    index = _parse_index_groups(rest, path)
    if level_text == "entries":
        level: int | None = None
    elif _LEVEL.fullmatch(level_text):
        level = int(level_text)
    else:
        raise ValidationFailed(f"bad tile level in {path!r}", field="path")
    return TileRef(level, index, width)


def _parse_index_groups(groups: list[str], path: str) -> int:
    if not 1 <= len(groups) <= _MAX_INDEX_GROUPS:
        raise ValidationFailed(f"bad tile index in {path!r}", field="path")
    digits = []
    for position, group in enumerate(groups):
        is_last = position == len(groups) - 1
        body = group if is_last else group.removeprefix("x")
        if (not is_last and not group.startswith("x")) or not _GROUP.fullmatch(body):
            raise ValidationFailed(f"bad tile index in {path!r}", field="path")
        digits.append(body)
    if len(groups) > 1 and digits[0] == "000":
        raise ValidationFailed(f"non-canonical tile index in {path!r}", field="path")
    return int("".join(digits))


def tile_width(level: int, index: int, size: int) -> int:
    """How many hashes tile (level, index) holds in a tree of ``size`` leaves (0 = none)."""
    count = size >> (TILE_HEIGHT * level)
    full_tiles, rightmost = divmod(count, TILE_WIDTH)
    if index < full_tiles:
        return TILE_WIDTH
    if index == full_tiles:
        return rightmost
    return 0


def format_entry_bundle(entries: Iterable[bytes]) -> bytes:
    parts = []
    for entry in entries:
        if len(entry) > MAX_ENTRY_SIZE:
            raise ValidationFailed("an entry is longer than 65535 bytes", field="entry")
        parts.append(len(entry).to_bytes(2, "big") + entry)
    return b"".join(parts)


def parse_entry_bundle(data: bytes) -> list[bytes]:
    entries = []
    offset = 0
    while offset < len(data):
        if offset + 2 > len(data):
            raise IntegrityViolation("an entry bundle ends inside a length prefix")
        length = int.from_bytes(data[offset : offset + 2], "big")
        offset += 2
        if offset + length > len(data):
            raise IntegrityViolation("an entry bundle ends inside an entry")
        entries.append(data[offset : offset + length])
        offset += length
    return entries


TileFetcher = Callable[[TileRef], bytes]


class TiledNodeReader:
    """A ``NodeReader`` over the tiles of one tree size, fetched on demand and kept.

    A node at height 8·L + r is rebuilt from the 2^r hashes below it in a level-L tile, which is
    how a tlog-tiles client computes any proof without a proof API.  Tiles come from an
    untrusted server: a wrong hash only makes the resulting proof fail against a signed root.
    """

    def __init__(self, fetch: TileFetcher, size: int) -> None:
        self._fetch = fetch
        self._size = size
        self._tiles: dict[TileRef, bytes] = {}

    @property
    def size(self) -> int:
        return self._size

    def node_hash(self, level: int, index: int) -> bytes:
        tile_level, depth = divmod(level, TILE_HEIGHT)
        first = index << depth
        count = 1 << depth
        tile_index, offset = divmod(first, TILE_WIDTH)
        width = tile_width(tile_level, tile_index, self._size)
        if index < 0 or offset + count > width:
            raise NotFound(f"no complete subtree at level {level}, index {index}")
        tile = self._tile(TileRef(tile_level, tile_index, width))
        hashes = [
            tile[at * HASH_SIZE : (at + 1) * HASH_SIZE] for at in range(offset, offset + count)
        ]
        while len(hashes) > 1:
            hashes = [node_hash(hashes[at], hashes[at + 1]) for at in range(0, len(hashes), 2)]
        return hashes[0]

    def _tile(self, ref: TileRef) -> bytes:
        tile = self._tiles.get(ref)
        if tile is None:
            tile = self._fetch(ref)
            if len(tile) != ref.width * HASH_SIZE:
                raise IntegrityViolation(
                    f"{ref.path()} is {len(tile)} bytes, expected {ref.width * HASH_SIZE}"
                )
            self._tiles[ref] = tile
        return tile


def audit_tiles(
    fetch: TileFetcher,
    *,
    size: int,
    root: bytes,
    visit: Callable[[int, bytes], None] | None = None,
) -> None:
    """Check a log the way a monitor does: every entry bundle hashes to its level-0 tile, and
    those leaf hashes rebuild ``root`` (from a verified checkpoint) for ``size`` entries.
    Raises IntegrityViolation at the first disagreement."""
    rebuilt = CompactRange()
    for index in range(-(-size // TILE_WIDTH)):
        width = tile_width(0, index, size)
        tile = fetch(TileRef(0, index, width))
        entries = parse_entry_bundle(fetch(TileRef(None, index, width)))
        if len(tile) != width * HASH_SIZE or len(entries) != width:
            raise IntegrityViolation(f"tile or entry bundle {index} has the wrong length")
        hashes = [leaf_hash(entry) for entry in entries]
        if visit is not None:
            for offset, entry in enumerate(entries):
                visit(index * TILE_WIDTH + offset, entry)
        if b"".join(hashes) != tile:
            raise IntegrityViolation(f"entry bundle {index} does not match its tile")
        rebuilt.append(hashes)
    if rebuilt.root() != root:
        raise IntegrityViolation("the entries do not rebuild the checkpoint's root")
