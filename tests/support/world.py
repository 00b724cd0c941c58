"""Personas and a small world of merchants, shops and accounts, made through the real services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from weiquan.domain.accounts import Principal, Role
from weiquan.domain.cases import Category, Claim, ClaimKind, OrderItem, OrderRecord
from weiquan.services import accounts, merchants
from weiquan.services.commands import FileComplaint
from weiquan.services.context import Services

# Wednesday 25 November 2026, 10:00 in Beijing: a plain working day.
NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
PASSWORD = "correct horse battery staple"


@dataclass
class World:
    """alice and bob are consumers; the merchant staff, mediators and regulators are named by role."""

    alice: Principal
    bob: Principal
    merchant_a: Principal  # staff of the Beijing merchant (shop_a)
    merchant_b: Principal  # staff of the Chengdu merchant (shop_b)
    mediator: Principal
    mediator2: Principal
    regulator_beijing: Principal
    regulator_chengdu: Principal
    operator: Principal
    admin: Principal
    shop_a: str
    shop_b: str
    merchant_a_id: str
    merchant_b_id: str

    def by_name(self, name: str) -> Principal:
        value = getattr(self, name)
        assert isinstance(value, Principal)
        return value


def build_world(svc: Services, now: datetime = NOW) -> World:
    ma, _ = merchants.register_merchant(
        svc, name="北京数码有限公司", region_code="110108", uscc="91110108551385082Q", now=now
    )
    mb, _ = merchants.register_merchant(
        svc, name="成都家纺有限公司", region_code="510104", uscc="91512081MA62K0260E", now=now
    )
    shop_a = merchants.add_shop(svc, merchant_id=ma.id, name="数码旗舰店", platform="京东", now=now)
    shop_b = merchants.add_shop(svc, merchant_id=mb.id, name="家纺小铺", platform="淘宝", now=now)

    def user(name: str, role: Role, **extra: str) -> Principal:
        return accounts.create_user(
            svc, username=name, password=PASSWORD, display_name=name, role=role, now=now, **extra
        ).principal

    return World(
        alice=user("alice", Role.CONSUMER, phone="13912345678"),
        bob=user("bob", Role.CONSUMER),
        merchant_a=user("merchant-a", Role.MERCHANT, merchant_id=ma.id),
        merchant_b=user("merchant-b", Role.MERCHANT, merchant_id=mb.id),
        mediator=user("mediator", Role.MEDIATOR),
        mediator2=user("mediator2", Role.MEDIATOR),
        regulator_beijing=user("reg-beijing", Role.REGULATOR, region_code="110000"),
        regulator_chengdu=user("reg-chengdu", Role.REGULATOR, region_code="510100"),
        operator=user("operator", Role.OPERATOR),
        admin=user("admin", Role.ADMIN),
        shop_a=shop_a.id,
        shop_b=shop_b.id,
        merchant_a_id=ma.id,
        merchant_b_id=mb.id,
    )


def complaint(shop_id: str, **overrides: object) -> FileComplaint:
    values: dict[str, object] = {
        "shop_id": shop_id,
        "category": Category.QUALITY,
        "title": "耳机右耳无声",
        "description": "收到的耳机右耳没有声音，要求退款。",
        "claims": (Claim(ClaimKind.REFUND, 29900),),
        "order": OrderRecord(
            platform="京东",
            order_no="JD20261120001",
            items=(OrderItem("蓝牙耳机", 1, 29900),),
            amount_paid_fen=29900,
        ),
    }
    values.update(overrides)
    return FileComplaint(**values)  # type: ignore[arg-type]
