"""Case events and evidence reach the transparency log exactly once, without personal data."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.support.world import NOW, World, complaint
from weiquan.adapters.db import tables
from weiquan.adapters.tlog.keys import KeyStore
from weiquan.adapters.tlog.log import TransparencyLog
from weiquan.domain.errors import IntegrityViolation
from weiquan.services import cases, evidence, ledger
from weiquan.services.commands import Caller
from weiquan.services.context import Services

ORIGIN = "test.weiquan.example/log"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00"
    b"\x00\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92"
    b"\xef\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def log(tmp_path: Path) -> Iterator[TransparencyLog]:
    signer = KeyStore(tmp_path / "keys", name=ORIGIN).create_first_key()
    with TransparencyLog(tmp_path / "log", origin=ORIGIN, signer=signer) as opened:
        yield opened


def _entries(log: TransparencyLog) -> list[dict[str, object]]:
    return [json.loads(log.read_entry(i)) for i in range(log.size)]


def _case_with_evidence(services: Services, world: World) -> str:
    case, _ = cases.file_complaint(
        services,
        complaint(
            world.shop_a,
            caller=Caller("赵大妈", "13912345678"),
            description="我的电话是 13912345678，地址北京市海淀区某小区",
        ),
        principal=world.operator,
        now=NOW,
    )
    evidence.add_evidence(
        services,
        case_id=case.id,
        chunks=[PNG],
        filename="赵大妈的订单.png",
        principal=world.operator,
        now=NOW,
    )
    return case.id


def test_every_event_and_evidence_record_is_logged_once(
    services: Services, world: World, log: TransparencyLog
) -> None:
    case_id = _case_with_evidence(services, world)
    assert ledger.publish(services, log) == 3  # submit, admit, one evidence record
    assert ledger.publish(services, log) == 0
    kinds = [(e["kind"], e.get("seq") or e.get("evidence") is not None) for e in _entries(log)]
    assert len(kinds) == 3
    with services.uow(readonly=True) as uow:
        logged = uow.ledger.entries_of_case(case_id)
    assert sorted(item.log_index for item in logged) == [0, 1, 2]


def test_each_logged_entry_can_be_rebuilt_from_the_record_and_its_salt(
    services: Services, world: World, log: TransparencyLog
) -> None:
    case_id = _case_with_evidence(services, world)
    ledger.publish(services, log)
    with services.uow(readonly=True) as uow:
        for item in uow.ledger.entries_of_case(case_id):
            assert item.log_index is not None
            assert log.read_entry(item.log_index) == ledger.entry_bytes(item)


def test_the_public_log_holds_no_personal_data(
    services: Services, world: World, log: TransparencyLog
) -> None:
    _case_with_evidence(services, world)
    ledger.publish(services, log)
    raw = b"".join(log.read_entry(i) for i in range(log.size)).decode()
    for secret in ("13912345678", "赵大妈", "海淀区", world.operator.user_id):
        assert secret not in raw


def test_the_public_log_names_no_case_no_evidence_record_and_no_file(
    services: Services, world: World, log: TransparencyLog
) -> None:
    case_id = _case_with_evidence(services, world)
    ledger.publish(services, log)
    with services.uow(readonly=True) as uow:
        case = uow.cases.get(case_id)
        records = uow.evidence.for_case(case_id)
    assert case is not None
    assert records
    raw = b"".join(log.read_entry(i) for i in range(log.size)).decode()
    for identifier in (case.id, case.number, records[0].id, records[0].sha256):
        assert identifier not in raw


def test_entries_of_one_case_cannot_be_linked_through_the_log(
    services: Services, world: World, log: TransparencyLog
) -> None:
    _case_with_evidence(services, world)
    ledger.publish(services, log)
    commitments = [entry["case"] for entry in _entries(log)]
    assert len(set(commitments)) == len(commitments) == 3


def test_entries_appended_as_v1_before_the_upgrade_are_recognised_after_a_crash(
    services: Services, world: World, log: TransparencyLog, engine: sa.Engine
) -> None:
    _case_with_evidence(services, world)
    with engine.begin() as conn:
        for table in (tables.case_events, tables.evidence):
            conn.execute(sa.update(table).values(log_entry_version=1))
    with services.uow(readonly=True) as uow:
        pending = uow.ledger.pending(limit=100)
    log.append_many([ledger.entry_bytes(item) for item in pending])  # acknowledged, not recorded
    assert {json.loads(log.read_entry(i))["kind"] for i in range(3)} == {
        "weiquan.case_event.v1",
        "weiquan.evidence.v1",
    }
    assert ledger.publish(services, log) == 0
    with services.uow(readonly=True) as uow:
        assert uow.ledger.pending(limit=100) == []
        assert uow.ledger.recorded_size() == 3


def test_after_a_crash_between_append_and_record_nothing_is_logged_twice(
    services: Services, world: World, log: TransparencyLog
) -> None:
    _case_with_evidence(services, world)
    with services.uow(readonly=True) as uow:
        pending = uow.ledger.pending(limit=100)
    log.append_many([ledger.entry_bytes(item) for item in pending])  # acknowledged, not recorded
    assert ledger.publish(services, log) == 0
    assert log.size == 3
    with services.uow(readonly=True) as uow:
        assert uow.ledger.pending(limit=100) == []
        assert uow.ledger.recorded_size() == 3


def test_a_log_shorter_than_the_database_remembers_is_an_integrity_violation(
    services: Services, world: World, log: TransparencyLog, tmp_path: Path
) -> None:
    _case_with_evidence(services, world)
    ledger.publish(services, log)
    signer = KeyStore(tmp_path / "other-keys", name=ORIGIN).create_first_key()
    with (
        TransparencyLog(tmp_path / "empty-log", origin=ORIGIN, signer=signer) as empty,
        pytest.raises(IntegrityViolation),
    ):
        ledger.publish(services, empty)


def test_downloading_evidence_is_recorded_in_its_chain_of_custody(
    services: Services, world: World
) -> None:
    case, _ = cases.file_complaint(
        services, complaint(world.shop_a), principal=world.alice, now=NOW
    )
    record = evidence.add_evidence(
        services, case_id=case.id, chunks=[PNG], filename="a.png", principal=world.alice, now=NOW
    )
    _, stream = evidence.open_evidence(services, record.id, principal=world.merchant_a, now=NOW)
    with stream:
        assert stream.read() == PNG
    trail = evidence.custody(services, record.id, principal=world.alice)
    assert [(c.action.value, c.actor.role.value) for c in trail] == [
        ("captured", "consumer"),
        ("downloaded", "merchant"),
    ]


def test_another_consumer_cannot_add_or_read_evidence(services: Services, world: World) -> None:
    from weiquan.domain.errors import NotFound  # noqa: PLC0415

    case, _ = cases.file_complaint(
        services, complaint(world.shop_a), principal=world.alice, now=NOW
    )
    record = evidence.add_evidence(
        services, case_id=case.id, chunks=[PNG], filename="a.png", principal=world.alice, now=NOW
    )
    with pytest.raises(NotFound):
        evidence.add_evidence(
            services, case_id=case.id, chunks=[PNG], filename="b.png", principal=world.bob, now=NOW
        )
    with pytest.raises(NotFound):
        evidence.open_evidence(services, record.id, principal=world.bob, now=NOW)


def test_a_refused_file_type_leaves_no_record(services: Services, world: World) -> None:
    from weiquan.domain.errors import ValidationFailed  # noqa: PLC0415

    case, _ = cases.file_complaint(
        services, complaint(world.shop_a), principal=world.alice, now=NOW
    )
    with pytest.raises(ValidationFailed):
        evidence.add_evidence(
            services,
            case_id=case.id,
            chunks=[b"MZ\x90\x00" + bytes(200)],
            filename="receipt.jpg",
            principal=world.alice,
            now=NOW,
        )
    assert evidence.list_evidence(services, case.id, principal=world.alice) == []
