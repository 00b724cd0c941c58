"""The complaint the intake benchmarks send: a realistic one by default, a short one on request.

A real complaint has a 20–40 character title, a few hundred characters of description, more
than one claim and the order with its amounts and dates; that is what the server validates,
stores and answers, so that is what the benchmark sends (issue 17). The short body is the
one-line complaint of the earlier figures, kept as a labelled variant to compare with them.

    python bench/complaint.py SHOP_ID [--body realistic|short]   # prints the JSON body
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime, timedelta
from typing import Any

TITLE = "无线降噪耳机到货右耳无声，商家以已拆封为由拒绝退货"
DESCRIPTION = (
    "我于十一月十一日在该店铺购买了一副无线降噪蓝牙耳机，订单实付二百九十九元，商家承诺四十八小时内"
    "发货，实际第五天才发出。收到耳机当天试用时发现右耳完全没有声音，重新配对、恢复出厂设置、更换手机"
    "测试均无效，左耳正常。我当即联系在线客服，客服要求我拍摄视频证明故障，我按要求上传了开箱视频和测"
    "试视频。三天后客服答复称耳机已经拆封使用，不符合七天无理由退货条件，只同意寄回检测，检测周期为十"
    "五个工作日，运费由我承担。我认为这是商品本身的质量问题，依法应当由商家承担退货运费并退还全部货款"
    "。另外商家延迟发货导致我错过了出差使用，请求赔偿相应损失。聊天记录和订单截图均已保存，请平台协助"
    "处理。望尽快回复处理结果。"
)
assert len(TITLE) == 25  # the sizes issue 17 names
assert len(DESCRIPTION) == 300


def realistic(shop_id: str, *, today: datetime | None = None) -> dict[str, Any]:
    """Title of 25 characters, description of 300 Chinese characters, two claims, an order with
    its item, amount and dates (all in the past, in the order they happen)."""
    signed = (today or datetime.now(UTC)) - timedelta(days=3)
    ordered = signed - timedelta(days=6)
    return {
        "shop_id": shop_id,
        "category": "quality",
        "title": TITLE,
        "description": DESCRIPTION,
        "claims": [
            {"kind": "refund", "amount_fen": 29900, "note": "退还全部货款，退货运费由商家承担"},
            {"kind": "compensation", "amount_fen": 5000, "note": "延迟发货造成的损失"},
        ],
        "order": {
            "platform": "京东",
            "order_no": "JD302617495028",
            "items": [{"name": "无线降噪蓝牙耳机", "quantity": 1, "unit_price_fen": 29900}],
            "amount_paid_fen": 29900,
            "ordered_at": ordered.isoformat(timespec="seconds"),
            "promised_delivery_at": (ordered + timedelta(days=2)).isoformat(timespec="seconds"),
            "signed_at": signed.isoformat(timespec="seconds"),
        },
        "noticed_on": signed.date().isoformat(),
    }


def short(shop_id: str) -> dict[str, Any]:
    """The one-line complaint of the figures before issue 17: one claim, no order."""
    return {
        "shop_id": shop_id,
        "category": "quality",
        "title": "耳机右耳无声",
        "description": "收到的耳机右耳没有声音，要求退款。",
        "claims": [{"kind": "refund", "amount_fen": 29900}],
    }


BODIES = {"realistic": realistic, "short": short}


def encoded(kind: str, shop_id: str) -> bytes:
    return json.dumps(BODIES[kind](shop_id), ensure_ascii=False).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("shop_id")
    parser.add_argument("--body", choices=sorted(BODIES), default="realistic")
    args = parser.parse_args()
    print(encoded(args.body, args.shop_id).decode())


if __name__ == "__main__":
    main()
