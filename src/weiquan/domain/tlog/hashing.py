"""RFC 6962 hashing: domain-separated SHA-256 for leaves and interior nodes."""

from __future__ import annotations

from hashlib import sha256

HASH_SIZE = 32

# MTH({}) is the hash of the empty string (RFC 9162 §2.1.1).
EMPTY_ROOT = sha256(b"").digest()

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


def leaf_hash(entry: bytes) -> bytes:
    """HASH(0x00 ‖ entry): the 0x00 prefix keeps a leaf from posing as an interior node."""
    return sha256(_LEAF_PREFIX + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """HASH(0x01 ‖ left ‖ right)."""
    return sha256(_NODE_PREFIX + left + right).digest()
