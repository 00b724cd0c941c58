"""Nobody reads a file through a record that is not its own: the finding in which a file's
SHA-256, learnt from the public log, opened another party's evidence through a 举报 report, a
merchant dispute or a vetting application of the attacker's own. Also the limits on uploads
sent without an account."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from PIL import Image

from tests.e2e.conftest import Api
from tests.e2e.test_api import complaint_body, count_rows
from tests.support.world import NOW, World
from weiquan.adapters.db import tables_trust
from weiquan.domain.trust.uploads import ANONYMOUS_GRACE
from weiquan.services import trust_access
from weiquan.services.context import Services


def png(colour: str, size: int = 4) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (size, size), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def upload(api: Api, data: bytes, who: str | None = None) -> dict[str, str]:
    headers = api.headers(who) if who else {}
    response = api.client.post(
        "/api/v1/trust-evidence",
        headers=headers,
        files={"file": ("photo.png", data, "image/png")},
    )
    assert response.status_code == 201, response.text
    body: dict[str, str] = response.json()
    return body


def alices_case_file(api: Api, world: World) -> dict[str, str]:
    """Alice's evidence on her own case; the attacker knows its SHA-256 (old log entries
    printed digests in clear, and a digest is no secret anyway)."""
    case = api.client.post(
        "/api/v1/cases", json=complaint_body(world), headers=api.headers("alice")
    )
    response = api.client.post(
        f"/api/v1/cases/{case.json()['id']}/evidence",
        headers=api.headers("alice"),
        files={"file": ("私人照片.png", png("navy"), "image/png")},
    )
    assert response.status_code == 201, response.text
    body: dict[str, str] = response.json()
    return body


def report(api: Api, world: World, who: str | None, evidence: list[str]) -> Any:
    return api.client.post(
        "/api/v1/reports",
        headers=api.headers(who) if who else {},
        json={
            "merchant_id": world.merchant_a_id,
            "violation": "counterfeit",
            "description": "疑似假货",
            "evidence": evidence,
        },
    )


def test_a_report_citing_someone_elses_file_by_its_digest_is_refused_and_reads_nothing(
    api: Api, world: World, engine: sa.Engine
) -> None:
    secret = alices_case_file(api, world)
    refused = report(api, world, "bob", [secret["sha256"]])
    assert refused.status_code == 422
    assert refused.json()["field"] == "evidence"
    assert count_rows(engine, tables_trust.trust_reports) == 0
    own = upload(api, png("olive"), "bob")
    filed = report(api, world, "bob", [own["id"]])
    rid = filed.json()["id"]
    for reference in (secret["sha256"], secret["id"]):
        read = api.client.get(
            f"/api/v1/reports/{rid}/evidence/{reference}", headers=api.headers("bob")
        )
        assert read.status_code == 404


def test_an_upload_can_be_cited_only_by_its_sender_and_only_once(api: Api, world: World) -> None:
    alices = upload(api, png("teal"), "alice")
    assert report(api, world, "bob", [alices["id"]]).status_code == 422
    assert report(api, world, "alice", [alices["id"]]).status_code == 201
    again = report(api, world, "alice", [alices["id"]])
    assert again.status_code == 422
    anonymous = upload(api, png("plum"))
    assert report(api, world, None, [anonymous["id"]]).status_code == 201
    assert report(api, world, None, [anonymous["id"]]).status_code == 422


def test_a_merchant_dispute_cannot_cite_the_consumers_files(
    api: Api, world: World, engine: sa.Engine
) -> None:
    secret = alices_case_file(api, world)
    reporters = upload(api, png("maroon"), "alice")
    case_id = api.client.get("/api/v1/cases", headers=api.headers("alice")).json()["items"][0]["id"]
    for reference in (secret["sha256"], reporters["id"]):
        response = api.client.post(
            "/api/v1/merchant-disputes",
            headers=api.headers("merchant_a"),
            json={
                "case_id": case_id,
                "kind": "fake_return",
                "text": "退回的是旧机",
                "evidence": [reference],
            },
        )
        assert response.status_code == 422, response.text
        assert response.json()["field"] == "evidence"
    assert count_rows(engine, tables_trust.trust_disputes) == 0


def test_a_vetting_application_cannot_cite_another_merchants_licence(
    api: Api, world: World
) -> None:
    theirs = api.client.post(
        "/api/v1/merchants/me/vetting/licence",
        headers=api.headers("merchant_a"),
        files={"file": ("licence.png", png("white", 8), "image/png")},
    ).json()
    for reference in (theirs["id"], theirs["sha256"]):
        response = api.client.post(
            "/api/v1/merchants/me/vetting",
            headers=api.headers("merchant_b"),
            json={
                "legal_name": "杭州某公司",
                "uscc": "91330106MA27XXXX0X",
                "region_code": "330106",
                "licence_evidence": reference,
                "contact_phone": "13800002222",
            },
        )
        assert response.status_code == 422, response.text
        assert response.json()["field"] == "licence_evidence"
    own_licence = api.client.get(
        f"/api/v1/merchants/{world.merchant_b_id}/vetting/licence",
        headers=api.headers("merchant_b"),
    )
    assert own_licence.status_code == 404


def test_every_read_of_a_reported_file_is_in_its_custody_which_only_staff_see(
    api: Api, world: World
) -> None:
    photo = upload(api, png("gold"), "alice")
    rid = report(api, world, "alice", [photo["id"]]).json()["id"]
    read = api.client.get(
        f"/api/v1/reports/{rid}/evidence/{photo['id']}", headers=api.headers("mediator")
    )
    assert read.status_code == 200
    assert read.content == png("gold")
    custody = api.client.get(
        f"/api/v1/trust-evidence/{photo['id']}/custody", headers=api.headers("admin")
    )
    assert [(c["action"], c["actor_role"]) for c in custody.json()] == [
        ("uploaded", "consumer"),
        ("attached", "consumer"),
        ("read", "mediator"),
    ]
    assert custody.json()[1]["context"] == f"report:{rid}"
    forbidden = api.client.get(
        f"/api/v1/trust-evidence/{photo['id']}/custody", headers=api.headers("alice")
    )
    assert forbidden.status_code == 403


def test_anonymous_uploads_are_limited_per_address_and_hour_with_a_time_to_retry(
    api: Api, world: World, services: Services
) -> None:
    quota = services.anonymous_uploads.files_per_hour
    for number in range(quota):
        upload(api, png("red", 4 + number))
    refused = api.client.post(
        "/api/v1/trust-evidence", files={"file": ("one-more.png", png("blue"), "image/png")}
    )
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert "一小时后" in refused.json()["message"]
    signed_in = upload(api, png("blue"), "alice")  # an account is not held to the address quota
    assert signed_in["id"]


def test_a_refused_file_is_not_kept_on_disk(api: Api, services: Services) -> None:
    root = Path(services.blobs.root)
    before = {p for p in root.rglob("*") if p.is_file()}
    response = api.client.post(
        "/api/v1/trust-evidence",
        files={"file": ("notes.txt", "不是照片".encode() * 100, "text/plain")},
    )
    assert response.status_code == 422
    assert {p for p in root.rglob("*") if p.is_file()} == before


def test_uploads_nobody_cited_are_swept_after_a_day_with_their_bytes(
    api: Api, world: World, services: Services, engine: sa.Engine
) -> None:
    stray_bytes = png("silver", 9)
    stray = upload(api, stray_bytes)
    kept = upload(api, png("black", 9), "alice")
    report(api, world, "alice", [kept["id"]])
    path = services.blobs.path_of(stray["sha256"])
    old = (NOW - ANONYMOUS_GRACE - timedelta(hours=1)).timestamp()
    import os  # noqa: PLC0415 - only here, to age the file as a day would

    os.utime(path, (old, old))
    assert trust_access.sweep_unattached_uploads(services, now=NOW) == 0  # not a day old yet
    later = NOW + ANONYMOUS_GRACE + timedelta(minutes=1)
    assert trust_access.sweep_unattached_uploads(services, now=later) == 1
    assert not path.exists()
    assert services.blobs.exists(kept["sha256"])
    with engine.connect() as conn:
        remaining = conn.execute(sa.select(tables_trust.trust_uploads.c.id)).scalars().all()
    assert remaining == [kept["id"]]


@pytest.mark.parametrize("who", ["bob", "merchant_a", "merchant_b"])
def test_people_outside_a_report_cannot_read_its_files(api: Api, world: World, who: str) -> None:
    photo = upload(api, png("pink"), "alice")
    rid = report(api, world, "alice", [photo["id"]]).json()["id"]
    read = api.client.get(f"/api/v1/reports/{rid}/evidence/{photo['id']}", headers=api.headers(who))
    assert read.status_code == 404
