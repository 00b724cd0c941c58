"""Evidence packages: built for a case's parties, checked offline, and every kind of tampering
caught with the right reason."""

from __future__ import annotations

import base64
import io
import json
import shutil
import subprocess
import zipfile
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer import Typer
from typer.testing import CliRunner

from tests.conftest import engine_for, make_services
from tests.support.world import NOW, World, build_world, complaint
from weiquan.adapters.db import tables
from weiquan.adapters.db.migrate import upgrade
from weiquan.adapters.holiday_calendar import ChinaWorkdayCalendar
from weiquan.adapters.pdf import render_evidence_certificate
from weiquan.adapters.tlog.keys import KeyStore
from weiquan.adapters.tlog.log import TransparencyLog
from weiquan.adapters.tlog.proof_source import LogProofSource
from weiquan.cli.verify import check_package, verify_command
from weiquan.domain.errors import Conflict, NotFound, PermissionDenied
from weiquan.domain.evidence import CustodyAction
from weiquan.domain.evidence_package import manifest_text
from weiquan.domain.lifecycle import Action
from weiquan.domain.package_verify import PackageCheckFailed, later_case_events
from weiquan.services import cases, evidence, ledger, packages
from weiquan.services.commands import CaseCommand
from weiquan.services.context import Services

pytestmark = pytest.mark.slow  # each package renders a certificate PDF (about a second)

ORIGIN = "test.weiquan.example/log"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00"
    b"\x00\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92"
    b"\xef\x00\x00\x00\x00IEND\xaeB`\x82"
)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def keys(tmp_path: Path) -> KeyStore:
    store = KeyStore(tmp_path / "keys", name=ORIGIN)
    store.create_first_key()
    return store


@pytest.fixture
def log(tmp_path: Path, keys: KeyStore) -> Iterator[TransparencyLog]:
    with TransparencyLog(tmp_path / "log", origin=ORIGIN, signer=keys.active_signer()) as opened:
        yield opened


def _act(
    svc: Services, world: World, case_id: str, who: str, action: Action, minute: int, **kw: str
) -> None:
    cmd = CaseCommand(case_id=case_id, action=action, **kw)  # type: ignore[arg-type]
    cases.act(svc, cmd, principal=world.by_name(who), now=NOW + timedelta(minutes=minute))


def _mediated_case(svc: Services, world: World, *, assign: bool = True) -> str:
    """Filed by alice against shop A, answered, two files added, escalated, assigned."""
    case, _ = cases.file_complaint(svc, complaint(world.shop_a), principal=world.alice, now=NOW)
    _act(svc, world, case.id, "merchant_a", Action.REPLY, 1, text="已安排退货")
    for name, content in (("订单截图.png", PNG), ("发票.pdf", PDF)):
        evidence.add_evidence(
            svc,
            case_id=case.id,
            chunks=[content],
            filename=name,
            principal=world.alice,
            now=NOW + timedelta(minutes=2),
        )
    _act(svc, world, case.id, "alice", Action.ESCALATE, 3, reason="商家迟迟不退款")
    if assign:
        mediator = world.mediator.user_id
        _act(svc, world, case.id, "mediator", Action.ASSIGN_MEDIATOR, 4, mediator_id=mediator)
    return case.id


def _build(
    svc: Services, world: World, case_id: str, log: TransparencyLog, keys: KeyStore, who: str
) -> bytes:
    return packages.build_package(
        svc,
        case_id,
        principal=world.by_name(who),
        proofs=LogProofSource.from_key_store(log, keys),
        render_certificate=render_evidence_certificate,
        now=NOW + timedelta(hours=1),
    )


def _verify_cli(path: Path, *keys: str) -> tuple[int, str]:
    app = Typer()
    app.command()(verify_command)
    args = [str(path)] + [part for key in keys for part in ("--key", key)]
    result = CliRunner().invoke(app, args)
    return result.exit_code, result.output


def _members(package: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


# ── built on both databases ───────────────────────────────────────────────────────────────


def test_a_package_for_a_case_with_events_and_two_files_verifies_offline(
    services: Services, world: World, log: TransparencyLog, keys: KeyStore, tmp_path: Path
) -> None:
    case_id = _mediated_case(services, world)
    ledger.publish(services, log)
    package = _build(services, world, case_id, log, keys, "alice")
    path = tmp_path / "package.zip"
    path.write_bytes(package)
    code, output = _verify_cli(path, keys.verifier_keys()[0])
    assert code == 0, output
    summary = check_package(path, [])
    assert (summary.files, summary.events, summary.checkpoint_size) == (2, 5, 7)
    assert summary.case_number in output
    assert "OK" in output


def test_a_case_whose_first_records_were_logged_as_v1_entries_still_verifies(
    services: Services,
    world: World,
    log: TransparencyLog,
    keys: KeyStore,
    tmp_path: Path,
    engine: sa.Engine,
) -> None:
    case_id = _mediated_case(services, world)
    with engine.begin() as conn:  # as if logged before the upgrade: the first two events
        conn.execute(
            sa.update(tables.case_events)
            .where(tables.case_events.c.seq <= 2)
            .values(log_entry_version=1)
        )
    ledger.publish(services, log)
    package = _build(services, world, case_id, log, keys, "alice")
    lines = _members(package)["history.jsonl"].decode().splitlines()
    assert [json.loads(line)["entry"] for line in lines] == [1, 1, 2, 2, 2]
    path = tmp_path / "mixed.zip"
    path.write_bytes(package)
    code, output = _verify_cli(path, keys.verifier_keys()[0])
    assert code == 0, output


def test_a_package_in_the_v1_format_made_before_the_upgrade_still_verifies(
    services: Services,
    world: World,
    log: TransparencyLog,
    keys: KeyStore,
    tmp_path: Path,
    engine: sa.Engine,
) -> None:
    case_id = _mediated_case(services, world)
    with engine.begin() as conn:
        for table in (tables.case_events, tables.evidence):
            conn.execute(sa.update(table).values(log_entry_version=1))
    ledger.publish(services, log)
    members = _as_format_v1(_members(_build(services, world, case_id, log, keys, "alice")))
    path = tmp_path / "v1.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    code, output = _verify_cli(path, keys.verifier_keys()[0])
    assert code == 0, output


def test_a_party_finds_events_the_package_left_out_and_nobody_else_can(
    services: Services, world: World, log: TransparencyLog, keys: KeyStore, tmp_path: Path
) -> None:
    case_id = _mediated_case(services, world)
    ledger.publish(services, log)
    path = tmp_path / "package.zip"
    path.write_bytes(_build(services, world, case_id, log, keys, "alice"))
    summary = check_package(path, [])
    assert summary.case_key is not None

    def later(key: bytes) -> list[tuple[int, int]]:
        entries = [(i, log.read_entry(i)) for i in range(log.size)]
        return later_case_events(entries, case_id=case_id, case_key=key, last_seq=summary.events)

    assert later(summary.case_key) == []
    _act(services, world, case_id, "alice", Action.ADD_STATEMENT, 9, text="补充：快递单号已上传")
    ledger.publish(services, log)
    assert later(summary.case_key) == [(6, log.size - 1)]
    assert later(bytes(16)) == []  # without the first event's salt the tags are unrelated


def _as_format_v1(members: dict[str, bytes]) -> dict[str, bytes]:
    """The package as format v1 wrote it: no per-record entry version."""
    manifest = json.loads(members["manifest.json"])
    manifest["format"] = "weiquan.evidence-package.v1"
    for item in manifest["evidence"]:
        del item["entry"]
    lines = []
    for line in members["history.jsonl"].decode().splitlines():
        value = json.loads(line)
        del value["entry"]
        lines.append(_canonical_line(value) + "\n")
    text = json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"
    return members | {"manifest.json": text.encode(), "history.jsonl": "".join(lines).encode()}


@pytest.mark.parametrize("who", ["alice", "merchant_a", "mediator", "admin"])
def test_each_party_of_the_case_gets_its_package(
    services: Services, world: World, log: TransparencyLog, keys: KeyStore, who: str
) -> None:
    case_id = _mediated_case(services, world)
    ledger.publish(services, log)
    assert _build(services, world, case_id, log, keys, who).startswith(b"PK")


@pytest.mark.parametrize("who", ["bob", "merchant_b", "mediator2", "operator", "regulator_beijing"])
def test_someone_outside_the_case_is_told_it_does_not_exist(
    services: Services, world: World, log: TransparencyLog, keys: KeyStore, who: str
) -> None:
    case_id = _mediated_case(services, world)
    ledger.publish(services, log)
    with pytest.raises(NotFound):
        _build(services, world, case_id, log, keys, who)


def test_a_regulator_gets_the_package_of_a_case_referred_to_them(
    services: Services, world: World, log: TransparencyLog, keys: KeyStore
) -> None:
    case_id = _mediated_case(services, world)
    _act(services, world, case_id, "mediator", Action.RECORD_FAILURE, 5, reason="调解未成")
    ledger.publish(services, log)
    assert _build(services, world, case_id, log, keys, "regulator_beijing").startswith(b"PK")
    with pytest.raises(NotFound):
        _build(services, world, case_id, log, keys, "regulator_chengdu")


def test_a_mediator_who_only_sees_the_case_in_the_queue_gets_no_package(
    services: Services, world: World, log: TransparencyLog, keys: KeyStore
) -> None:
    case_id = _mediated_case(services, world, assign=False)
    ledger.publish(services, log)
    with pytest.raises(PermissionDenied):
        _build(services, world, case_id, log, keys, "mediator")


def test_while_records_are_not_yet_logged_the_package_is_refused_for_a_retry(
    services: Services, world: World, log: TransparencyLog, keys: KeyStore
) -> None:
    case_id = _mediated_case(services, world)
    with pytest.raises(Conflict, match="请几秒后重试"):
        _build(services, world, case_id, log, keys, "alice")


def test_the_export_is_recorded_in_each_files_chain_of_custody(
    services: Services, world: World, log: TransparencyLog, keys: KeyStore
) -> None:
    case_id = _mediated_case(services, world)
    ledger.publish(services, log)
    _build(services, world, case_id, log, keys, "merchant_a")
    records = evidence.list_evidence(services, case_id, principal=world.alice)
    for record in records:
        trail = evidence.custody(services, record.id, principal=world.alice)
        assert [(c.action, c.actor.user_id) for c in trail] == [
            (CustodyAction.CAPTURED, world.alice.user_id),
            (CustodyAction.EXPORTED, world.merchant_a.user_id),
        ]


def test_the_certificate_names_the_case_and_every_files_hash(
    services: Services, world: World, log: TransparencyLog, keys: KeyStore, tmp_path: Path
) -> None:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext is missing (Debian package poppler-utils)")
    case_id = _mediated_case(services, world)
    ledger.publish(services, log)
    members = _members(_build(services, world, case_id, log, keys, "alice"))
    pdf = tmp_path / "certificate.pdf"
    pdf.write_bytes(members["certificate.pdf"])
    done = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True)
    text = "".join(done.stdout.decode().split())  # long hashes may wrap
    manifest = json.loads(members["manifest.json"])
    assert manifest["case"]["number"] in text
    for item in manifest["evidence"]:
        assert item["sha256"] in text
    assert "证据保全证书" in text


def test_the_package_holds_no_contact_details(
    services: Services, world: World, log: TransparencyLog, keys: KeyStore
) -> None:
    case_id = _mediated_case(services, world)
    ledger.publish(services, log)
    members = _members(_build(services, world, case_id, log, keys, "merchant_a"))
    text_members = {name: data for name, data in members.items() if not name.startswith("files/")}
    for name, data in text_members.items():
        if name != "certificate.pdf":
            assert b"13912345678" not in data, name  # alice's phone number


# ── tampering: one valid package, changed in every way that matters ───────────────────────


@pytest.fixture(scope="module")
def valid(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[bytes, str]]:
    """A package and the log's key, built once on a database of its own."""
    folder = tmp_path_factory.mktemp("package")
    url = f"sqlite:///{folder / 'weiquan.db'}"
    upgrade(url)
    svc = make_services(engine_for(url), ChinaWorkdayCalendar())
    world = build_world(svc)
    keys = KeyStore(folder / "keys", name=ORIGIN)
    keys.create_first_key()
    with TransparencyLog(folder / "log", origin=ORIGIN, signer=keys.active_signer()) as log:
        case_id = _mediated_case(svc, world)
        ledger.publish(svc, log)
        yield _build(svc, world, case_id, log, keys, "alice"), keys.verifier_keys()[0]


def _repack(package: bytes, change: Callable[[dict[str, bytes]], dict[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in change(_members(package)).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _failure(package: bytes, tmp_path: Path, *keys: str) -> PackageCheckFailed:
    path = tmp_path / "tampered.zip"
    path.write_bytes(package)
    code, output = _verify_cli(path, *keys)
    assert code == 1, output
    assert output.startswith("FAILED: ")
    with pytest.raises(PackageCheckFailed) as caught:
        check_package(path, list(keys))
    assert caught.value.message in output
    return caught.value


def _evidence_file(members: dict[str, bytes]) -> str:
    return next(name for name in members if name.startswith("files/"))


def _edit_manifest(edit: Callable[[dict[str, object]], None]) -> Callable[..., dict[str, bytes]]:
    def change(members: dict[str, bytes]) -> dict[str, bytes]:
        manifest = json.loads(members["manifest.json"])
        edit(manifest)
        members["manifest.json"] = manifest_text(manifest).encode()
        return members

    return change


def _canonical_line(value: dict[str, object]) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _edit_history(edit: Callable[[list[str]], list[str]]) -> Callable[..., dict[str, bytes]]:
    def change(members: dict[str, bytes]) -> dict[str, bytes]:
        lines = members["history.jsonl"].decode().splitlines()
        members["history.jsonl"] = ("\n".join(edit(lines)) + "\n").encode()
        return members

    return change


def test_the_untouched_package_passes_with_the_logs_key(
    valid: tuple[bytes, str], tmp_path: Path
) -> None:
    package, key = valid
    path = tmp_path / "p.zip"
    path.write_bytes(_repack(package, lambda members: members))
    assert check_package(path, [key]).key_trusted


def test_a_changed_byte_in_an_evidence_file_fails_on_its_hash(
    valid: tuple[bytes, str], tmp_path: Path
) -> None:
    def flip(members: dict[str, bytes]) -> dict[str, bytes]:
        name = _evidence_file(members)
        data = bytearray(members[name])
        data[10] ^= 0x01
        members[name] = bytes(data)
        return members

    failure = _failure(_repack(valid[0], flip), tmp_path)
    assert failure.check == "file"
    assert "SHA-256" in failure.message


def test_a_byte_changed_inside_the_zip_fails_as_a_damaged_archive(
    valid: tuple[bytes, str], tmp_path: Path
) -> None:
    package = bytearray(valid[0])
    with zipfile.ZipFile(io.BytesIO(valid[0])) as archive:
        info = archive.getinfo("manifest.json")
    package[info.header_offset + 30 + len(info.filename) + 5] ^= 0xFF
    failure = _failure(bytes(package), tmp_path)
    assert failure.check == "archive"
    assert "damaged" in failure.message


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "改过的名字.png"),
        ("captured_at", "2026-11-24T02:00:00+00:00"),
        ("captured_by_role", "merchant"),
        ("mime", "image/jpeg"),
        ("salt", "00" * 16),
    ],
)
def test_a_changed_manifest_field_fails_as_a_changed_evidence_record(
    valid: tuple[bytes, str], tmp_path: Path, field: str, value: str
) -> None:
    def edit(manifest: dict[str, object]) -> None:
        manifest["evidence"][0][field] = value  # type: ignore[index]

    failure = _failure(_repack(valid[0], _edit_manifest(edit)), tmp_path)
    assert failure.check == "evidence"
    assert "manifest evidence #1" in failure.message
    assert "changed" in failure.message


def test_a_manifest_that_describes_another_checkpoint_fails(
    valid: tuple[bytes, str], tmp_path: Path
) -> None:
    def edit(manifest: dict[str, object]) -> None:
        manifest["log"]["root"] = base64.b64encode(bytes(32)).decode()  # type: ignore[index]

    failure = _failure(_repack(valid[0], _edit_manifest(edit)), tmp_path)
    assert failure.check == "manifest"


def test_a_changed_history_line_fails_as_a_changed_event(
    valid: tuple[bytes, str], tmp_path: Path
) -> None:
    def edit(lines: list[str]) -> list[str]:
        line = json.loads(lines[2])
        line["reason"] = "商家已经退款"
        lines[2] = _canonical_line(line)
        return lines

    failure = _failure(_repack(valid[0], _edit_history(edit)), tmp_path)
    assert failure.check == "history"
    assert "line 3" in failure.message
    assert "changed" in failure.message


def test_a_field_added_to_a_history_line_fails(valid: tuple[bytes, str], tmp_path: Path) -> None:
    def edit(lines: list[str]) -> list[str]:
        lines[0] = _canonical_line({**json.loads(lines[0]), "note": "已核实"})
        return lines

    failure = _failure(_repack(valid[0], _edit_history(edit)), tmp_path)
    assert failure.check == "history"
    assert "unexpected ['note']" in failure.message


def test_a_manifest_edited_without_changing_its_meaning_still_fails(
    valid: tuple[bytes, str], tmp_path: Path
) -> None:
    def reindent(members: dict[str, bytes]) -> dict[str, bytes]:
        members["manifest.json"] = members["manifest.json"].replace(b'\n  "', b'\n   "', 1)
        return members

    failure = _failure(_repack(valid[0], reindent), tmp_path)
    assert failure.check == "manifest"
    assert "canonical" in failure.message


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda lines: lines[:1] + lines[2:], "line 2 has event 3"),
        (lambda lines: [lines[1], lines[0], *lines[2:]], "line 1 has event 2"),
        (lambda lines: lines[:-1], "has 4 events, the manifest lists 5"),
    ],
    ids=["removed", "reordered", "last-removed"],
)
def test_a_removed_or_reordered_history_line_fails_on_the_sequence(
    valid: tuple[bytes, str],
    tmp_path: Path,
    edit: Callable[[list[str]], list[str]],
    expected: str,
) -> None:
    failure = _failure(_repack(valid[0], _edit_history(edit)), tmp_path)
    assert failure.check == "sequence"
    assert expected in failure.message


def test_a_proof_with_a_flipped_hash_fails_as_a_wrong_proof(
    valid: tuple[bytes, str], tmp_path: Path
) -> None:
    def flip(members: dict[str, bytes]) -> dict[str, bytes]:
        name = next(n for n in members if n.startswith("proofs/"))
        head, blank, note = members[name].decode().partition("\n\n")
        lines = head.split("\n")
        path_hash = bytearray(base64.b64decode(lines[2]))
        path_hash[0] ^= 0x01
        lines[2] = base64.b64encode(bytes(path_hash)).decode()
        members[name] = ("\n".join(lines) + blank + note).encode()
        return members

    failure = _failure(_repack(valid[0], flip), tmp_path)
    assert failure.check == "proof"
    assert "does not lead" in failure.message


def test_a_checkpoint_with_a_bad_signature_fails(valid: tuple[bytes, str], tmp_path: Path) -> None:
    def spoil(members: dict[str, bytes]) -> dict[str, bytes]:
        text, _, signature_line = members["checkpoint"].decode().rstrip("\n").rpartition("\n")
        dash_name, _, encoded = signature_line.rpartition(" ")
        raw = bytearray(base64.b64decode(encoded))
        raw[-1] ^= 0x01
        spoilt = f"{dash_name} {base64.b64encode(bytes(raw)).decode()}"
        members["checkpoint"] = f"{text}\n{spoilt}\n".encode()
        return members

    failure = _failure(_repack(valid[0], spoil), tmp_path)
    assert failure.check == "signature"
    assert "does not verify" in failure.message


def test_verifying_with_another_key_fails_as_an_unknown_key(
    valid: tuple[bytes, str], tmp_path: Path
) -> None:
    other = KeyStore(tmp_path / "other-keys", name=ORIGIN).create_first_key().verifier_key()
    failure = _failure(valid[0], tmp_path, other)
    assert failure.check == "unknown_key"
    assert "unknown key" in failure.message


def test_a_missing_evidence_file_fails_as_incomplete(
    valid: tuple[bytes, str], tmp_path: Path
) -> None:
    def remove(members: dict[str, bytes]) -> dict[str, bytes]:
        del members[_evidence_file(members)]
        return members

    failure = _failure(_repack(valid[0], remove), tmp_path)
    assert failure.check == "archive"
    assert "is missing" in failure.message


def test_a_file_slipped_into_the_package_fails_as_unlisted(
    valid: tuple[bytes, str], tmp_path: Path
) -> None:
    def add(members: dict[str, bytes]) -> dict[str, bytes]:
        members["files/extra.png"] = PNG
        return members

    failure = _failure(_repack(valid[0], add), tmp_path)
    assert failure.check == "archive"
    assert "does not list" in failure.message


def test_a_truncated_zip_fails_as_unreadable(valid: tuple[bytes, str], tmp_path: Path) -> None:
    failure = _failure(valid[0][: len(valid[0]) // 2], tmp_path)
    assert failure.check == "archive"
    assert "not a readable zip" in failure.message


def test_a_replaced_certificate_fails(valid: tuple[bytes, str], tmp_path: Path) -> None:
    def replace(members: dict[str, bytes]) -> dict[str, bytes]:
        members["certificate.pdf"] = PDF
        return members

    failure = _failure(_repack(valid[0], replace), tmp_path)
    assert failure.check == "certificate"
