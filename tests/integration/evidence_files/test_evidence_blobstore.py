"""The filesystem store: streaming hash, size limit, dedup, refusal, nothing left on failure."""

from __future__ import annotations

import hashlib
import os
import stat
import threading
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from weiquan.adapters.blobstore import FilesystemBlobStore
from weiquan.domain.errors import IntegrityViolation, NotFound, ValidationFailed

MiB = 1024 * 1024
PNG_HEAD = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(13)
MP4_HEAD = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isommp41"


@pytest.fixture
def store(tmp_path: Path) -> FilesystemBlobStore:
    return FilesystemBlobStore(tmp_path / "blobs")


def leftovers(store: FilesystemBlobStore) -> list[Path]:
    return [path for path in store.root.rglob("*") if path.is_file()]


def test_a_file_is_stored_read_only_under_its_sha256(store: FilesystemBlobStore) -> None:
    data = PNG_HEAD + b"pixels" * 1000
    blob = store.put_stream([data[:100], data[100:]], max_bytes=MiB)
    digest = hashlib.sha256(data).hexdigest()
    assert (blob.sha256, blob.size, blob.mime, blob.deduplicated) == (
        digest,
        len(data),
        "image/png",
        False,
    )
    path = store.root / digest[:2] / digest[2:4] / digest
    assert path.is_file()
    assert not path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    with store.open(digest) as stored:
        assert stored.read() == data
    assert store.exists(digest)
    assert store.size(digest) == len(data)
    assert store.verify(digest)


def test_the_same_bytes_are_stored_once(store: FilesystemBlobStore) -> None:
    data = "2026-11-20 14:03:22 店小二: 您好\n".encode()
    first = store.put_stream([data], max_bytes=MiB)
    second = store.put_stream(iter([data[:5], data[5:]]), max_bytes=MiB)
    assert (first.deduplicated, second.deduplicated) == (False, True)
    assert first.sha256 == second.sha256
    assert second.mime == "text/plain"
    assert len(leftovers(store)) == 1


def test_the_same_bytes_uploaded_at_once_from_two_threads_end_as_one_file(
    store: FilesystemBlobStore,
) -> None:
    data = PNG_HEAD + os.urandom(256 * 1024)
    results = []

    def upload() -> None:
        results.append(
            store.put_stream([data[i : i + 4096] for i in range(0, len(data), 4096)], max_bytes=MiB)
        )

    threads = [threading.Thread(target=upload) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({blob.sha256 for blob in results}) == 1
    assert len(leftovers(store)) == 1
    assert store.verify(results[0].sha256)


def counting_chunks(head: bytes, chunk: bytes, count: int, consumed: list[int]) -> Iterator[bytes]:
    yield head
    for _ in range(count):
        consumed[0] += 1
        yield chunk


def test_an_upload_over_the_limit_stops_early_and_leaves_nothing(
    store: FilesystemBlobStore,
) -> None:
    consumed = [0]
    chunks = counting_chunks(MP4_HEAD, bytes(MiB), 100, consumed)
    with pytest.raises(ValidationFailed, match="5 MiB") as caught:
        store.put_stream(chunks, max_bytes=5 * MiB)
    assert caught.value.field == "file"
    assert consumed[0] == 5  # the sixth MiB broke the limit; the rest was never read
    assert leftovers(store) == []


def test_a_refused_type_is_rejected_after_its_first_bytes(store: FilesystemBlobStore) -> None:
    consumed = [0]
    windows_exe = b"MZ\x90\x00" + bytes(60) + b"PE\x00\x00" + bytes(8000)
    with pytest.raises(ValidationFailed, match="可执行"):
        store.put_stream(
            counting_chunks(windows_exe, bytes(MiB), 50, consumed), max_bytes=100 * MiB
        )
    assert consumed[0] == 0
    assert leftovers(store) == []


def test_html_named_like_a_photo_is_refused_and_not_kept(store: FilesystemBlobStore) -> None:
    page = b"<html><body><script>document.location='//evil'</script></body></html>"
    with pytest.raises(ValidationFailed, match="脚本"):
        store.put_stream([page], max_bytes=MiB)
    assert leftovers(store) == []


def test_a_connection_lost_midway_leaves_nothing(store: FilesystemBlobStore) -> None:
    def dropped() -> Iterator[bytes]:
        yield PNG_HEAD + bytes(8192)
        yield bytes(MiB)
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        store.put_stream(dropped(), max_bytes=10 * MiB)
    assert leftovers(store) == []


def test_a_stored_file_that_no_longer_matches_its_size_is_not_silently_reused(
    store: FilesystemBlobStore,
) -> None:
    data = PNG_HEAD + b"x" * 100
    blob = store.put_stream([data], max_bytes=MiB)
    path = store.path_of(blob.sha256)
    path.chmod(0o600)
    path.write_bytes(data + b"tampered")
    assert not store.verify(blob.sha256)
    with pytest.raises(IntegrityViolation):
        store.put_stream([data], max_bytes=MiB)
    assert [p.name for p in leftovers(store)] == [blob.sha256]


def test_missing_and_malformed_keys_are_told_apart(store: FilesystemBlobStore) -> None:
    with pytest.raises(NotFound):
        store.open("0" * 64)
    with pytest.raises(NotFound):
        store.size("0" * 64)
    with pytest.raises(ValidationFailed):
        store.open("../../etc/passwd")
    assert not store.exists("f" * 64)


def test_partial_files_left_by_a_crash_are_swept_after_an_hour(store: FilesystemBlobStore) -> None:
    stale = store.root / ".incoming" / "crashed.part"
    fresh = store.root / ".incoming" / "uploading.part"
    stale.write_bytes(b"half")
    fresh.write_bytes(b"half")
    two_hours_ago = time.time() - 7200
    os.utime(stale, (two_hours_ago, two_hours_ago))
    assert store.discard_incomplete_uploads(older_than_seconds=3600) == 1
    assert not stale.exists()
    assert fresh.exists()


def test_a_200_mib_video_is_hashed_while_streaming_in_little_memory(
    store: FilesystemBlobStore,
) -> None:
    expected = hashlib.sha256()
    block = os.urandom(MiB)

    def video() -> Iterator[bytes]:
        for index in range(200):
            chunk = (MP4_HEAD if index == 0 else index.to_bytes(8, "big")) + block[32:]
            expected.update(chunk)
            yield chunk

    tracemalloc.start()
    try:
        blob = store.put_stream(video(), max_bytes=512 * MiB)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert blob.sha256 == expected.hexdigest()
    assert blob.mime == "video/mp4"
    assert blob.size == store.size(blob.sha256) > 199 * MiB
    assert peak < 8 * MiB, f"peak {peak / MiB:.1f} MiB while streaming 200 MiB"
