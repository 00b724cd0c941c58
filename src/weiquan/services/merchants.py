"""Merchants and their shops."""

from __future__ import annotations

from datetime import datetime

from weiquan.domain.cases import require_text
from weiquan.domain.errors import Conflict, ValidationFailed
from weiquan.domain.identifiers import validate_region_code, validate_uscc
from weiquan.services.context import Services
from weiquan.services.ports import MerchantRecord, ShopRecord


def register_merchant(
    svc: Services,
    *,
    name: str,
    region_code: str,
    now: datetime,
    uscc: str | None = None,
    known_regions: frozenset[str] | None = None,
) -> tuple[MerchantRecord, str | None]:
    """Returns the merchant and a warning (a USCC whose check character fails)."""
    require_text(name, field="name", limit=200)
    region = validate_region_code(region_code, known_regions)
    checked = validate_uscc(uscc) if uscc else None
    merchant = MerchantRecord(
        id=svc.ids.new_id(),
        name=name.strip(),
        uscc=checked.code if checked else None,
        uscc_check=checked.check.value if checked else None,
        region_code=region,
    )
    with svc.uow() as uow:
        if checked and any(m.uscc == checked.code for m in uow.merchants.all()):
            raise Conflict("该统一社会信用代码已登记", field="uscc")
        uow.merchants.add(merchant, created_at=now)
        uow.commit()
    return merchant, checked.warning if checked else None


def add_shop(
    svc: Services,
    *,
    merchant_id: str,
    name: str,
    platform: str,
    now: datetime,
    url: str | None = None,
) -> ShopRecord:
    require_text(name, field="name", limit=200)
    require_text(platform, field="platform", limit=60)
    if url is not None and not url.startswith(("https://", "http://")):
        raise ValidationFailed("店铺网址应以 http:// 或 https:// 开头", field="url")
    shop = ShopRecord(svc.ids.new_id(), merchant_id, name.strip(), platform.strip(), url)
    with svc.uow() as uow:
        if uow.merchants.get(merchant_id) is None:
            raise ValidationFailed("找不到该商家", field="merchant_id")
        uow.merchants.add_shop(shop, created_at=now)
        uow.commit()
    return shop


def list_shops(svc: Services) -> list[tuple[MerchantRecord, ShopRecord]]:
    with svc.uow(readonly=True) as uow:
        return [(m, s) for m in uow.merchants.all() for s in uow.merchants.shops_of(m.id)]
