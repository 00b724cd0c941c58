"""A realistic demo: merchants in Beijing, Chengdu and Zhejiang, one account per role, cases in
every state the lifecycle can rest in. Demo passwords are public: refused in production."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from weiquan.domain.accounts import Principal, Role
from weiquan.domain.cases import Category, Claim, ClaimKind, OrderItem, OrderRecord, Purpose
from weiquan.domain.errors import Conflict
from weiquan.domain.lifecycle import Action
from weiquan.services import accounts, merchants
from weiquan.services import cases as case_service
from weiquan.services.commands import CaseCommand, FileComplaint
from weiquan.services.context import Services
from weiquan.services.readiness import DEMO_PASSWORD

DEMO_ACCOUNTS = [
    # username, display name, role, merchant key, region
    ("alice", "张晓丽", Role.CONSUMER, None, None),
    ("bob", "李文博", Role.CONSUMER, None, None),
    ("shop-beijing", "京东方数码 客服", Role.MERCHANT, "beijing", None),
    ("shop-chengdu", "蜀锦生活馆 客服", Role.MERCHANT, "chengdu", None),
    ("shop-zhejiang", "西湖年货坊 客服", Role.MERCHANT, "zhejiang", None),
    ("mediator", "王调解", Role.MEDIATOR, None, None),
    ("regulator-chengdu", "成都市市场监管局 刘科长", Role.REGULATOR, None, "510100"),
    ("operator", "12315 热线 陈坐席", Role.OPERATOR, None, None),
    ("admin", "系统管理员", Role.ADMIN, None, None),
]

DEMO_MERCHANTS = {
    # key: (name, USCC (valid check character), region, shop, platform)
    "beijing": (
        "北京京东方数码科技有限公司",
        "91110108551385082Q",
        "110108",
        "京东方数码旗舰店",
        "京东",
    ),
    "chengdu": ("成都蜀锦生活用品有限公司", "91510104MA6C2D8X3H", "510104", "蜀锦生活馆", "淘宝"),
    "zhejiang": (
        "杭州西湖年货食品有限公司",
        "91330106MA2H0Q5N7H",
        "330106",
        "西湖年货坊",
        "拼多多",
    ),
}


@dataclass
class _Demo:
    svc: Services
    now: datetime
    people: dict[str, Principal]
    shops: dict[str, str]

    def at(self, days_ago: float) -> datetime:
        return self.now - timedelta(days=days_ago)

    def file(
        self,
        who: str,
        shop: str,
        days_ago: float,
        title: str,
        description: str,
        category: Category,
        claims: tuple[Claim, ...],
        *,
        amount_fen: int = 29900,
        submit: bool = True,
    ) -> str:
        order = OrderRecord(
            platform="京东" if shop == "beijing" else "淘宝",
            order_no=f"DEMO{zlib.crc32(title.encode()):010d}",
            items=(OrderItem(title[:20], 1, amount_fen),),
            amount_paid_fen=amount_fen,
            ordered_at=self.at(days_ago + 5),
            signed_at=self.at(days_ago + 1),
        )
        cmd = FileComplaint(
            shop_id=self.shops[shop],
            category=category,
            title=title,
            description=description,
            claims=claims,
            order=order,
            submit=submit,
        )
        case, _ = case_service.file_complaint(
            self.svc, cmd, principal=self.people[who], now=self.at(days_ago)
        )
        return case.id

    def act(self, case_id: str, who: str, action: Action, days_ago: float, **kw: object) -> str:
        cmd = CaseCommand(case_id=case_id, action=action, **kw)  # type: ignore[arg-type]
        case = case_service.act(self.svc, cmd, principal=self.people[who], now=self.at(days_ago))
        offer = case.open_offer
        return offer.id if offer else ""


def load_demo(svc: Services, *, now: datetime, reset: bool = False) -> str | None:
    try:
        people, shops = _accounts_and_shops(svc, now)
    except Conflict:
        if not reset:
            return None
        raise
    demo = _Demo(svc, now, people, shops)
    _cases(demo)
    return f"{len(people)} accounts, {len(shops)} shops, 13 cases"


def _accounts_and_shops(
    svc: Services, now: datetime
) -> tuple[dict[str, Principal], dict[str, str]]:
    merchant_ids: dict[str, str] = {}
    shops: dict[str, str] = {}
    for key, (name, uscc, region, shop_name, platform) in DEMO_MERCHANTS.items():
        merchant, _warning = merchants.register_merchant(
            svc, name=name, region_code=region, uscc=uscc, now=now
        )
        merchant_ids[key] = merchant.id
        shops[key] = merchants.add_shop(
            svc, merchant_id=merchant.id, name=shop_name, platform=platform, now=now
        ).id
    people = {}
    for username, display, role, merchant_key, region in DEMO_ACCOUNTS:
        user = accounts.create_user(
            svc,
            username=username,
            password=DEMO_PASSWORD,
            display_name=display,
            role=role,
            now=now,
            merchant_id=merchant_ids.get(merchant_key or ""),
            region_code=region,
            phone="13800138000" if role is Role.CONSUMER else None,
        )
        people[username] = user.principal
    return people, shops


def _cases(d: _Demo) -> None:
    refund = (Claim(ClaimKind.REFUND, 29900),)
    d.file(
        "alice",
        "beijing",
        0.5,
        "蓝牙耳机右耳无声",
        "收到的蓝牙耳机右耳完全没有声音，联系客服两天未回复。",
        Category.QUALITY,
        refund,
        submit=False,
    )  # draft
    d.file(
        "alice",
        "beijing",
        1,
        "耳机充电盒无法充电",
        "充电盒插电后指示灯不亮，要求退货退款。",
        Category.QUALITY,
        refund,
    )  # negotiation
    d.file(
        "bob",
        "zhejiang",
        9,
        "年货礼盒临期未告知",
        "收到的坚果礼盒距保质期仅剩 10 天，页面未提示临期。商家一直未答复。",
        Category.NOT_AS_DESCRIBED,
        refund,
    )  # silent merchant: the worker escalates it
    settled = d.file(
        "alice",
        "chengdu",
        6,
        "床品四件套色差严重",
        "实物颜色与图片差异明显，申请退货。",
        Category.NOT_AS_DESCRIBED,
        (Claim(ClaimKind.RETURN), Claim(ClaimKind.REFUND, 25900)),
        amount_fen=25900,
    )
    offer = d.act(
        settled,
        "shop-chengdu",
        Action.MAKE_OFFER,
        5,
        text="同意退货退款，运费由我方承担",
        terms=(Claim(ClaimKind.REFUND, 25900),),
    )
    d.act(settled, "alice", Action.ACCEPT_OFFER, 4, offer_id=offer)  # settled
    queue = d.file(
        "bob",
        "beijing",
        8,
        "手机屏幕出现坏点",
        "使用三天屏幕出现坏点，商家拒绝换货。",
        Category.QUALITY,
        (Claim(ClaimKind.EXCHANGE),),
        amount_fen=459900,
    )
    d.act(
        queue, "shop-beijing", Action.REFUSE, 7, reason="屏幕坏点在国家标准允许范围内"
    )  # mediation queue
    mediating = d.file(
        "alice",
        "zhejiang",
        12,
        "腊肉礼盒发霉",
        "收到的腊肉礼盒有明显霉斑，要求十倍赔偿。",
        Category.QUALITY,
        (Claim(ClaimKind.REFUND, 19900), Claim(ClaimKind.COMPENSATION, 100000)),
        amount_fen=19900,
    )
    offer = d.act(
        mediating,
        "shop-zhejiang",
        Action.MAKE_OFFER,
        11,
        text="仅退款",
        terms=(Claim(ClaimKind.REFUND, 19900),),
    )
    d.act(
        mediating,
        "alice",
        Action.REJECT_OFFER,
        10,
        offer_id=offer,
        reason="食品不符合安全标准，应依法赔偿",
    )
    d.act(mediating, "mediator", Action.ASSIGN_MEDIATOR, 9)
    d.act(
        mediating,
        "mediator",
        Action.PROPOSE_SETTLEMENT,
        8,
        text="退款并赔偿 1000 元",
        terms=(Claim(ClaimKind.REFUND, 19900), Claim(ClaimKind.COMPENSATION, 100000)),
    )
    agreement = _to_mediation(d, "bob", "chengdu", 20, "羽绒服充绒量不足")
    d.act(agreement, "mediator", Action.ASSIGN_MEDIATOR, 18)
    proposal = d.act(
        agreement,
        "mediator",
        Action.PROPOSE_SETTLEMENT,
        17,
        text="退还差价 300 元",
        terms=(Claim(ClaimKind.REFUND, 30000),),
    )
    d.act(agreement, "bob", Action.ACCEPT_SETTLEMENT, 16, offer_id=proposal)
    d.act(agreement, "shop-chengdu", Action.ACCEPT_SETTLEMENT, 15, offer_id=proposal)  # agreement
    referred = _to_mediation(d, "alice", "chengdu", 40, "定制窗帘尺寸错误")
    d.act(referred, "mediator", Action.ASSIGN_MEDIATOR, 38)
    d.act(
        referred, "mediator", Action.RECORD_FAILURE, 30, reason="商家明确表示拒绝调解", refer=True
    )
    dossier = _to_mediation(d, "bob", "beijing", 45, "笔记本电脑以旧充新")
    d.act(dossier, "mediator", Action.ASSIGN_MEDIATOR, 44)
    d.act(
        dossier, "mediator", Action.RECORD_FAILURE, 35, reason="双方分歧过大，调解不成", refer=False
    )
    fulfilled = d.file(
        "bob",
        "chengdu",
        14,
        "枕头少发一只",
        "订单两只枕头只收到一只。",
        Category.DELIVERY_DELAY,
        (Claim(ClaimKind.OTHER, note="补发"),),
    )
    offer = d.act(
        fulfilled,
        "shop-chengdu",
        Action.MAKE_OFFER,
        13,
        text="立即补发",
        terms=(Claim(ClaimKind.OTHER, note="补发一只枕头"),),
    )
    d.act(fulfilled, "bob", Action.ACCEPT_OFFER, 12, offer_id=offer)
    d.act(fulfilled, "bob", Action.CONFIRM_FULFILMENT, 10)  # fulfilled
    closed = d.file(
        "alice", "beijing", 30, "充电器发热", "充电器使用时异常发烫。", Category.QUALITY, refund
    )
    offer = d.act(
        closed,
        "shop-beijing",
        Action.MAKE_OFFER,
        29,
        text="全额退款",
        terms=(Claim(ClaimKind.REFUND, 29900),),
    )
    d.act(closed, "alice", Action.ACCEPT_OFFER, 28, offer_id=offer)
    d.act(closed, "alice", Action.CONFIRM_FULFILMENT, 27)
    d.act(closed, "alice", Action.CLOSE, 26, reason="已收到退款")
    d.act(closed, "alice", Action.RATE, 26, stars=5, text="商家处理很及时")  # closed and rated
    withdrawn = d.file(
        "bob",
        "zhejiang",
        3,
        "快递延误",
        "年货迟迟未到。",
        Category.DELIVERY_DELAY,
        (Claim(ClaimKind.APOLOGY),),
    )
    d.act(withdrawn, "bob", Action.WITHDRAW, 2, reason="已收到货，撤回投诉")  # withdrawn
    business = FileComplaint(
        shop_id=d.shops["beijing"],
        category=Category.OTHER,
        title="公司采购显示器 20 台有坏点",
        description="为公司办公采购。",
        claims=(Claim(ClaimKind.EXCHANGE),),
        purpose=Purpose.BUSINESS,
    )
    case_service.file_complaint(
        d.svc, business, principal=d.people["bob"], now=d.at(2)
    )  # inadmissible


def _to_mediation(d: _Demo, who: str, shop: str, days_ago: float, title: str) -> str:
    case_id = d.file(
        who,
        shop,
        days_ago,
        title,
        f"{title}，协商无果，申请调解。",
        Category.QUALITY,
        (Claim(ClaimKind.REFUND, 50000),),
        amount_fen=80000,
    )
    d.act(case_id, who, Action.ESCALATE, days_ago - 1, reason="商家不同意退款")
    return case_id
