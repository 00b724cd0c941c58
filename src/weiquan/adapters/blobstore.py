"""Evidence files on the local filesystem, named by their SHA-256.

Layout: ``<root>/ab/cd/abcd…`` (two levels of fan-out keep directories small at millions of
files).  An upload streams into ``<root>/.incoming/`` — the same filesystem, so the final
rename is atomic — while being hashed, counted and sniffed; only a complete, allowed, fsynced
file is renamed into place, read-only.  Any failure removes the partial file.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO

from weiquan.domain.errors import IntegrityViolation, NotFound
from weiquan.domain.evidence_files import (
    SNIFF_BYTES,
    ZIP_CONTAINER_MIME_TYPES,
    ArchiveEntry,
    ContainerLimits,
    SniffedType,
    StoredBlob,
    check_container,
    require_sha256_hex,
    sniff_mime,
    too_large,
    unreadable_container,
)

_READ_ONLY = stat.S_IRUSR | stat.S_IRGRP
_INCOMING = ".incoming"


class FilesystemBlobStore:
    """The default :class:`~weiquan.domain.evidence_files.BlobStore`."""

    def __init__(self, root: Path, *, container_limits: ContainerLimits | None = None) -> None:
        self.root = Path(root)
        self.container_limits = container_limits or ContainerLimits()
        self._incoming = self.root / _INCOMING
        self._incoming.mkdir(parents=True, exist_ok=True)

    def put_stream(
        self,
        chunks: Iterable[bytes],
        *,
        max_bytes: int,
        accept_mime: Callable[[str], None] | None = None,
    ) -> StoredBlob:
        handle, temp_name = tempfile.mkstemp(dir=self._incoming, suffix=".part")
        temp_path = Path(temp_name)
        try:
            with os.fdopen(handle, "wb") as sink:
                sha256, size, sniffed = _copy_hashing(
                    chunks, sink, max_bytes=max_bytes, accept_mime=accept_mime
                )
                sink.flush()
                os.fsync(sink.fileno())
            if sniffed.mime in ZIP_CONTAINER_MIME_TYPES:
                check_zip_container(temp_path, self.container_limits)
            deduplicated = self._move_into_place(temp_path, sha256, size)
        except BaseException:
            temp_path.unlink(missing_ok=True)
            raise
        return StoredBlob(sha256, size, sniffed.mime, deduplicated, sniffed.charset)

    def open(self, sha256: str) -> BinaryIO:
        path = self.path_of(sha256)
        try:
            return path.open("rb")
        except FileNotFoundError:
            raise NotFound(f"证据文件不存在 / no stored file {sha256}", field="sha256") from None

    def exists(self, sha256: str) -> bool:
        return self.path_of(sha256).is_file()

    def size(self, sha256: str) -> int:
        try:
            return self.path_of(sha256).stat().st_size
        except FileNotFoundError:
            raise NotFound(f"证据文件不存在 / no stored file {sha256}", field="sha256") from None

    def path_of(self, sha256: str) -> Path:
        digest = require_sha256_hex(sha256)
        return self.root / digest[:2] / digest[2:4] / digest

    def verify(self, sha256: str, *, chunk_size: int = 1 << 20) -> bool:
        """Re-hash the stored bytes: True when they still match their name."""
        hasher = hashlib.sha256()
        with self.open(sha256) as source:
            while block := source.read(chunk_size):
                hasher.update(block)
        return hasher.hexdigest() == require_sha256_hex(sha256)

    def remove_if_stale(self, sha256: str, *, older_than_seconds: float) -> bool:
        """The caller has checked that nothing references these bytes; a deduplicated upload
        refreshes the file's time, so bytes stored again meanwhile are left alone."""
        path = self.path_of(sha256)
        try:
            if time.time() - path.stat().st_mtime < older_than_seconds:
                return False
            path.unlink()
        except FileNotFoundError:
            return False
        return True

    def discard_incomplete_uploads(self, *, older_than_seconds: float = 3600.0) -> int:
        """Remove partial files a crashed process left behind; returns how many."""
        cutoff = time.time() - older_than_seconds
        removed = 0
        for leftover in self._incoming.glob("*.part"):
            with contextlib.suppress(FileNotFoundError):
                if leftover.stat().st_mtime < cutoff:
                    leftover.unlink()
                    removed += 1
        return removed

    def _move_into_place(self, temp_path: Path, sha256: str, size: int) -> bool:
        final_path = self.path_of(sha256)
        if final_path.exists():
            _check_same_size(final_path, size)
            temp_path.unlink()
            # Fresh again: the sweep of never-attached uploads leaves recently stored bytes alone.
            with contextlib.suppress(OSError):
                os.utime(final_path)
            return True
        fan_out = final_path.parent
        new_directories = not fan_out.exists()
        fan_out.mkdir(parents=True, exist_ok=True)
        temp_path.chmod(_READ_ONLY)
        # Two uploads of the same bytes may race here; both files are identical, so either wins.
        temp_path.replace(final_path)
        _fsync_directory(fan_out)
        if new_directories:  # the new ab/ and ab/cd/ entries must survive a crash too
            _fsync_directory(fan_out.parent)
            _fsync_directory(self.root)
        return False


def _copy_hashing(
    chunks: Iterable[bytes],
    sink: BinaryIO,
    *,
    max_bytes: int,
    accept_mime: Callable[[str], None] | None,
) -> tuple[str, int, SniffedType]:
    hasher = hashlib.sha256()
    head = bytearray()
    sniffed: SniffedType | None = None
    size = 0
    for chunk in chunks:
        if not chunk:
            continue
        size += len(chunk)
        if size > max_bytes:
            raise too_large(max_bytes)
        if sniffed is None:
            head += chunk[: SNIFF_BYTES - len(head)]
            if len(head) >= SNIFF_BYTES:
                # Refuse a disallowed type before the rest of a large upload is written.
                sniffed = sniff_mime(bytes(head), complete=False)
                if accept_mime is not None:
                    accept_mime(sniffed.mime)
        hasher.update(chunk)
        sink.write(chunk)
    if sniffed is None:
        sniffed = sniff_mime(bytes(head), complete=True)
        if accept_mime is not None:
            accept_mime(sniffed.mime)
    return hasher.hexdigest(), size, sniffed


def check_zip_container(path: Path, limits: ContainerLimits) -> None:
    """Refuses a zip-based document whose central directory declares a zip bomb, before it is
    accepted. Only the directory is read; nothing is unpacked."""
    try:
        with zipfile.ZipFile(path) as archive:
            entries = (
                ArchiveEntry(info.filename, info.compress_size, info.file_size)
                for info in archive.infolist()
            )
            check_container(entries, limits)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise unreadable_container() from None


def _check_same_size(existing: Path, size: int) -> None:
    if existing.stat().st_size != size:
        raise IntegrityViolation(
            f"已存文件 {existing.name} 的大小与其哈希不符，可能已损坏 / "
            "a stored file no longer matches its hash",
            field="sha256",
        )


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable, not only the file's bytes."""
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
