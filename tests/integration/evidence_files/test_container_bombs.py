"""Zip-based documents (OFD 发票 and the like) are checked for what they unpack to before they
are accepted: a zip bomb is refused and nothing of it is kept (issue 15, finding 10)."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest

from weiquan.adapters.blobstore import FilesystemBlobStore
from weiquan.domain.errors import ValidationFailed
from weiquan.domain.evidence_files import ContainerLimits

MiB = 1024 * 1024
OFD_XML = (
    b'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016"/>'
)


def ofd(*entries: tuple[str, bytes]) -> bytes:
    """A zip whose first entry is OFD.xml, as 发票 issuers write it, then the given entries."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("OFD.xml", OFD_XML)
        for name, data in entries:
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.fixture
def store(tmp_path: Path) -> FilesystemBlobStore:
    return FilesystemBlobStore(tmp_path / "blobs")


def leftovers(store: FilesystemBlobStore) -> list[Path]:
    return [path for path in store.root.rglob("*") if path.is_file()]


def test_a_real_sized_ofd_invoice_is_accepted(store: FilesystemBlobStore) -> None:
    invoice = ofd(
        ("Doc_0/Document.xml", b"<ofd:Document/>" * 200), ("Doc_0/Res/seal.png", os.urandom(20_000))
    )
    stored = store.put_stream([invoice], max_bytes=MiB)
    assert stored.mime == "application/ofd"
    assert store.exists(stored.sha256)


def test_an_ofd_that_unpacks_a_thousandfold_is_refused_and_not_kept(
    store: FilesystemBlobStore,
) -> None:
    bomb = ofd(("Doc_0/Document.xml", bytes(20 * MiB)))
    assert len(bomb) < 100_000  # twenty megabytes of zeros in a few kilobytes
    with pytest.raises(ValidationFailed, match="压缩比") as refused:
        store.put_stream([bomb], max_bytes=MiB)
    assert refused.value.field == "file"
    assert leftovers(store) == []


def test_an_archive_declaring_more_than_the_total_limit_is_refused(tmp_path: Path) -> None:
    store = FilesystemBlobStore(
        tmp_path / "blobs", container_limits=ContainerLimits(max_total_bytes=MiB)
    )
    incompressible = ofd(("Doc_0/a.bin", os.urandom(MiB)), ("Doc_0/b.bin", os.urandom(MiB // 2)))
    with pytest.raises(ValidationFailed, match="解压后超过 1 MiB"):
        store.put_stream([incompressible], max_bytes=10 * MiB)
    assert leftovers(store) == []


def test_an_archive_of_too_many_entries_is_refused(tmp_path: Path) -> None:
    store = FilesystemBlobStore(
        tmp_path / "blobs", container_limits=ContainerLimits(max_entries=10)
    )
    many = ofd(*[(f"Doc_0/Page_{n}.xml", b"<p/>") for n in range(10)])
    with pytest.raises(ValidationFailed, match="条目超过 10"):
        store.put_stream([many], max_bytes=MiB)
    assert leftovers(store) == []


def test_a_file_that_only_starts_like_an_ofd_is_refused_as_damaged(
    store: FilesystemBlobStore,
) -> None:
    truncated = ofd(("Doc_0/Document.xml", b"<ofd:Document/>"))[:60]
    with pytest.raises(ValidationFailed, match="损坏"):
        store.put_stream([truncated], max_bytes=MiB)
    assert leftovers(store) == []
