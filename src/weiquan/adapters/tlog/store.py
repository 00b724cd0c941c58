"""The log on disk: four append-only files, one commit record per acknowledged batch.

``entries``      each entry as uint16 length ‖ bytes — the entry-bundle format, so a bundle is
                 one contiguous read.
``entry-ends``   uint64 end offset of each entry in ``entries`` (random access by index).
``hashes``       every complete-subtree hash, 32 bytes each, in post-order: appending leaf i
                 writes its hash and then the parents it completes, so the file only grows.
                 Node (level, index) sits at 2j − popcount(j) + level, with j its last leaf.
``commits``      per batch: uint64 tree size ‖ 32-byte root, written after the three data files
                 are fsync'd and fsync'd itself before the batch is acknowledged.

Opening the store finds the last commit record whose root the stored hashes reproduce and cuts
every file back to it: whatever was not acknowledged is dropped, a torn tail is removed, and
acknowledged data that no longer matches its root is reported, never silently repaired.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import mmap
import os
import struct
import threading
from collections.abc import Callable, Sequence
from hashlib import sha256
from itertools import accumulate
from pathlib import Path

from weiquan.adapters.tlog.files import fsync_directory
from weiquan.domain.errors import Conflict, IntegrityViolation, NotFound, ValidationFailed
from weiquan.domain.tlog import (
    HASH_SIZE,
    MAX_ENTRY_SIZE,
    CompactRange,
    aligned_subtrees,
    leaf_hash,
    parse_entry_bundle,
    tree_root,
)
from weiquan.domain.tlog.tree import fold_from_right

FORMAT_MARKER = b"weiquan transparency log, file format 1\n"
_COMMIT = struct.Struct(">Q32s")
_END = struct.Struct(">Q")
_COPY_CHUNK = 1 << 20


def node_position(level: int, index: int) -> int:
    """Where node (level, index) sits in the post-order ``hashes`` file, counted in hashes."""
    last_leaf = ((index + 1) << level) - 1
    return 2 * last_leaf - last_leaf.bit_count() + level


def node_count(size: int) -> int:
    """How many hashes the post-order file holds for a tree of ``size`` leaves."""
    return 2 * size - size.bit_count()


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


class FileLogStore:
    """One writer process (enforced with a lock file); any number of reader threads.

    ``read_only=True`` opens the files of a log another process writes: no lock, no recovery,
    and :meth:`refresh` catches up with the writer's newest commit.
    """

    def __init__(self, directory: Path, *, read_only: bool = False) -> None:
        self._directory = directory
        self._read_only = read_only
        self._lock_fd: int | None = None
        self._fds: dict[str, int] = {}
        self._view: mmap.mmap | None = None
        try:
            if not read_only:
                directory.mkdir(parents=True, exist_ok=True)
                self._lock_fd = self._take_writer_lock(directory / "lock")
            self._check_format(directory / "FORMAT", create=not read_only)
            flags = os.O_RDONLY if read_only else os.O_RDWR | os.O_CREAT | os.O_APPEND
            for name in ("entries", "entry-ends", "hashes", "commits"):
                self._fds[name] = os.open(directory / name, flags, 0o644)
            self._size = 0
            self._entries_end = 0
            self._commits_end = 0
            self._range = CompactRange()
            self._broken = False
            self._view_lock = threading.Lock()
            self._refresh_lock = threading.Lock()
            if read_only:
                self.refresh()
            else:
                fsync_directory(directory)
                self._recover()
        except BaseException:
            self.close()
            raise

    # -- opening and recovery ------------------------------------------------------------------

    @staticmethod
    def _take_writer_lock(path: Path) -> int:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            os.close(fd)
            if error.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise Conflict(f"another process is writing the log in {path.parent}") from error
            raise
        return fd

    @staticmethod
    def _check_format(path: Path, *, create: bool) -> None:
        if path.exists():
            if path.read_bytes() != FORMAT_MARKER:
                raise IntegrityViolation(f"{path} does not hold a format this version reads")
            return
        if not create:
            raise NotFound(f"there is no transparency log in {path.parent}")
        temporary = path.with_suffix(".tmp")
        temporary.write_bytes(FORMAT_MARKER)
        with temporary.open("rb") as handle:
            os.fsync(handle.fileno())
        temporary.replace(path)

    def _length(self, name: str) -> int:
        return os.fstat(self._fds[name]).st_size

    def _recover(self) -> None:
        size, records = self._last_valid_commit()
        self._size = size
        self._entries_end = self._read_end(size - 1) if size else 0
        self._commits_end = records * _COMMIT.size
        self._cut_back_to_commit()
        self._range = CompactRange(
            size, [self._read_node(*node) for node in aligned_subtrees(0, size)]
        )

    def refresh(self) -> int:
        """Read-only stores: adopt the writer's newest commit; returns the size."""
        if not self._read_only:
            return self._size
        with self._refresh_lock:
            size, records = self._last_valid_commit()
            if size > self._size:
                self._entries_end = self._read_end(size - 1)
                self._commits_end = records * _COMMIT.size
                self._range = CompactRange(
                    size, [self._read_node(*node) for node in aligned_subtrees(0, size)]
                )
                self._size = size
        return self._size

    def _last_valid_commit(self) -> tuple[int, int]:
        """(tree size, number of records kept).  Only the newest record may be discarded: it is
        the only one that can be torn, because each record is fsync'd before the next batch."""
        records = self._length("commits") // _COMMIT.size
        for dropped in range(min(records, 2)):
            position = (records - 1 - dropped) * _COMMIT.size
            size, root = _COMMIT.unpack(os.pread(self._fds["commits"], _COMMIT.size, position))
            if self._holds(size) and self._root_from_disk(size) == root:
                return size, records - dropped
        if records >= 2:
            raise IntegrityViolation(
                f"the stored tree in {self._directory} no longer matches its acknowledged root"
            )
        return 0, 0

    def _holds(self, size: int) -> bool:
        if size > (1 << 62) or self._length("entry-ends") < size * _END.size:
            return False
        if self._length("hashes") < node_count(size) * HASH_SIZE:
            return False
        return size == 0 or self._length("entries") >= self._read_end(size - 1)

    def _root_from_disk(self, size: int) -> bytes:
        return fold_from_right([self._read_node(*node) for node in aligned_subtrees(0, size)])

    def _cut_back_to_commit(self) -> None:
        cuts = {
            "entries": self._entries_end,
            "entry-ends": self._size * _END.size,
            "hashes": node_count(self._size) * HASH_SIZE,
            "commits": self._commits_end,
        }
        for name, length in cuts.items():
            if self._length(name) != length:
                os.ftruncate(self._fds[name], length)
                os.fsync(self._fds[name])

    # -- reading ------------------------------------------------------------------------------

    @property
    def size(self) -> int:
        return self._size

    def root(self, size: int | None = None) -> bytes:
        if size is None or size == self._size:
            return self._range.root()
        if not 0 <= size <= self._size:
            raise NotFound(f"the log has {self._size} entries, not {size}")
        return tree_root(self, size)

    def node_hash(self, level: int, index: int) -> bytes:
        """Hash of a complete subtree inside the committed tree (the ``NodeReader`` port)."""
        last_leaf = ((index + 1) << level) - 1
        if level < 0 or index < 0 or last_leaf >= self._size:
            raise NotFound(f"no complete subtree at level {level}, index {index}")
        start = (2 * last_leaf - last_leaf.bit_count() + level) * HASH_SIZE  # node_position
        end = start + HASH_SIZE
        view = self._view
        if view is None or len(view) < end:
            view = self._hash_view(end)
        return view[start:end]

    def _hash_view(self, needed: int) -> mmap.mmap:
        # Map only committed bytes: a rolled-back tail is never inside a live mapping.  Older
        # mappings stay valid for readers still holding them and are freed with them.
        view = self._view
        if view is None or len(view) < needed:
            with self._view_lock:
                view = self._view
                if view is None or len(view) < needed:
                    committed = node_count(self._size) * HASH_SIZE
                    view = mmap.mmap(self._fds["hashes"], committed, access=mmap.ACCESS_READ)
                    self._view = view
        return view

    def _read_node(self, level: int, index: int) -> bytes:
        """A node read with pread, for recovery (before any mapping exists)."""
        start = node_position(level, index) * HASH_SIZE
        return os.pread(self._fds["hashes"], HASH_SIZE, start)

    def _read_end(self, index: int) -> int:
        (end,) = _END.unpack(os.pread(self._fds["entry-ends"], _END.size, index * _END.size))
        return int(end)

    def read_entry(self, index: int) -> bytes:
        if not 0 <= index < self._size:
            raise NotFound(f"the log has no entry {index}")
        return self.read_bundle_bytes(index, index + 1)[2:]

    def read_bundle_bytes(self, start: int, end: int) -> bytes:
        """Entries [start, end) as an entry bundle (uint16 length ‖ bytes each)."""
        if not 0 <= start < end <= self._size:
            raise NotFound(f"the log has no entries [{start}, {end})")
        first = self._read_end(start - 1) if start else 0
        last = self._read_end(end - 1)
        return os.pread(self._fds["entries"], last - first, first)

    # -- writing ------------------------------------------------------------------------------

    def append(self, entries: Sequence[bytes]) -> int:
        """Make ``entries`` durable and return the index of the first; one fsync per file."""
        if self._read_only:
            raise Conflict(f"the log in {self._directory} was opened read-only")
        if self._broken:
            raise IntegrityViolation("an earlier write failed; reopen the log to recover it")
        first = self._size
        if not entries:
            return first
        for entry in entries:
            if len(entry) > MAX_ENTRY_SIZE:
                raise ValidationFailed("a log entry is longer than 65535 bytes", field="entry")
        grown = self._range.copy()
        new_nodes = grown.append([sha256(b"\x00" + entry).digest() for entry in entries])
        ends = list(accumulate((len(entry) + 2 for entry in entries), initial=self._entries_end))
        record = _COMMIT.pack(grown.size, grown.root())
        data = {
            "entries": b"".join(_prefixed(entry) for entry in entries),
            "entry-ends": struct.pack(f">{len(entries)}Q", *ends[1:]),
            "hashes": b"".join(new_nodes),
        }
        try:
            # Data first, all of it on disk; only then the record that makes it count.
            for name, blob in data.items():
                _write_all(self._fds[name], blob)
            for name in data:
                os.fdatasync(self._fds[name])
            _write_all(self._fds["commits"], record)
            os.fdatasync(self._fds["commits"])
        except BaseException:
            self._roll_back()
            raise
        self._entries_end = ends[-1]
        self._commits_end += _COMMIT.size
        self._range = grown
        self._size = grown.size  # last: readers see the new size only once all is in place
        return first

    def export_prefix(self, size: int, target: Path, advance: Callable[[int], object]) -> bytes:
        """Write the first ``size`` entries as a log of their own in ``target`` (for a backup):
        the three data files cut at ``size`` and one commit record for it. Returns its root.
        Safe while the writer appends: everything below the committed size is immutable."""
        if size > self.refresh():
            raise NotFound(f"the log has {self._size} entries, not {size}")
        root = self.root(size)
        target.mkdir(parents=True, exist_ok=True)
        (target / "FORMAT").write_bytes(FORMAT_MARKER)
        lengths = {
            "entries": self._read_end(size - 1) if size else 0,
            "entry-ends": size * _END.size,
            "hashes": node_count(size) * HASH_SIZE,
        }
        for name, length in lengths.items():
            with (target / name).open("wb") as out:
                for offset in range(0, length, _COPY_CHUNK):
                    chunk = os.pread(self._fds[name], min(_COPY_CHUNK, length - offset), offset)
                    out.write(chunk)
                    advance(len(chunk))
                out.flush()
                os.fsync(out.fileno())
        with (target / "commits").open("wb") as out:
            out.write(_COMMIT.pack(size, root))
            out.flush()
            os.fsync(out.fileno())
        return root

    def exported_bytes(self, size: int) -> int:
        """How many bytes :meth:`export_prefix` copies for ``size`` entries (for progress)."""
        entries = self._read_end(size - 1) if size else 0
        return entries + size * _END.size + node_count(size) * HASH_SIZE

    def root_after(self, entries: Sequence[bytes]) -> bytes:
        """The root the tree would have with ``entries`` appended; nothing is written."""
        grown = self._range.copy()
        grown.append([leaf_hash(entry) for entry in entries])
        return grown.root()

    def _roll_back(self) -> None:
        # After a failed write or fsync the page cache cannot be trusted (the kernel may have
        # dropped the dirty pages), so cut back to the last commit and refuse further writes
        # until the log is reopened and recovered from disk.
        self._broken = True
        with contextlib.suppress(OSError):
            self._cut_back_to_commit()

    def verify_integrity(self) -> None:
        """Recompute every leaf hash and interior node from the entries (a full audit)."""
        rebuilt = CompactRange()
        for start in range(0, self._size, 4096):
            end = min(start + 4096, self._size)
            bundle = self.read_bundle_bytes(start, end)
            hashes = rebuilt.append(leaf_hash(entry) for entry in parse_entry_bundle(bundle))
            stored_start = node_count(start) * HASH_SIZE
            stored = os.pread(self._fds["hashes"], len(hashes) * HASH_SIZE, stored_start)
            if stored != b"".join(hashes):
                raise IntegrityViolation(f"stored hashes for entries [{start}, {end}) differ")
        if rebuilt.root() != self._range.root():
            raise IntegrityViolation("the entries do not reproduce the committed root")

    def close(self) -> None:
        self._view = None
        for fd in getattr(self, "_fds", {}).values():
            os.close(fd)
        self._fds = {}
        lock_fd = getattr(self, "_lock_fd", None)
        if lock_fd is not None:
            os.close(lock_fd)  # closing releases the flock
            self._lock_fd = None


def _prefixed(entry: bytes) -> bytes:
    return len(entry).to_bytes(2, "big") + entry
