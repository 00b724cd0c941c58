"""The transparency log on disk and on the wire: file store, keys, checkpoints, RFC 3161."""

from weiquan.adapters.tlog.keys import Ed25519NoteSigner, Ed25519NoteVerifier, KeyStore
from weiquan.adapters.tlog.log import (
    TimestampedCheckpoint,
    TransparencyLog,
    open_transparency_log,
)
from weiquan.adapters.tlog.store import FileLogStore
from weiquan.adapters.tlog.tile_client import HttpTileFetcher
from weiquan.adapters.tlog.timestamping import (
    HttpTimestampAuthority,
    TimestampAuthority,
    TimestampAuthorityError,
    verify_timestamp,
)

__all__ = [
    "Ed25519NoteSigner",
    "Ed25519NoteVerifier",
    "FileLogStore",
    "HttpTileFetcher",
    "HttpTimestampAuthority",
    "KeyStore",
    "TimestampAuthority",
    "TimestampAuthorityError",
    "TimestampedCheckpoint",
    "TransparencyLog",
    "open_transparency_log",
    "verify_timestamp",
]
