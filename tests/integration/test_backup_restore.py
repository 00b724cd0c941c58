"""`weiquan backup` / `weiquan restore` on both databases with real files (and real pg_dump), and
the log's refusal to sign after a restore that would fork it."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from tests.conftest import PG_ADMIN_URL, TEST_PII_KEYS, engine_for
from tests.support.world import NOW, World, complaint
from weiquan.adapters.blobstore import FilesystemBlobStore
from weiquan.adapters.db import tables as t
from weiquan.adapters.tlog.keys import KeyStore
from weiquan.bootstrap import App, open_log
from weiquan.cli.main import app
from weiquan.cli.worker_process import publish
from weiquan.config import Environment, Settings
from weiquan.domain.errors import IntegrityViolation, LogRolledBack, SigningKeyMissing
from weiquan.domain.tlog import open_checkpoint
from weiquan.services import cases, evidence, health, ledger
from weiquan.services.context import Services

runner = CliRunner()
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00"
    b"\x00\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92"
    b"\xef\x00\x00\x00\x00IEND\xaeB`\x82"
)


@dataclass
class Machine:
    """One deployment's settings, as the environment of the `weiquan` command."""

    settings: Settings

    @property
    def env(self) -> dict[str, str]:
        s = self.settings
        return {
            "WEIQUAN_ENV": "test",
            "WEIQUAN_DATABASE_URL": s.database_url,
            "WEIQUAN_DATA_DIR": str(s.data_dir),
            "WEIQUAN_LOG_STATE_DIR": str(s.published_state_dir),
            "WEIQUAN_PII_KEYS": TEST_PII_KEYS,
        }

    def run(self, *args: str) -> tuple[int, str]:
        result = runner.invoke(app, list(args), env=self.env)
        return result.exit_code, " ".join(result.output.split())  # rich wraps long lines


def machine(database_url: str, folder: Path) -> Machine:
    return Machine(
        Settings(
            env=Environment.TEST,
            database_url=database_url,
            pii_keys=TEST_PII_KEYS,
            data_dir=folder / "data",
            log_state_dir=folder / "state",
        )
    )


@pytest.fixture
def first(database_url: str, tmp_path: Path) -> Machine:
    return machine(database_url, tmp_path / "first")


@pytest.fixture
def vault(services: Services, first: Machine) -> Services:
    """The services, with evidence files in the first machine's data directory."""
    return replace(services, blobs=FilesystemBlobStore(first.settings.data_dir / "evidence"))


def file_case_with_evidence(svc: Services, world: World) -> str:
    case, _ = cases.file_complaint(svc, complaint(world.shop_a), principal=world.alice, now=NOW)
    evidence.add_evidence(
        svc, case_id=case.id, chunks=[PNG], filename="订单.png", principal=world.alice, now=NOW
    )
    return case.id


def seal(svc: Services, settings: Settings) -> int:
    with open_log(settings, writer=True) as tlog:
        ledger.publish(svc, tlog)
        return tlog.size


def log_state(settings: Settings) -> tuple[int, bytes]:
    with open_log(settings, writer=False) as tlog:
        return tlog.size, tlog.root()


@pytest.fixture
def empty_database(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A second, empty database of the same kind: the machine a backup is restored on."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    name = f"{sa.engine.make_url(database_url).database}_restored"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield sa.engine.make_url(database_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_a_backup_restored_on_a_new_machine_has_the_same_records_files_log_and_key(
    vault: Services, world: World, first: Machine, empty_database: str, tmp_path: Path
) -> None:
    case_id = file_case_with_evidence(vault, world)
    seal(vault, first.settings)
    key_before = KeyStore(first.settings.key_dir, name=first.settings.log_origin).verifier_keys()
    # Recorded after the backup's database snapshot, sealed after it: not in the backup.
    code, output = first.run("backup", str(tmp_path / "snapshot"))
    assert code == 0, output
    assert "log of 3 entries" in output

    second = machine(empty_database, tmp_path / "second")
    code, output = second.run("restore", str(tmp_path / "snapshot"))
    assert code == 0, output
    assert "consistent with what it published" in output

    restored = engine_for(empty_database)
    with restored.connect() as conn:
        numbers = conn.execute(sa.select(t.cases.c.id)).scalars().all()
        indices = sorted(conn.execute(sa.select(t.case_events.c.log_index)).scalars().all())
        sha256 = conn.execute(sa.select(t.evidence.c.sha256)).scalar_one()
    assert numbers == [case_id]
    assert log_state(second.settings) == log_state(first.settings)
    assert len(indices) == 2
    blob = second.settings.data_dir / "evidence" / sha256[:2] / sha256[2:4] / sha256
    assert blob.read_bytes() == PNG
    keys = KeyStore(second.settings.key_dir, name=second.settings.log_origin)
    assert keys.verifier_keys() == key_before
    assert (second.settings.key_dir.stat().st_mode & 0o077) == 0
    restored.dispose()


def test_a_backup_taken_before_records_were_sealed_seals_them_after_the_restore(
    vault: Services, world: World, first: Machine, empty_database: str, tmp_path: Path
) -> None:
    file_case_with_evidence(vault, world)  # not sealed yet
    assert first.run("backup", str(tmp_path / "snapshot"))[0] == 0
    second = machine(empty_database, tmp_path / "second")
    assert second.run("restore", str(tmp_path / "snapshot"))[0] == 0
    code, output = second.run("worker", "--once")
    assert code == 0, output
    restored = engine_for(empty_database)
    with restored.connect() as conn:
        unsealed = [
            conn.execute(sa.select(sa.func.count()).where(table.c.log_index.is_(None))).scalar()
            for table in (t.case_events, t.evidence)
        ]
    restored.dispose()
    assert unsealed == [0, 0]
    assert log_state(second.settings)[0] >= 3  # filed, submitted, the evidence (and more)


def test_a_backup_with_a_changed_file_is_not_restored(
    vault: Services, world: World, first: Machine, tmp_path: Path
) -> None:
    file_case_with_evidence(vault, world)
    seal(vault, first.settings)
    assert first.run("backup", str(tmp_path / "snapshot"))[0] == 0
    entries = tmp_path / "snapshot" / "tlog" / "tree" / "entries"
    entries.write_bytes(entries.read_bytes().replace(b"case", b"CASE", 1))
    second = machine(f"sqlite:///{tmp_path / 'other.db'}", tmp_path / "second")
    code, output = second.run("restore", str(tmp_path / "snapshot"))
    assert code == 6
    assert "does not match its hash" in output
    assert not (second.settings.data_dir / "tlog").exists()


def test_restoring_an_older_copy_in_place_is_refused_to_sign_with_the_reason(
    vault: Services, world: World, first: Machine, tmp_path: Path
) -> None:
    file_case_with_evidence(vault, world)
    seal(vault, first.settings)
    assert first.run("backup", str(tmp_path / "snapshot"))[0] == 0
    file_case_with_evidence(vault, world)
    published = seal(vault, first.settings)  # the log published 6 entries after the backup

    code, output = first.run("restore", str(tmp_path / "snapshot"))
    assert code == 5  # the current data is not replaced unless asked to
    assert "pass --replace" in output
    code, output = first.run("restore", "--replace", str(tmp_path / "snapshot"))
    assert code == 6, output
    assert "refuse to sign" in output
    assert list(first.settings.data_dir.glob("tlog.pre-restore-*"))  # moved aside, not deleted
    assert f"already published a checkpoint for {published}" in output
    code, output = first.run("worker", "--once")
    assert code == 6
    assert "refusing to sign" in output
    code, output = first.run("serve")  # refused before a web process or worker starts
    assert code == 6
    assert "refusing to sign" in output
    (beat,) = health.database_side(vault).beats  # and /healthz hears why
    assert beat.problem is not None
    assert beat.problem.startswith("start: log_rolled_back: refusing to sign")
    with pytest.raises(LogRolledBack, match="weiquan log recover"):
        open_log(first.settings, writer=True)


def test_a_log_restored_alone_is_rebuilt_from_the_newer_database(
    vault: Services, world: World, first: Machine, tmp_path: Path
) -> None:
    file_case_with_evidence(vault, world)
    seal(vault, first.settings)
    shutil.copytree(first.settings.log_dir, tmp_path / "old-log")
    file_case_with_evidence(vault, world)
    seal(vault, first.settings)
    published = log_state(first.settings)
    shutil.rmtree(first.settings.log_dir)
    shutil.copytree(tmp_path / "old-log", first.settings.log_dir)
    with pytest.raises(LogRolledBack, match="holds 3 entries"):
        open_log(first.settings, writer=True)

    code, output = first.run("log", "recover")
    assert code == 0, output
    assert "re-appended 3 entries" in output
    assert log_state(first.settings) == published
    open_log(first.settings, writer=True).close()


def test_a_log_whose_first_entries_changed_is_refused_as_a_fork(
    vault: Services, world: World, first: Machine, tmp_path: Path
) -> None:
    file_case_with_evidence(vault, world)
    seal(vault, first.settings)
    shutil.rmtree(first.settings.log_dir)  # a new log of the same size, signed by the same key
    elsewhere = first.settings.model_copy(update={"log_state_dir": tmp_path / "elsewhere"})
    with open_log(elsewhere, writer=True) as other:
        other.append_many([b"{}", b"{}", b"{}"])
    with pytest.raises(LogRolledBack, match="the log has forked"):
        open_log(first.settings, writer=True)


def test_a_missing_key_directory_is_an_error_and_no_new_key_is_made(
    vault: Services, world: World, first: Machine
) -> None:
    file_case_with_evidence(vault, world)
    seal(vault, first.settings)
    shutil.rmtree(first.settings.key_dir)
    with pytest.raises(SigningKeyMissing, match="replace-lost-log-key"):
        open_log(first.settings, writer=True)
    code, output = first.run("worker", "--once")
    assert code == 6
    assert "signing key is missing" in output
    assert not first.settings.key_dir.exists()


def test_a_lost_key_is_replaced_explicitly_and_old_checkpoints_still_verify(
    vault: Services, world: World, first: Machine
) -> None:
    file_case_with_evidence(vault, world)
    seal(vault, first.settings)
    keys = KeyStore(first.settings.key_dir, name=first.settings.log_origin)
    old_key = keys.verifier_keys()[0]
    shutil.rmtree(first.settings.key_dir)
    code, output = first.run("keys", "replace-lost-log-key", "--previous-key", old_key)
    assert code == 0, output
    assert set(keys.verifier_keys()) > {old_key}
    file_case_with_evidence(vault, world)
    assert seal(vault, first.settings) == 6  # the same tree goes on under the new key


def test_a_rotated_key_signs_the_next_checkpoint_and_the_old_one_still_verifies(
    vault: Services, world: World, first: Machine
) -> None:
    file_case_with_evidence(vault, world)
    seal(vault, first.settings)
    code, output = first.run("keys", "rotate-log-key")
    assert code == 0, output
    keys = KeyStore(first.settings.key_dir, name=first.settings.log_origin)
    assert len(keys.verifier_keys()) == 2
    file_case_with_evidence(vault, world)
    assert seal(vault, first.settings) == 6


def test_a_running_worker_signs_with_the_rotated_key_from_its_next_round(
    vault: Services, world: World, first: Machine, engine: sa.Engine
) -> None:
    context = App(first.settings, engine, vault)
    file_case_with_evidence(vault, world)
    with open_log(first.settings, writer=True) as tlog:
        publish(context, tlog)
        code, output = first.run("keys", "rotate-log-key")
        assert code == 0, output
        keys = KeyStore(first.settings.key_dir, name=first.settings.log_origin)
        new_key, old_key = keys.verifiers()
        file_case_with_evidence(vault, world)
        publish(context, tlog)
        note = tlog.checkpoint()
    assert open_checkpoint(note, [new_key]).size == 6
    with pytest.raises(IntegrityViolation):
        open_checkpoint(note, [old_key])


def test_a_backup_of_a_database_that_cannot_be_reached_says_so_without_a_traceback(
    tmp_path: Path,
) -> None:
    url = "postgresql+psycopg://nobody:secret@127.0.0.1:9/none?connect_timeout=1"
    code, output = machine(url, tmp_path).run("backup", str(tmp_path / "snapshot"))
    assert code == 7
    assert "cannot use the database" in output
    assert "secret" not in output
    assert not (tmp_path / "snapshot" / "manifest.json").exists()


def test_a_backup_taken_while_complaints_are_filed_and_sealed_restores_consistently(
    vault: Services, world: World, first: Machine, empty_database: str, tmp_path: Path
) -> None:
    stop = threading.Event()

    def intake() -> None:  # the server at work: filing, and the worker sealing
        with open_log(first.settings, writer=True) as tlog:
            while not stop.is_set():
                cases.file_complaint(vault, complaint(world.shop_a), principal=world.bob, now=NOW)
                ledger.publish(vault, tlog)

    file_case_with_evidence(vault, world)
    busy = threading.Thread(target=intake)
    busy.start()
    try:
        time.sleep(0.5)
        code, output = first.run("backup", str(tmp_path / "snapshot"))
    finally:
        stop.set()
        busy.join(timeout=60)
    assert code == 0, output

    second = machine(empty_database, tmp_path / "second")
    code, output = second.run("restore", str(tmp_path / "snapshot"))
    assert code == 0, output
    code, output = second.run("worker", "--once")
    assert code == 0, output  # every logged entry has its row, every row gets sealed
    restored = engine_for(empty_database)
    with restored.connect() as conn:
        events = conn.execute(sa.select(t.case_events.c.log_index)).scalars().all()
        files = conn.execute(sa.select(t.evidence.c.log_index)).scalars().all()
    restored.dispose()
    size, _ = log_state(second.settings)
    assert sorted([*events, *files]) == list(range(size))


def test_a_database_restored_alone_from_an_older_copy_stops_worker_once_with_the_reason(
    vault: Services, world: World, first: Machine, engine: sa.Engine
) -> None:
    file_case_with_evidence(vault, world)
    seal(vault, first.settings)
    with engine.begin() as conn:  # as if the database came back from before the evidence
        conn.execute(sa.delete(t.custody_events))
        conn.execute(sa.delete(t.evidence))
    code, output = first.run("worker", "--once")
    assert code == 6
    assert "has no record in the database, which is older than the log" in output


def test_a_new_machine_told_the_last_published_checkpoint_refuses_an_older_backup(
    vault: Services, world: World, first: Machine, empty_database: str, tmp_path: Path
) -> None:
    file_case_with_evidence(vault, world)
    seal(vault, first.settings)
    assert first.run("backup", str(tmp_path / "snapshot"))[0] == 0
    file_case_with_evidence(vault, world)
    seal(vault, first.settings)
    saved = tmp_path / "last-published.checkpoint"  # kept off the machine, or from a mirror
    saved.write_bytes((first.settings.log_dir / "checkpoint").read_bytes())

    second = machine(empty_database, tmp_path / "second")
    assert second.run("restore", str(tmp_path / "snapshot"))[0] == 0  # nothing to compare yet
    code, output = second.run("log", "remember", str(saved))
    assert code == 0, output
    assert "now records 6 entries" in output
    code, output = second.run("worker", "--once")
    assert code == 6
    assert "already published a checkpoint for 6" in output


def test_a_checkpoint_signed_by_another_key_is_not_remembered(
    vault: Services, world: World, first: Machine, tmp_path: Path
) -> None:
    file_case_with_evidence(vault, world)
    seal(vault, first.settings)
    stranger = machine(f"sqlite:///{tmp_path / 'stranger.db'}", tmp_path / "stranger")
    with open_log(stranger.settings, writer=True) as other:
        other.append_many([b"{}"] * 9)
    forged = stranger.settings.log_dir / "checkpoint"
    code, output = first.run("log", "remember", str(forged))
    assert code == 1
    assert "FAILED" in output
    with open_log(first.settings, writer=True) as tlog:  # still signs: nothing was recorded
        assert tlog.size == 3
