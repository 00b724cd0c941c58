"""Evidence over HTTP: upload, type checks, both sides see it, download with custody, OCR."""

from __future__ import annotations

import hashlib
import io

import pytest
import sqlalchemy as sa
from PIL import Image, ImageDraw, ImageFont

from tests.e2e.conftest import Api
from tests.e2e.test_api import complaint_body, count_rows
from tests.support.world import World
from weiquan.adapters.db import tables as t
from weiquan.adapters.pdf import find_cjk_font

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _new_case(api: Api, world: World) -> str:
    response = api.client.post(
        "/api/v1/cases", json=complaint_body(world), headers=api.headers("alice")
    )
    case_id: str = response.json()["id"]
    return case_id


def test_an_uploaded_file_is_listed_for_both_sides_and_downloads_intact(
    api: Api, world: World
) -> None:
    cid = _new_case(api, world)
    response = api.client.post(
        f"/api/v1/cases/{cid}/evidence",
        headers=api.headers("alice"),
        files={"file": ("发票.pdf", PDF, "application/pdf")},
        data={"description": "购物发票"},
    )
    assert response.status_code == 201, response.text
    record = response.json()
    assert record["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert record["mime"] == "application/pdf"
    seen = api.client.get(f"/api/v1/cases/{cid}/evidence", headers=api.headers("merchant_a"))
    assert [r["id"] for r in seen.json()] == [record["id"]]
    download = api.client.get(
        f"/api/v1/evidence/{record['id']}/content", headers=api.headers("merchant_a")
    )
    assert download.content == PDF
    custody = api.client.get(
        f"/api/v1/evidence/{record['id']}/custody", headers=api.headers("alice")
    ).json()
    assert [(c["action"], c["actor_role"]) for c in custody] == [
        ("captured", "consumer"),
        ("downloaded", "merchant"),
    ]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("receipt.jpg", b"<html><script>alert(1)</script></html>"),
        ("photo.png", b"MZ\x90\x00" + bytes(100)),
        ("empty.pdf", b""),
    ],
)
def test_files_whose_bytes_are_not_allowed_are_refused_and_nothing_is_kept(
    api: Api, world: World, engine: sa.Engine, name: str, content: bytes
) -> None:
    cid = _new_case(api, world)
    response = api.client.post(
        f"/api/v1/cases/{cid}/evidence",
        headers=api.headers("alice"),
        files={"file": (name, content, "image/jpeg")},
    )
    assert response.status_code == 422, response.text
    assert response.json()["message"]
    assert count_rows(engine, t.evidence) == 0


def test_another_consumer_cannot_upload_to_or_download_from_the_case(
    api: Api, world: World
) -> None:
    cid = _new_case(api, world)
    record = api.client.post(
        f"/api/v1/cases/{cid}/evidence",
        headers=api.headers("alice"),
        files={"file": ("a.pdf", PDF, "application/pdf")},
    ).json()
    upload = api.client.post(
        f"/api/v1/cases/{cid}/evidence",
        headers=api.headers("bob"),
        files={"file": ("b.pdf", PDF, "application/pdf")},
    )
    assert upload.status_code == 404
    download = api.client.get(
        f"/api/v1/evidence/{record['id']}/content", headers=api.headers("bob")
    )
    assert download.status_code == 404


def _screenshot() -> bytes:
    font = ImageFont.truetype(find_cjk_font().path, 28, index=find_cjk_font().index)
    image = Image.new("RGB", (720, 360), "white")
    draw = ImageDraw.Draw(image)
    for row, text in enumerate(
        [
            "店铺：数码旗舰店",
            "订单编号：2026112012345678",
            "实付款：¥299.00",
            "下单时间：2026-11-20 14:03:22",
        ]
    ):
        draw.text((30, 30 + row * 70), text, fill="black", font=font)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.slow
def test_a_screenshot_is_read_to_prefill_the_complaint(api: Api) -> None:
    response = api.client.post(
        "/api/v1/ocr",
        headers=api.headers("alice"),
        files={"file": ("order.png", _screenshot(), "image/png")},
    )
    assert response.status_code == 200, response.text
    prefill = response.json()["prefill"]
    assert prefill["order_no"] == "2026112012345678"
    assert prefill["amount_paid_fen"] == 29900


def test_ocr_refuses_a_file_that_is_not_an_image_without_storing_it(
    api: Api, world: World, engine: sa.Engine
) -> None:
    cid = _new_case(api, world)
    response = api.client.post(
        f"/api/v1/cases/{cid}/evidence",
        headers=api.headers("alice"),
        files={"file": ("a.pdf", PDF, "application/pdf")},
        data={"ocr": "true"},
    )
    assert response.status_code == 422
    assert response.json()["field"] == "ocr"
    assert count_rows(engine, t.evidence) == 0


CHAT = """2026-11-20 14:03:22 店小二: 您好，请问有什么可以帮您？
2026-11-20 14:05:10 张晓丽: 耳机右耳没有声音，要求退货
2026-11-21 09:00:00 店小二: 需要先寄回检测
"""


def test_a_chat_log_import_is_stored_with_a_readable_conversation(api: Api, world: World) -> None:
    cid = _new_case(api, world)
    response = api.client.post(
        f"/api/v1/cases/{cid}/evidence",
        headers=api.headers("alice"),
        files={"file": ("chat.txt", CHAT.encode(), "text/plain")},
        data={"method": "chat_log_import"},
    )
    assert response.status_code == 201, response.text
    chat = response.json()["derived"]["chat"]
    assert [m["speaker"] for m in chat["messages"]] == ["店小二", "张晓丽", "店小二"]
    assert "──── 2026-11-21 ────" in chat["transcript"]
    assert "14:05:10 张晓丽：耳机右耳没有声音，要求退货" in chat["transcript"]


def test_an_order_export_is_parsed_into_exact_amounts(api: Api, world: World) -> None:
    cid = _new_case(api, world)
    csv_text = (
        '订单号,店铺,实付金额,下单时间\nJD20261120001,数码旗舰店,"¥1,299.50",2026-11-20 10:00:00\n'
    )
    response = api.client.post(
        f"/api/v1/cases/{cid}/evidence",
        headers=api.headers("alice"),
        files={"file": ("orders.csv", csv_text.encode(), "text/csv")},
        data={"method": "order_import"},
    )
    assert response.status_code == 201, response.text
    (order,) = response.json()["derived"]["orders"]
    assert (order["order_no"], order["amount_paid_fen"]) == ("JD20261120001", 129950)
    assert order["ordered_at"] == "2026-11-20T10:00:00+08:00"


def test_an_unreadable_chat_log_is_refused_and_leaves_no_record(
    api: Api, world: World, engine: sa.Engine
) -> None:
    cid = _new_case(api, world)
    response = api.client.post(
        f"/api/v1/cases/{cid}/evidence",
        headers=api.headers("alice"),
        files={"file": ("chat.txt", "这不是聊天记录\n只是几行字\n".encode(), "text/plain")},
        data={"method": "chat_log_import"},
    )
    assert response.status_code == 422
    assert count_rows(engine, t.evidence) == 0
