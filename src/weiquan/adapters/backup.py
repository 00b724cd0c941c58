"""Consistent snapshots of a deployment (database, evidence files, log, keys, holiday years)
and their restore, checked against the snapshot's manifest.

Consistency while serving comes from the order of the copies:

1. the database, in one snapshot: SQLite through its online backup API, PostgreSQL through
   ``pg_dump --snapshot`` of a transaction that also reads how far the database has recorded the
   log (so the dump and that number agree);
2. the log, cut at exactly that number of entries. The log only grows and every entry was built
   from rows committed before it was appended, so the cut log and the dumped database know the
   same entries: records not yet sealed at the cut are sealed again after a restore;
3. the evidence files, which are content-addressed and never change, so every file the dumped
   database refers to is already there.

Layout of a snapshot directory (mode 0700; it holds the log's private key)::

    manifest.json            written last: its presence means the snapshot is complete
    database.sqlite3 | database.pgdump
    tlog/tree/…              the log cut at the database's recorded size, one commit record
    tlog/timestamps/…        RFC 3161 tokens of checkpoints within the cut
    evidence/ab/cd/abcd…     evidence files, by SHA-256
    keys/…                   the log's keys
    holidays/*.json          loaded holiday year files
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from weiquan.adapters.tlog.files import write_atomically
from weiquan.adapters.tlog.store import FileLogStore
from weiquan.domain.errors import (
    Conflict,
    IntegrityViolation,
    NotFound,
    Unavailable,
    ValidationFailed,
)
from weiquan.domain.tlog import EMPTY_ROOT

FORMAT = "weiquan-backup/1"
MANIFEST = "manifest.json"
_CHUNK = 1 << 20

# progress(label, total) starts a task and returns its ``advance(amount)``; total None: unknown.
Progress = Callable[[str, int | None], Callable[[int], object]]


@dataclass(frozen=True, slots=True)
class Deployment:
    """Where one deployment keeps its state (from the settings)."""

    database_url: str
    data_dir: Path
    log_dir: Path
    key_dir: Path
    origin: str

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def evidence_dir(self) -> Path:
        return self.data_dir / "evidence"

    @property
    def holiday_dir(self) -> Path:
        return self.data_dir / "holidays"


@dataclass(frozen=True, slots=True)
class SnapshotSummary:
    directory: Path
    database: str
    log_size: int
    log_root: str
    files: int
    total_bytes: int
    alembic_revision: str | None


# -- backup -------------------------------------------------------------------------------------


@contextlib.contextmanager
def _plain_errors(deployment: Deployment) -> Iterator[None]:
    """Database and file-system failures as errors a person can act on, not tracebacks."""
    try:
        yield
    except sa.exc.SQLAlchemyError as error:
        where = sa.engine.make_url(deployment.database_url).render_as_string(hide_password=True)
        raise Unavailable(
            f"cannot use the database {where} ({type(error).__name__}): check that it exists "
            "and WEIQUAN_DATABASE_URL"
        ) from error
    except sqlite3.Error as error:
        raise IntegrityViolation(f"SQLite could not copy the database: {error}") from error
    except OSError as error:
        raise Unavailable(f"{error.strerror}: {error.filename}") from error


def create_snapshot(
    deployment: Deployment, dest: Path, *, now: datetime, progress: Progress
) -> SnapshotSummary:
    with _plain_errors(deployment):
        return _create_snapshot(deployment, dest, now=now, progress=progress)


def _create_snapshot(
    deployment: Deployment, dest: Path, *, now: datetime, progress: Progress
) -> SnapshotSummary:
    if dest.exists() and any(dest.iterdir()):
        raise Conflict(f"{dest} is not empty: give a new directory for the backup")
    dest.mkdir(parents=True, exist_ok=True, mode=0o700)
    dest.chmod(0o700)
    if deployment.is_sqlite:
        database_file, recorded, revision = _dump_sqlite(deployment, dest, progress)
    else:
        database_file, recorded, revision = _dump_postgres(deployment, dest, progress)
    log_root = _copy_log(deployment, dest / "tlog", recorded, progress)
    _copy_tree(deployment.evidence_dir, dest / "evidence", progress, "evidence files")
    _copy_tree(deployment.key_dir, dest / "keys", progress, "log keys")
    _copy_tree(deployment.holiday_dir, dest / "holidays", progress, "holiday years")
    files = _describe_files(dest, progress)
    manifest = {
        "format": FORMAT,
        "created_at": now.isoformat(),
        "origin": deployment.origin,
        "database": {
            "kind": "sqlite" if deployment.is_sqlite else "postgresql",
            "file": database_file,
            "alembic_revision": revision,
        },
        "log": {
            "size": recorded,
            "root": base64.b64encode(log_root).decode(),
            "published_checkpoint": _published_note(deployment.log_dir),
        },
        "files": files,
    }
    write_atomically(dest / MANIFEST, json.dumps(manifest, indent=1).encode(), mode=0o600)
    return _summary(dest, manifest)


def _dump_sqlite(deployment: Deployment, dest: Path, progress: Progress) -> tuple[str, int, str]:
    source_path = sa.engine.make_url(deployment.database_url).database
    if not source_path or not Path(source_path).exists():
        raise NotFound(f"there is no SQLite database at {source_path}")
    target = dest / "database.sqlite3"
    source = sqlite3.connect(source_path)
    copy = sqlite3.connect(target)
    try:
        page_size = source.execute("PRAGMA page_size").fetchone()[0]
        total = source.execute("PRAGMA page_count").fetchone()[0] * page_size
        advance = progress("database (SQLite online backup)", total)
        # One step, in one read transaction: in WAL mode writers carry on meanwhile. Copying in
        # several steps would restart from the first page whenever another connection writes,
        # which under steady intake need never finish.
        source.backup(copy)
        advance(total)
        recorded, revision = _recorded_and_revision(copy.execute)
    finally:
        copy.close()
        source.close()
    target.chmod(0o600)  # personal data, even if encrypted: the owner only
    return target.name, recorded, revision


def _recorded_and_revision(execute: Callable[[str], Any]) -> tuple[int, str]:
    highest = [
        execute(f"SELECT max(log_index) FROM {table}").fetchone()[0]  # noqa: S608 - fixed names
        for table in ("case_events", "evidence")
    ]
    values = [value for value in highest if value is not None]
    revision = execute("SELECT version_num FROM alembic_version").fetchone()[0]
    return (max(values) + 1 if values else 0), str(revision)


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq connection string for pg_dump/pg_restore, the password in the environment (not
    on a command line other users can read)."""
    parsed = sa.engine.make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _dump_postgres(deployment: Deployment, dest: Path, progress: Progress) -> tuple[str, int, str]:
    target = dest / "database.pgdump"
    dsn, env = _libpq(deployment.database_url)
    engine = sa.create_engine(deployment.database_url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
            # The dump and the recorded log size come from one snapshot of the database.
            snapshot = conn.execute(sa.text("SELECT pg_export_snapshot()")).scalar_one()
            recorded, revision = _recorded_and_revision(
                lambda sql: conn.exec_driver_sql(sql)  # noqa: PLW0108
            )
            command = [
                _tool("pg_dump"),
                "--format=custom",
                f"--snapshot={snapshot}",
                "--no-owner",
                f"--file={target}",
                f"--dbname={dsn}",
            ]
            advance = progress("database (pg_dump)", None)
            copied = _run_watching(command, env, target, advance)
            advance(target.stat().st_size - copied)  # the part written after the last look
    finally:
        engine.dispose()
    target.chmod(0o600)
    return target.name, recorded, revision


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise NotFound(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return found


def _run_watching(
    command: list[str], env: dict[str, str], output: Path | None, advance: Callable[[int], object]
) -> int:
    """Run a PostgreSQL tool, advancing the bar by the growth of its output file; returns the
    bytes counted."""
    stderr: list[bytes] = []
    with subprocess.Popen(  # noqa: S603 - our own argument list, no shell
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    ) as process:
        errors = process.stderr
        assert errors is not None
        reader = threading.Thread(target=lambda: stderr.append(errors.read()))
        reader.start()
        seen = 0
        while process.poll() is None:
            with contextlib.suppress(FileNotFoundError):
                if output is not None and (grown := output.stat().st_size - seen) > 0:
                    advance(grown)
                    seen += grown
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(0.2)
        reader.join()
    if process.returncode != 0:
        text = b"".join(stderr).decode(errors="replace").strip()
        raise IntegrityViolation(f"{Path(command[0]).name} failed: {text}")
    return seen


def _copy_log(deployment: Deployment, target: Path, size: int, progress: Progress) -> bytes:
    tree = deployment.log_dir / "tree"
    if not (tree / "FORMAT").exists():
        if size:
            raise IntegrityViolation(
                f"the database records {size} log entries but there is no log in {tree}"
            )
        return EMPTY_ROOT
    store = FileLogStore(tree, read_only=True)
    try:
        if store.refresh() < size:
            raise IntegrityViolation(
                f"the database records {size} log entries but the log holds {store.size}: "
                "the log is behind the database; back up only a consistent deployment"
            )
        advance = progress(f"log ({size} entries)", store.exported_bytes(size))
        root = store.export_prefix(size, target / "tree", advance)
    finally:
        store.close()
    stamps = deployment.log_dir / "timestamps"
    for path in sorted(stamps.glob("*.*")) if stamps.exists() else []:
        if path.stem.isdigit() and int(path.stem) <= size:
            (target / "timestamps").mkdir(exist_ok=True)
            shutil.copy2(path, target / "timestamps" / path.name)
    return root


def _published_note(log_dir: Path) -> str | None:
    path = log_dir / "checkpoint"
    return path.read_text("utf-8") if path.exists() else None


def _files_under(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if path.is_file() and not relative.parts[0].startswith("."):  # skip .incoming uploads
            yield path


def _copy_tree(source: Path, target: Path, progress: Progress, label: str) -> None:
    if not source.exists():
        return
    files = list(_files_under(source))
    if not files:
        return
    advance = progress(label, sum(path.stat().st_size for path in files))
    target.mkdir(parents=True, exist_ok=True, mode=0o700)
    for path in files:
        destination = target / path.relative_to(source)
        destination.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        shutil.copy2(path, destination)  # keeps modes: a private key stays 0600
        advance(path.stat().st_size)


def _sha256(path: Path, advance: Callable[[int], object]) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            advance(len(chunk))
    return digest.hexdigest()


def _describe_files(dest: Path, progress: Progress) -> list[dict[str, Any]]:
    files = [path for path in _files_under(dest) if path.name != MANIFEST]
    advance = progress("hashing the snapshot", sum(path.stat().st_size for path in files))
    return [
        {
            "path": path.relative_to(dest).as_posix(),
            "size": path.stat().st_size,
            "sha256": _sha256(path, advance),
        }
        for path in files
    ]


def _summary(directory: Path, manifest: dict[str, Any]) -> SnapshotSummary:
    return SnapshotSummary(
        directory=directory,
        database=manifest["database"]["kind"],
        log_size=manifest["log"]["size"],
        log_root=manifest["log"]["root"],
        files=len(manifest["files"]),
        total_bytes=sum(entry["size"] for entry in manifest["files"]),
        alembic_revision=manifest["database"]["alembic_revision"],
    )


# -- restore ------------------------------------------------------------------------------------


def verify_snapshot(source: Path, progress: Progress) -> dict[str, Any]:
    """The manifest, once every file it lists has its size and hash and the log its root."""
    try:
        manifest: dict[str, Any] = json.loads((source / MANIFEST).read_text("utf-8"))
    except FileNotFoundError as error:
        raise NotFound(f"{source} holds no {MANIFEST}: not a (complete) backup") from error
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise IntegrityViolation(f"{source / MANIFEST} is not a readable manifest") from error
    if manifest.get("format") != FORMAT:
        raise ValidationFailed(f"{source} is not a {FORMAT} backup", field="source")
    listed = {entry["path"] for entry in manifest["files"]}
    present = {path.relative_to(source).as_posix() for path in _files_under(source)} - {MANIFEST}
    if present - listed:
        raise IntegrityViolation(f"files not in the manifest: {sorted(present - listed)[:5]}")
    advance = progress("checking the backup", sum(entry["size"] for entry in manifest["files"]))
    for entry in manifest["files"]:
        path = source / entry["path"]
        if not path.is_file() or path.stat().st_size != entry["size"]:
            raise IntegrityViolation(f"{entry['path']} is missing or has the wrong size")
        if _sha256(path, advance) != entry["sha256"]:
            raise IntegrityViolation(f"{entry['path']} does not match its hash in the manifest")
    _check_log_copy(source / "tlog" / "tree", manifest["log"])
    return manifest


def _check_log_copy(tree: Path, expected: dict[str, Any]) -> None:
    if not (tree / "FORMAT").exists():
        if expected["size"]:
            raise IntegrityViolation("the manifest names log entries but the backup has no log")
        return
    store = FileLogStore(tree, read_only=True)
    try:
        root = base64.b64encode(store.root()).decode()
        if (store.size, root) != (expected["size"], expected["root"]):
            raise IntegrityViolation(
                f"the backed-up log has {store.size} entries with root {root}; the manifest "
                f"says {expected['size']} with root {expected['root']}"
            )
    finally:
        store.close()


def restore_snapshot(
    deployment: Deployment,
    source: Path,
    *,
    replace: bool,
    stamp: str,
    progress: Progress,
) -> SnapshotSummary:
    """Put a checked snapshot in place of the deployment's state. The server and worker must be
    stopped; existing files are moved aside (``*.pre-restore-<stamp>``), never deleted."""
    with _plain_errors(deployment):
        return _restore_snapshot(
            deployment, source, replace=replace, stamp=stamp, progress=progress
        )


def _restore_snapshot(
    deployment: Deployment,
    source: Path,
    *,
    replace: bool,
    stamp: str,
    progress: Progress,
) -> SnapshotSummary:
    manifest = verify_snapshot(source, progress)
    kind = "sqlite" if deployment.is_sqlite else "postgresql"
    if manifest["database"]["kind"] != kind:
        raise ValidationFailed(
            f"the backup holds a {manifest['database']['kind']} database; "
            f"WEIQUAN_DATABASE_URL is {kind}",
            field="source",
        )
    if manifest["origin"] != deployment.origin:
        raise ValidationFailed(
            f"the backup is of the log {manifest['origin']!r}; WEIQUAN_LOG_ORIGIN is "
            f"{deployment.origin!r}",
            field="source",
        )
    places = {
        "tlog": deployment.log_dir,
        "evidence": deployment.evidence_dir,
        "keys": deployment.key_dir,
        "holidays": deployment.holiday_dir,
    }
    with _log_writer_lock(deployment.log_dir):
        occupied = [path for path in places.values() if path.exists() and any(path.iterdir())]
        database_in_use = _database_has_schema(deployment)
        if (occupied or database_in_use) and not replace:
            held = [*map(str, occupied), *(["the database"] if database_in_use else [])]
            raise Conflict(
                f"{', '.join(held)} already hold data: pass --replace to move the files aside "
                "(nothing is deleted; a SQLite database is copied aside, a PostgreSQL one is "
                "replaced: take a `weiquan backup` of it first)"
            )
        for path in occupied:
            path.rename(path.with_name(f"{path.name}.pre-restore-{stamp}"))
        if database_in_use and deployment.is_sqlite:
            _copy_sqlite_aside(deployment, stamp)
        for name, path in places.items():
            if (source / name).exists():
                _copy_tree(source / name, path, progress, f"restoring {name}")
        if deployment.key_dir.exists():
            deployment.key_dir.chmod(0o700)
        _restore_database(deployment, source / manifest["database"]["file"], progress)
    return _summary(source, manifest)


@contextlib.contextmanager
def _log_writer_lock(log_dir: Path) -> Iterator[None]:
    """Holds the log's writer lock, so no worker can start (or be running) during a restore."""
    lock = log_dir / "tree" / "lock"
    if not lock.exists():
        yield
        return
    fd = os.open(lock, os.O_RDWR)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            raise Conflict(
                "a worker is writing the log: stop `weiquan serve` and `weiquan worker` first"
            ) from error
        yield
    finally:
        os.close(fd)


def _database_has_schema(deployment: Deployment) -> bool:
    if deployment.is_sqlite:
        path = sa.engine.make_url(deployment.database_url).database
        if not path or not Path(path).exists():
            return False
    engine = sa.create_engine(deployment.database_url, poolclass=sa.pool.NullPool)
    try:
        return sa.inspect(engine).has_table("alembic_version")
    finally:
        engine.dispose()


def _copy_sqlite_aside(deployment: Deployment, stamp: str) -> None:
    path = Path(str(sa.engine.make_url(deployment.database_url).database))
    source = sqlite3.connect(path)
    aside = sqlite3.connect(path.with_name(f"{path.name}.pre-restore-{stamp}"))
    try:
        source.backup(aside)
    finally:
        aside.close()
        source.close()


def _restore_database(deployment: Deployment, dump: Path, progress: Progress) -> None:
    if deployment.is_sqlite:
        target_path = sa.engine.make_url(deployment.database_url).database
        assert target_path
        Path(target_path).parent.mkdir(parents=True, exist_ok=True)
        source = sqlite3.connect(dump)
        target = sqlite3.connect(target_path)
        try:
            total = dump.stat().st_size
            advance = progress("restoring the database", total)
            source.backup(target, pages=0)
            advance(total)
        finally:
            target.close()
            source.close()
        return
    dsn, env = _libpq(deployment.database_url)
    command = [
        _tool("pg_restore"),
        "--clean",
        "--if-exists",
        "--no-owner",
        "--single-transaction",
        f"--dbname={dsn}",
        str(dump),
    ]
    advance = progress("restoring the database (pg_restore)", dump.stat().st_size)
    _run_watching(command, env, None, advance)
    advance(dump.stat().st_size)
