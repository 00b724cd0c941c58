"""`weiquan verify PACKAGE.zip [--key KEY]` — check an evidence package offline.

Exit 0 with a summary when every check passes; exit 1 with ``FAILED: <reason>`` naming the
first check that does not. Nothing is extracted to disk: members are read from the zip.
"""

from __future__ import annotations

import hashlib
import zipfile
import zlib
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from weiquan.adapters.tlog import Ed25519NoteVerifier
from weiquan.adapters.tlog.keys import key_texts_in
from weiquan.domain.errors import DomainError
from weiquan.domain.package_verify import PackageCheckFailed, PackageSummary, verify_package

_CHUNK = 1 << 20
_SMALL_MEMBER_LIMIT = 64 << 20  # manifest, history, proofs: far below this in any real case


class ZipContents:
    """``PackageContents`` over an open zip; every read checks the member's CRC."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self._archive = archive

    def names(self) -> list[str]:
        return [info.filename for info in self._archive.infolist() if not info.is_dir()]

    def read(self, name: str) -> bytes:
        if self._archive.getinfo(name).file_size > _SMALL_MEMBER_LIMIT:
            raise PackageCheckFailed("archive", f"{name} is implausibly large")
        try:
            return self._archive.read(name)
        except (zipfile.BadZipFile, zlib.error, EOFError) as error:
            raise _damaged(name, error) from error

    def digest(self, name: str) -> tuple[str, int]:
        digest, size = hashlib.sha256(), 0
        try:
            with self._archive.open(name) as member:
                while chunk := member.read(_CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
        except (zipfile.BadZipFile, zlib.error, EOFError) as error:
            raise _damaged(name, error) from error
        return digest.hexdigest(), size


def _damaged(name: str, error: Exception) -> PackageCheckFailed:
    return PackageCheckFailed("archive", f"the zip is damaged at {name}: {error}")


def check_package(package: Path, trusted_keys: list[str]) -> PackageSummary:
    """Open the zip and run every check; raise PackageCheckFailed (or another DomainError)."""
    try:
        archive = zipfile.ZipFile(package)
    except (zipfile.BadZipFile, OSError) as error:
        raise PackageCheckFailed(
            "archive", f"{package} is not a readable zip (truncated or damaged?): {error}"
        ) from error
    with archive:
        duplicates = _duplicate_names(archive)
        if duplicates:
            raise PackageCheckFailed("archive", f"the zip holds {duplicates[0]} more than once")
        return verify_package(
            ZipContents(archive),
            make_verifier=Ed25519NoteVerifier.from_verifier_key,
            trusted_keys=trusted_keys,
        )


def _duplicate_names(archive: zipfile.ZipFile) -> list[str]:
    seen: set[str] = set()
    duplicates = []
    for name in archive.namelist():
        if name in seen:
            duplicates.append(name)
        seen.add(name)
    return duplicates


def _key_texts(keys: list[str]) -> list[str]:
    """Each --key is a key or a file of keys, one per line (the log's published key history)."""
    texts: list[str] = []
    for key in keys:
        texts.extend(key_texts_in(Path(key).read_text("utf-8")) if Path(key).is_file() else [key])
    return texts


def verify_command(
    package: Annotated[Path, typer.Argument(help="The evidence package (.zip)")],
    key: Annotated[
        list[str] | None,
        typer.Option(
            "--key",
            help="The log's public key as the platform publishes it (text or a file); repeat "
            "for keys from before a rotation. Without it the package's own key is used.",
        ),
    ] = None,
) -> None:
    """Check an evidence package offline: files, history, proofs, signature and certificate."""
    console = Console()
    try:
        summary = check_package(package, _key_texts(key or []))
    except (DomainError, OSError) as error:
        reason = error.message if isinstance(error, DomainError) else str(error)
        typer.echo(f"FAILED: {reason}", err=True)
        raise typer.Exit(1) from error
    console.print(_summary_table(summary))
    if not summary.key_trusted:
        console.print(
            "[yellow]注意 / note:[/yellow] no --key given: the checkpoint was checked against the "
            "key inside the package. Compare it with the key the platform publishes."
        )
    console.print("[green]OK[/green]: the package is intact and every record is in the log")


def _summary_table(summary: PackageSummary) -> Table:
    table = Table(title="证据包核验通过 / Evidence package verified", show_header=False)
    table.add_column(style="bold")
    table.add_column()
    table.add_row("案件编号 Case", summary.case_number)
    table.add_row("证据文件 Files", str(summary.files))
    table.add_row("案件事件 Events", str(summary.events))
    table.add_row("日志 Log", summary.origin)
    table.add_row("检查点大小 Checkpoint size", str(summary.checkpoint_size))
    name, key_id, _public = summary.key.split("+", 2)
    trust = (
        "与 --key 一致 / matches --key" if summary.key_trusted else "包内公钥 / from the package"
    )
    table.add_row("公钥 Key", f"{name} {key_id} ({trust})")
    return table
