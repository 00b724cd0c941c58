"""The transparency log service object: durable appends, signed checkpoints, proofs and tiles.

Thread-safe for a web server: writers are serialised (and coalesced into batches), readers
need no lock because everything below the committed size is immutable.  One writer process
per log directory (the store holds a lock file).

Single appends from many threads share fsyncs ("group commit"): the first waiting thread
writes every entry queued so far as one batch, the others wait for it.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from weiquan.adapters.tlog.files import write_atomically
from weiquan.adapters.tlog.keys import KeyStore
from weiquan.adapters.tlog.published import PublishedCheckpoints
from weiquan.adapters.tlog.store import FileLogStore
from weiquan.adapters.tlog.timestamping import TimestampAuthority
from weiquan.domain.errors import (
    Conflict,
    IntegrityViolation,
    LogRolledBack,
    NotFound,
    ValidationFailed,
)
from weiquan.domain.tlog import (
    TILE_WIDTH,
    Checkpoint,
    NoteSigner,
    NoteVerifier,
    TileRef,
    TlogProof,
    consistency_path,
    inclusion_path,
    parse_checkpoint,
    parse_signed_note,
    sign_note,
    tile_width,
)
from weiquan.domain.tlog.notes import check_key_name, verify_note
from weiquan.domain.tlog.tiles import TILE_HEIGHT

_MAX_CACHED_BORDERS = 4096


@dataclass(frozen=True, slots=True)
class TimestampedCheckpoint:
    note: str
    token: bytes
    size: int


@dataclass(slots=True)
class _Pending:
    entry: bytes
    index: int = -1
    error: BaseException | None = None
    done: bool = False


@dataclass(slots=True)
class _GroupCommit:
    condition: threading.Condition = field(default_factory=threading.Condition)
    queue: list[_Pending] = field(default_factory=list)
    writing: bool = False


RECOVERY_HINT = "docs/operations.md, 'Recovering a forked or rolled-back log'"


class TransparencyLog:
    def __init__(
        self,
        directory: Path,
        *,
        origin: str,
        signer: NoteSigner,
        published: PublishedCheckpoints | None = None,
        verifiers: Sequence[NoteVerifier] = (),
    ) -> None:
        """``published`` keeps the highest checkpoint outside the data directory: the log
        refuses to open for writing when the stored tree is behind it or contradicts it, and
        ``verifiers`` (every public key the log has had) must vouch for its signature."""
        _require_signer_for(origin, signer)
        self._open(directory, origin, signer)
        self._published = published
        try:
            self._check_published_checkpoint()
            if published is not None:
                self._check_against_published(published, verifiers)
        except BaseException:
            self.close()
            raise

    @classmethod
    def reader(cls, directory: Path, *, origin: str) -> TransparencyLog:
        """A read-only view of a log another process writes, for extra web-server processes:
        it serves the writer's last published checkpoint and the tiles below it."""
        log = cls.__new__(cls)
        log._open(directory, origin, None)
        log._published = None
        return log

    def _open(self, directory: Path, origin: str, signer: NoteSigner | None) -> None:
        check_key_name(origin)
        self._directory = directory
        self._origin = origin
        self._signer = signer
        self._store = FileLogStore(directory / "tree", read_only=signer is None)
        self._write_lock = threading.Lock()
        self._checkpoint_lock = threading.Lock()
        self._group = _GroupCommit()
        self._latest: tuple[Checkpoint, str] | None = None
        self._borders: dict[tuple[int, int], bytes] = {}

    # -- lifecycle ----------------------------------------------------------------------------

    def close(self) -> None:
        self._store.close()

    def __enter__(self) -> TransparencyLog:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def origin(self) -> str:
        return self._origin

    @property
    def directory(self) -> Path:
        return self._directory

    @property
    def size(self) -> int:
        return self._store.size

    @property
    def read_only(self) -> bool:
        return self._signer is None

    @property
    def signer_key_id(self) -> int | None:
        return None if self._signer is None else self._signer.key_id

    def replace_signer(self, signer: NoteSigner) -> None:
        """Sign from now on with ``signer`` (after a key rotation)."""
        if self.read_only:
            raise Conflict("a read-only view of the log does not sign")
        _require_signer_for(self._origin, signer)
        with self._checkpoint_lock:
            self._signer = signer
            self._latest = None

    # -- appending ----------------------------------------------------------------------------

    def append_many(self, entries: list[bytes]) -> list[int]:
        """Append a batch; the indices are returned only once the batch is on disk and a
        checkpoint covering it is published (so read-only servers and witnesses see it)."""
        with self._write_lock:
            first = self._store.append(entries)
        if entries:
            self._signed_checkpoint()
        return list(range(first, first + len(entries)))

    def append(self, entry: bytes) -> int:
        """Append one entry, sharing the write and fsync with concurrent callers."""
        group = self._group
        mine = _Pending(entry)
        with group.condition:
            group.queue.append(mine)
            while not mine.done:
                if group.writing:
                    group.condition.wait()
                    continue
                batch, group.queue, group.writing = group.queue, [], True
                group.condition.release()
                try:
                    self._write_batch(batch)
                finally:
                    group.condition.acquire()
                    group.writing = False
                    group.condition.notify_all()
        if mine.error is not None:
            raise mine.error
        return mine.index

    def _write_batch(self, batch: list[_Pending]) -> None:
        try:
            indices = self.append_many([pending.entry for pending in batch])
        except BaseException as error:  # every waiter learns its entry was not logged
            for pending in batch:
                pending.error, pending.done = error, True
            if not isinstance(error, Exception):
                raise
            return
        for pending, index in zip(batch, indices, strict=True):
            pending.index, pending.done = index, True

    # -- checkpoints --------------------------------------------------------------------------

    def checkpoint(self) -> str:
        """The signed checkpoint of the current (durable) tree; re-signed only when it grew."""
        return self._signed_checkpoint()[1]

    def _signed_checkpoint(self) -> tuple[Checkpoint, str]:
        if self._signer is None:
            return self._published_checkpoint()
        with self._checkpoint_lock:
            size = self._store.size
            latest = self._latest
            if latest is not None and latest[0].size == size:
                return latest
            checkpoint = Checkpoint(self._origin, size, self._store.root(size))
            note = sign_note(checkpoint.body(), [self._signer])
            # Written before it is handed out, so a restart can check the tree against it.
            if self._published is not None:
                self._published.record(checkpoint, note)
            write_atomically(self._directory / "checkpoint", note.encode())
            self._latest = (checkpoint, note)
            return checkpoint, note

    def _published_checkpoint(self) -> tuple[Checkpoint, str]:
        path = self._directory / "checkpoint"
        if not path.exists():
            raise NotFound(f"the log in {self._directory} has published no checkpoint yet")
        note = path.read_text("utf-8")
        checkpoint = parse_checkpoint(parse_signed_note(note).text)
        if checkpoint.origin != self._origin:
            raise ValidationFailed(
                f"{self._directory} holds the log {checkpoint.origin!r}, not {self._origin!r}",
                field="origin",
            )
        # The writer commits before it publishes, so after a refresh the tree covers the note.
        if self._store.refresh() < checkpoint.size:
            raise IntegrityViolation("the published checkpoint is ahead of the stored tree")
        return checkpoint, note

    def published_size_and_time(self) -> tuple[int, float | None]:
        """The size of the last published checkpoint and when it was written (epoch seconds);
        (0, None) before the first one."""
        path = self._directory / "checkpoint"
        try:
            written = path.stat().st_mtime
        except FileNotFoundError:
            return 0, None
        checkpoint, _ = self._published_checkpoint()
        return checkpoint.size, written

    def _check_published_checkpoint(self) -> None:
        """The last checkpoint this log signed must still be a prefix of what is stored."""
        if not (self._directory / "checkpoint").exists():
            return
        try:
            published, _ = self._published_checkpoint()
        except IntegrityViolation as error:
            raise IntegrityViolation(
                f"a checkpoint for more entries than the {self._store.size} stored was "
                "published: acknowledged entries are missing"
            ) from error
        if self._store.root(published.size) != published.root:
            raise IntegrityViolation("the stored tree contradicts the last published checkpoint")

    def _check_against_published(
        self, published: PublishedCheckpoints, verifiers: Sequence[NoteVerifier]
    ) -> None:
        """The highest checkpoint ever published must be a prefix of the stored tree."""
        loaded = published.load()
        if loaded is None:
            # First start with this state directory: adopt what the log itself last published.
            if (self._directory / "checkpoint").exists():
                published.record(*self._published_checkpoint())
            return
        checkpoint, note = loaded
        if checkpoint.origin != self._origin:
            raise ValidationFailed(
                f"{published.path} records the log {checkpoint.origin!r}, not {self._origin!r}",
                field="origin",
            )
        if verifiers:
            try:
                verify_note(note, verifiers)
            except IntegrityViolation as error:
                raise LogRolledBack(
                    f"refusing to sign: the last published checkpoint ({published.path}, "
                    f"{checkpoint.size} entries) was signed by a key the key directory does not "
                    "hold. The key directory was restored from a copy older than a key "
                    f"rotation, or belongs to another log ({RECOVERY_HINT})"
                ) from error
        stored = self._store.size
        if stored < checkpoint.size:
            raise LogRolledBack(
                f"refusing to sign: the log in {self._directory} holds {stored} entries, but "
                f"this log already published a checkpoint for {checkpoint.size} "
                f"(kept in {published.path}). The data directory was restored from an older "
                "copy, and signing now would fork the log. Re-append the missing entries from "
                "the database with `weiquan log recover`, or restore a newer copy of the log "
                f"({RECOVERY_HINT})"
            )
        if self._store.root(checkpoint.size) != checkpoint.root:
            raise LogRolledBack(
                f"refusing to sign: the first {checkpoint.size} entries of the log in "
                f"{self._directory} differ from the checkpoint this log already published "
                f"(kept in {published.path}): the log has forked. Restore the log from a copy "
                f"that contains the published tree ({RECOVERY_HINT})"
            )

    def extend_to_published(self, published: PublishedCheckpoints, entries: list[bytes]) -> int:
        """Recovery after a restore of an older log: append ``entries`` (the ones the database
        recorded from this log's size on) if, and only if, they rebuild the published tree.
        Returns how many were appended; nothing is written when they do not."""
        loaded = published.load()
        if loaded is None:
            raise NotFound(f"no published checkpoint is recorded in {published.path}")
        checkpoint, _ = loaded
        missing = checkpoint.size - self.size
        if missing <= 0:
            return 0
        if len(entries) < missing:
            raise LogRolledBack(
                f"the database records only {len(entries)} of the {missing} entries between the "
                f"log's {self.size} and the published {checkpoint.size}: it is not newer than the "
                f"lost part of the log. Restore a newer copy of the log ({RECOVERY_HINT})"
            )
        if self._store.root_after(entries[:missing]) != checkpoint.root:
            raise LogRolledBack(
                "the entries rebuilt from the database do not reproduce the published "
                f"checkpoint of {checkpoint.size} entries; nothing was appended ({RECOVERY_HINT})"
            )
        self.append_many(entries)
        published.record(*self._signed_checkpoint())
        return len(entries)

    def timestamp_checkpoint(self, authority: TimestampAuthority) -> TimestampedCheckpoint:
        """Have a TSA date the current checkpoint; keep note and token in ``timestamps/``.
        The token covers the whole signed note, so it dates the tree head and its signature."""
        checkpoint, note = self._signed_checkpoint()
        token = authority.timestamp(note.encode())
        folder = self._directory / "timestamps"
        folder.mkdir(exist_ok=True)
        write_atomically(folder / f"{checkpoint.size}.checkpoint", note.encode())
        write_atomically(folder / f"{checkpoint.size}.tsr", token)
        return TimestampedCheckpoint(note, token, checkpoint.size)

    # -- proofs -------------------------------------------------------------------------------

    def root(self, size: int | None = None) -> bytes:
        return self._store.root(size)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        return inclusion_path(
            self._store, index, self._size_or_current(size), border_cache=self._border_cache()
        )

    def _border_cache(self) -> dict[tuple[int, int], bytes]:
        # Right-border hashes never change once computed (the range is fixed), so the cache
        # only needs bounding, not invalidation.
        if len(self._borders) > _MAX_CACHED_BORDERS:
            self._borders = {}
        return self._borders

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        return consistency_path(self._store, old_size, self._size_or_current(new_size))

    def tlog_proof(self, index: int, *, extra: bytes | None = None) -> str:
        """A C2SP ``.tlog-proof`` for entry ``index`` against the current signed checkpoint."""
        checkpoint, note = self._signed_checkpoint()
        path = inclusion_path(
            self._store, index, checkpoint.size, border_cache=self._border_cache()
        )
        return TlogProof(index, tuple(path), note, extra).text()

    def _size_or_current(self, size: int | None) -> int:
        current = self._store.size
        if size is None:
            return current
        if size > current:
            current = self._store.refresh()
        if size > current:
            raise NotFound(f"the log has {current} entries, not {size}")
        return size

    # -- reading ------------------------------------------------------------------------------

    def read_entry(self, index: int) -> bytes:
        return self._store.read_entry(index)

    def read_tile(self, level: int, index: int, width: int = TILE_WIDTH) -> bytes:
        """Tile (level, index) of ``width`` hashes; NotFound beyond the tree."""
        self._require_tile(TileRef(level, index, width))
        height = TILE_HEIGHT * level
        first = index * TILE_WIDTH
        node = self._store.node_hash
        return b"".join(node(height, first + offset) for offset in range(width))

    def read_entry_bundle(self, index: int, width: int = TILE_WIDTH) -> bytes:
        self._require_tile(TileRef(None, index, width))
        first = index * TILE_WIDTH
        return self._store.read_bundle_bytes(first, first + width)

    def _require_tile(self, ref: TileRef) -> None:
        available = tile_width(ref.level or 0, ref.index, self._store.size)
        if ref.width > available:  # a reader may lag the writer: catch up once
            available = tile_width(ref.level or 0, ref.index, self._store.refresh())
        # Partial widths below the current one are what older checkpoints referred to.
        if ref.width > available or (ref.width == TILE_WIDTH and available < TILE_WIDTH):
            raise NotFound(f"{ref.path()} is beyond the tree")

    def verify_integrity(self) -> None:
        """Recompute the whole tree from the stored entries (slow; for audits and fsck)."""
        self._store.verify_integrity()


def _require_signer_for(origin: str, signer: NoteSigner) -> None:
    if signer.name != origin:
        raise ValidationFailed(
            f"the signing key is named {signer.name!r}; it must be the origin {origin!r}",
            field="signer",
        )


def open_transparency_log(
    log_directory: Path,
    key_directory: Path,
    *,
    origin: str,
    published: PublishedCheckpoints | None = None,
) -> tuple[TransparencyLog, KeyStore]:
    """Open (or create) a log and its key store. Only a fresh, empty log gets a new key: for a
    log that holds entries or has published a checkpoint, a missing key is an error."""
    keys = KeyStore(key_directory, name=origin)
    if keys.has_active_key() or not is_fresh_log(log_directory, published):
        signer = keys.active_signer()
    else:
        signer = keys.create_first_key()
    log = TransparencyLog(
        log_directory,
        origin=origin,
        signer=signer,
        published=published,
        verifiers=keys.verifiers(),
    )
    return log, keys


def is_fresh_log(log_directory: Path, published: PublishedCheckpoints | None) -> bool:
    """Nothing stored, nothing published: the only state in which a first key may be made."""
    if published is not None and published.load() is not None:
        return False
    if (log_directory / "checkpoint").exists():
        return False
    entries = log_directory / "tree" / "entries"
    return not entries.exists() or entries.stat().st_size == 0
