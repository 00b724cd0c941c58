"""Report contacts, vetting contact phones and hotline callers are not stored in clear, and
erasure reaches them (issue 15, finding 9). On SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import replace

import sqlalchemy as sa
from PIL import Image

from tests.conftest import TEST_LOOKUP_KEY
from tests.support.world import NOW, PASSWORD, World, complaint
from weiquan.adapters.crypto import KeyedHash
from weiquan.adapters.db import tables as t
from weiquan.adapters.db import tables_trust as tt
from weiquan.domain.accounts import Role
from weiquan.domain.trust import reports as rp
from weiquan.domain.trust import vetting as vt
from weiquan.services import accounts, cases, privacy, trust_reports, trust_vetting
from weiquan.services.commands import Caller
from weiquan.services.context import Services

PHONE = "13912345678"


def raw_rows(engine: sa.Engine, table: sa.Table) -> str:
    with engine.connect() as conn:
        return json.dumps([dict(r._mapping) for r in conn.execute(sa.select(table))], default=str)


def report_with_contact(services: Services, world: World, contact: str = PHONE) -> rp.Report:
    return trust_reports.submit_report(
        services,
        principal=world.alice,
        merchant_id=world.merchant_a_id,
        violation=next(iter(rp.Violation)),
        description="页面标注的原价从未出现过",
        contact=contact,
        now=NOW,
    )


def test_a_reporters_contact_is_encrypted_at_rest_and_shown_to_staff(
    services: Services, world: World, engine: sa.Engine
) -> None:
    report = report_with_contact(services, world)
    assert PHONE not in raw_rows(engine, tt.trust_reports)
    staff = trust_reports.get_report(services, report.id, principal=world.mediator)
    assert staff["reporter_contact"] == PHONE


def licence_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, format="PNG")
    return buffer.getvalue()


def test_a_vetting_contact_phone_is_encrypted_at_rest_and_still_verifiable(
    services: Services, world: World, engine: sa.Engine
) -> None:
    photo = trust_vetting.upload_licence_photo(
        services, principal=world.merchant_a, chunks=[licence_png()], now=NOW
    ).id
    data = vt.LicenceData("北京数码有限公司", "91110108551385082Q", "110108", photo, PHONE)
    trust_vetting.apply(services, principal=world.merchant_a, data=data, now=NOW)
    assert PHONE not in raw_rows(engine, tt.trust_vetting)
    code = trust_vetting.issue_contact_code(
        services, world.merchant_a_id, principal=world.mediator, now=NOW
    )
    record = trust_vetting.verify_contact(services, principal=world.merchant_a, code=code, now=NOW)
    assert record.contact_phone == PHONE
    assert record.contact_verified_at == NOW
    assert PHONE not in raw_rows(engine, tt.trust_vetting)


def file_for_caller(services: Services, world: World, phone: str) -> str:
    case, _ = cases.file_complaint(
        services,
        complaint(world.shop_b, caller=Caller("赵大妈", phone)),
        principal=world.operator,
        now=NOW,
    )
    assert case.consumer_id is not None
    return case.consumer_id


def caller_username(engine: sa.Engine, user_id: str) -> str:
    with engine.connect() as conn:
        name: str = conn.execute(
            sa.select(t.users.c.username).where(t.users.c.id == user_id)
        ).scalar_one()
    return name


def test_a_hotline_callers_username_is_a_keyed_digest_not_a_plain_hash_of_the_phone(
    services: Services, world: World, engine: sa.Engine
) -> None:
    user_id = file_for_caller(services, world, "139 1234 5678")
    name = caller_username(engine, user_id)
    unkeyed = hashlib.sha256(f"weiquan-caller:{PHONE}".encode()).hexdigest()[:16]
    assert name != "caller-" + unkeyed
    assert name == "caller-" + KeyedHash.from_secret(TEST_LOOKUP_KEY).digest("phone", PHONE)[:16]
    assert file_for_caller(services, world, "+86 139 1234 5678") == user_id  # found again


def test_another_deployment_key_gives_the_same_phone_another_name(
    services: Services, world: World, engine: sa.Engine
) -> None:
    other = replace(services, lookup=KeyedHash.from_secret("another-deployment-key-" + "z" * 20))
    ours = caller_username(engine, file_for_caller(services, world, PHONE))
    theirs = caller_username(engine, file_for_caller(other, world, PHONE))
    assert ours != theirs
    assert accounts.phone_lookup(
        services, "139-1234-5678".replace("-", "")
    ) == accounts.phone_lookup(services, "+8613912345678")


def test_erasure_blanks_the_contact_given_with_the_persons_reports(
    services: Services, world: World, engine: sa.Engine
) -> None:
    report = report_with_contact(services, world, contact="alice@example.com")
    privacy.erase_my_data(services, principal=world.alice, password=PASSWORD, now=NOW)
    with engine.connect() as conn:
        sealed = conn.execute(
            sa.select(tt.trust_reports.c.reporter_contact_enc).where(
                tt.trust_reports.c.id == report.id
            )
        ).scalar_one()
    assert sealed is None
    staff = trust_reports.get_report(services, report.id, principal=world.mediator)
    assert staff["reporter_contact"] == ""


def test_erasing_a_callers_account_drops_the_phone_derived_name(
    services: Services, world: World, engine: sa.Engine
) -> None:
    user_id = file_for_caller(services, world, PHONE)
    with services.uow() as uow:
        uow.users.erase_personal_data(user_id, display_name=privacy.ERASED_NAME, now=NOW)
        uow.commit()
    assert caller_username(engine, user_id) == f"erased-{user_id}"
    with services.uow(readonly=True) as uow:
        user = uow.users.get(user_id, with_pii=True)
    assert user is not None
    assert (user.phone, user.role) == (None, Role.CONSUMER)


def test_a_vetting_contact_code_is_stored_as_a_keyed_digest_not_a_plain_hash(
    services: Services, world: World, engine: sa.Engine
) -> None:
    photo = trust_vetting.upload_licence_photo(
        services, principal=world.merchant_a, chunks=[licence_png()], now=NOW
    ).id
    data = vt.LicenceData("北京数码有限公司", "91110108551385082Q", "110108", photo, PHONE)
    trust_vetting.apply(services, principal=world.merchant_a, data=data, now=NOW)
    code = trust_vetting.issue_contact_code(
        services, world.merchant_a_id, principal=world.mediator, now=NOW
    )
    stored = raw_rows(engine, tt.trust_vetting)
    assert hashlib.sha256(code.encode()).hexdigest() not in stored
    verified = trust_vetting.verify_contact(
        services, principal=world.merchant_a, code=code, now=NOW
    )
    assert verified.contact_verified_at == NOW
