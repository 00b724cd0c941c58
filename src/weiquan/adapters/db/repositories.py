"""Repositories: rows ↔ domain objects. Every query a service needs lives here."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from weiquan.adapters.crypto import FieldCipher
from weiquan.adapters.db import case_lists
from weiquan.adapters.db import tables as t
from weiquan.domain.accounts import Actor, Role
from weiquan.domain.cases import (
    Case,
    CaseEvent,
    Category,
    Channel,
    Claim,
    ClaimKind,
    Deadlines,
    InadmissibleGround,
    Offer,
    OfferKind,
    OfferState,
    OrderItem,
    OrderRecord,
    Purpose,
)
from weiquan.domain.errors import CaseNumberTaken, Conflict
from weiquan.domain.lifecycle import Action, CaseStatus
from weiquan.domain.text_signals import TextRecord
from weiquan.services.ports import CaseFilter, MerchantRecord, ShopRecord, UserRecord

_PII_FIELDS = ("phone", "id_number", "address")
CALLER_PREFIX = "caller-"  # hotline callers' accounts (services.accounts.caller_account)


class SqlUserRepository:
    def __init__(self, conn: sa.Connection, cipher: FieldCipher) -> None:
        self._conn = conn
        self._cipher = cipher

    def add(self, user: UserRecord, *, created_at: datetime) -> None:
        encrypted = {
            f"{name}_enc": self._cipher.encrypt(value)
            for name in _PII_FIELDS
            if (value := getattr(user, name))
        }
        self._conn.execute(
            t.users.insert().values(
                id=user.id,
                username=user.username,
                display_name=user.display_name,
                role=user.role.value,
                password_hash=user.password_hash,
                merchant_id=user.merchant_id,
                region_code=user.region_code,
                is_active=user.is_active,
                created_at=created_at,
                **encrypted,
            )
        )

    def get(self, user_id: str, *, with_pii: bool = False) -> UserRecord | None:
        row = self._conn.execute(sa.select(t.users).where(t.users.c.id == user_id)).first()
        return self._to_record(row._mapping, with_pii=with_pii) if row else None

    def by_username(self, username: str) -> UserRecord | None:
        row = self._conn.execute(sa.select(t.users).where(t.users.c.username == username)).first()
        return self._to_record(row._mapping, with_pii=False) if row else None

    def add_token(
        self,
        *,
        token_id: str,
        user_id: str,
        token_hash: str,
        name: str,
        created_at: datetime,
        expires_at: datetime | None,
    ) -> None:
        self._conn.execute(
            t.api_tokens.insert().values(
                id=token_id,
                user_id=user_id,
                token_hash=token_hash,
                name=name,
                created_at=created_at,
                expires_at=expires_at,
            )
        )

    def by_token_hash(self, token_hash: str, *, now: datetime) -> UserRecord | None:
        query = (
            sa.select(t.users)
            .join(t.api_tokens, t.api_tokens.c.user_id == t.users.c.id)
            .where(
                t.api_tokens.c.token_hash == token_hash,
                t.api_tokens.c.revoked_at.is_(None),
                sa.or_(t.api_tokens.c.expires_at.is_(None), t.api_tokens.c.expires_at > now),
            )
        )
        row = self._conn.execute(query).first()
        return self._to_record(row._mapping, with_pii=False) if row else None

    def list_by_role(self, role: Role) -> list[UserRecord]:
        rows = self._conn.execute(
            sa.select(t.users).where(t.users.c.role == role.value).order_by(t.users.c.username)
        )
        return [self._to_record(r._mapping, with_pii=False) for r in rows]

    def erase_personal_data(self, user_id: str, *, display_name: str, now: datetime) -> None:
        self._conn.execute(
            t.users.update()
            .where(t.users.c.id == user_id)
            .values(
                display_name=display_name,
                phone_enc=None,
                id_number_enc=None,
                address_enc=None,
                is_active=False,
                password_hash="!",  # noqa: S106 - the unusable-password marker
            )
        )
        # A hotline caller's name is a digest of the phone: keyed, but still tied to the number.
        self._conn.execute(
            t.users.update()
            .where(t.users.c.id == user_id, t.users.c.username.startswith(CALLER_PREFIX))
            .values(username=f"erased-{user_id}")
        )
        self._conn.execute(
            t.api_tokens.update()
            .where(t.api_tokens.c.user_id == user_id, t.api_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    def set_password_hash(self, user_id: str, password_hash: str) -> None:
        self._conn.execute(
            t.users.update().where(t.users.c.id == user_id).values(password_hash=password_hash)
        )

    def disable(self, user_id: str, *, now: datetime) -> None:
        self._conn.execute(
            t.users.update()
            .where(t.users.c.id == user_id)
            .values(is_active=False, password_hash="!")  # noqa: S106 - the unusable marker
        )
        self._conn.execute(
            t.api_tokens.update()
            .where(t.api_tokens.c.user_id == user_id, t.api_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    def _to_record(self, row: Mapping[str, Any], *, with_pii: bool) -> UserRecord:
        pii = {
            name: self._cipher.decrypt(row[f"{name}_enc"])
            if with_pii and row[f"{name}_enc"]
            else None
            for name in _PII_FIELDS
        }
        return UserRecord(
            id=row["id"],
            username=row["username"],
            display_name=row["display_name"],
            role=Role(row["role"]),
            password_hash=row["password_hash"],
            merchant_id=row["merchant_id"],
            region_code=row["region_code"],
            is_active=row["is_active"],
            **pii,
        )


class SqlMerchantRepository:
    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def add(self, merchant: MerchantRecord, *, created_at: datetime) -> None:
        self._conn.execute(
            t.merchants.insert().values(
                id=merchant.id,
                name=merchant.name,
                uscc=merchant.uscc,
                uscc_check=merchant.uscc_check,
                region_code=merchant.region_code,
                created_at=created_at,
            )
        )

    def get(self, merchant_id: str) -> MerchantRecord | None:
        row = self._conn.execute(_SELECT_MERCHANT, {"b_id": merchant_id}).first()
        return _merchant(row._mapping) if row else None

    def all(self) -> list[MerchantRecord]:
        rows = self._conn.execute(sa.select(t.merchants).order_by(t.merchants.c.name))
        return [_merchant(r._mapping) for r in rows]

    def add_shop(self, shop: ShopRecord, *, created_at: datetime) -> None:
        self._conn.execute(
            t.shops.insert().values(
                id=shop.id,
                merchant_id=shop.merchant_id,
                name=shop.name,
                platform=shop.platform,
                url=shop.url,
                created_at=created_at,
            )
        )

    def get_shop(self, shop_id: str) -> ShopRecord | None:
        row = self._conn.execute(_SELECT_SHOP, {"b_id": shop_id}).first()
        return _shop(row._mapping) if row else None

    def shop_and_merchant(self, shop_id: str) -> tuple[ShopRecord, MerchantRecord] | None:
        row = self._conn.execute(_SELECT_SHOP_AND_MERCHANT, {"b_id": shop_id}).first()
        if row is None:
            return None
        m = row._mapping
        merchant = MerchantRecord(
            m["merchant_id"], m["merchant_name"], m["uscc"], m["uscc_check"], m["region_code"]
        )
        return _shop(m), merchant

    def shops_of(self, merchant_id: str) -> list[ShopRecord]:
        rows = self._conn.execute(
            sa.select(t.shops).where(t.shops.c.merchant_id == merchant_id).order_by(t.shops.c.name)
        )
        return [_shop(r._mapping) for r in rows]

    def shops(self, shop_ids: Sequence[str] | None = None) -> list[ShopRecord]:
        if shop_ids is None:
            query = sa.select(t.shops).order_by(t.shops.c.name)
        else:  # looked up by key; the caller maps them, so no order (and no sort)
            query = sa.select(t.shops).where(t.shops.c.id.in_(sorted(set(shop_ids))))
        return [_shop(r._mapping) for r in self._conn.execute(query)]


def _merchant(row: Mapping[str, Any]) -> MerchantRecord:
    return MerchantRecord(
        row["id"], row["name"], row["uscc"], row["uscc_check"], row["region_code"]
    )


def _shop(row: Mapping[str, Any]) -> ShopRecord:
    return ShopRecord(row["id"], row["merchant_id"], row["name"], row["platform"], row["url"])


class SqlIdempotencyRepository:
    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def get_many(self, pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], tuple[str, str]]:
        found: dict[tuple[str, str], tuple[str, str]] = {}
        unique = list(dict.fromkeys(pairs))
        if unique and self._conn.dialect.name == "postgresql":
            users, keys = [u for u, _ in unique], [k for _, k in unique]
            rows = self._conn.execute(_SELECT_IDEMPOTENCY_ARRAYS, {"users": users, "keys": keys})
            return {(r.user_id, r.key): (r.request_hash, r.case_id) for r in rows}
        for start in range(0, len(unique), _KEY_SLOTS):
            chunk = unique[start : start + _KEY_SLOTS]
            padded = chunk + [(None, None)] * (_KEY_SLOTS - len(chunk))  # NULL matches nothing
            params = {f"u{n}": user for n, (user, _) in enumerate(padded)}
            params.update({f"k{n}": key for n, (_, key) in enumerate(padded)})
            for r in self._conn.execute(_SELECT_IDEMPOTENCY_SLOTS, params):
                found[(r.user_id, r.key)] = (r.request_hash, r.case_id)
        return found

    def put_all(self, rows: Sequence[tuple[str, str, str, str, datetime]]) -> None:
        if rows:
            self._conn.execute(
                _INSERT_IDEMPOTENCY,
                [
                    {"user_id": u, "key": k, "request_hash": h, "case_id": c, "created_at": at}
                    for u, k, h, c, at in rows
                ],
            )


def _violates(exc: sa.exc.IntegrityError, *, constraint: str, column: str) -> bool:
    """Whether the unique violation is of ``constraint`` (PostgreSQL names it) or of
    ``column`` (SQLite names the column in its message)."""
    diag = getattr(exc.orig, "diag", None)
    if diag is not None:
        return getattr(diag, "constraint_name", None) == constraint
    return f"UNIQUE constraint failed: {column}" in str(exc.orig)


_SELECT_MERCHANT = sa.select(t.merchants).where(t.merchants.c.id == sa.bindparam("b_id"))
_SELECT_SHOP = sa.select(t.shops).where(t.shops.c.id == sa.bindparam("b_id"))
_SELECT_SHOP_AND_MERCHANT = (
    sa.select(
        t.shops,
        t.merchants.c.name.label("merchant_name"),
        t.merchants.c.uscc,
        t.merchants.c.uscc_check,
        t.merchants.c.region_code,
    )
    .join(t.merchants, t.merchants.c.id == t.shops.c.merchant_id)
    .where(t.shops.c.id == sa.bindparam("b_id"))
)
# Retry keys are looked up a group at a time by one constant statement, answered from the
# primary key. SQLite: OR-ed key pairs, padded with NULLs; a row-value IN, the obvious form, made
# it scan the whole table, so each group cost more as keys piled up (18 ms per group at 200,000
# keys), and an expanding parameter is re-rendered per call. PostgreSQL: the pairs as two arrays
# (two parameters, one prepared statement, whatever the group's size).
_SELECT_IDEMPOTENCY_ARRAYS = sa.text(
    "SELECT user_id, key, request_hash, case_id FROM idempotency_keys "
    "WHERE (user_id, key) IN (SELECT * FROM unnest(CAST(:users AS VARCHAR[]), CAST(:keys AS VARCHAR[])))"
)
_KEY_SLOTS = 16
_SELECT_IDEMPOTENCY_SLOTS = sa.select(t.idempotency_keys).where(
    sa.or_(
        *(
            sa.and_(
                t.idempotency_keys.c.user_id == sa.bindparam(f"u{n}"),
                t.idempotency_keys.c.key == sa.bindparam(f"k{n}"),
            )
            for n in range(_KEY_SLOTS)
        )
    )
)
_INSERT_CASE = t.cases.insert()
_UPDATE_CASE = t.cases.update().where(
    t.cases.c.id == sa.bindparam("b_id"), t.cases.c.version == sa.bindparam("b_version")
)
_INSERT_EVENT = t.case_events.insert()
_INSERT_IDEMPOTENCY = t.idempotency_keys.insert()


class SqlCaseRepository:
    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def add_all(self, cases: Sequence[Case]) -> None:
        if not cases:
            return
        # Constant statements with separate parameters keep SQLAlchemy's compiled form cached;
        # a list of parameter sets is one executemany per table for the whole group.
        try:
            self._conn.execute(_INSERT_CASE, [{"id": c.id, **_case_columns(c)} for c in cases])
        except sa.exc.IntegrityError as exc:
            if _violates(exc, constraint="uq_cases_number", column="cases.number"):
                raise CaseNumberTaken("案件编号重复，已换号重试") from exc
            raise
        events = [_event_row(e) for c in cases for e in c.new_events]
        if events:
            self._conn.execute(_INSERT_EVENT, events)
        offers = [_offer_row(c.id, n, o) for c in cases for n, o in enumerate(c.offers)]
        if offers:
            self._conn.execute(t.offers.insert(), offers)
        for case in cases:
            case.new_events.clear()

    def get(self, case_id: str, *, for_update: bool = False) -> Case | None:
        query = sa.select(t.cases).where(t.cases.c.id == case_id)
        if for_update:
            query = query.with_for_update()
        row = self._conn.execute(query).first()
        return self._hydrate([row._mapping])[0] if row else None

    def save(self, case: Case) -> None:
        result = self._conn.execute(
            _UPDATE_CASE,
            {
                **_case_columns(case),
                **_referral_columns(case),
                "version": case.version + 1,
                "b_id": case.id,
                "b_version": case.version,
            },
        )
        if result.rowcount != 1:
            raise Conflict("案件已被他人更新，请刷新后重试 (the case changed meanwhile; retry)")
        case.version += 1
        self._write_children(case)
        case.new_events.clear()

    def find(self, scope: CaseFilter) -> list[Case]:
        return self._hydrate(list(case_lists.read_page(self._conn, scope)))

    def find_after_skipping(self, scope: CaseFilter, skip: int) -> list[Case]:
        after = case_lists.position_after(self._conn, scope, skip)
        return [] if after is None else self.find(replace(scope, after=after))

    def count_up_to(self, scope: CaseFilter, cap: int) -> int:
        return case_lists.count_up_to(self._conn, scope, cap)

    def events(self, case_id: str) -> list[CaseEvent]:
        rows = self._conn.execute(
            sa.select(t.case_events)
            .where(t.case_events.c.case_id == case_id)
            .order_by(t.case_events.c.seq)
        )
        return [event_from_row(r._mapping) for r in rows]

    def with_open_deadlines(self, *, after: str, limit: int) -> list[Case]:
        query = (
            sa.select(t.cases)
            .where(t.OPEN_DEADLINES, t.cases.c.id > after)
            .order_by(t.cases.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return self._hydrate([r._mapping for r in self._conn.execute(query)])

    def claim_due(self, now: datetime, *, limit: int) -> list[Case]:
        query = (
            sa.select(t.cases)
            .where(t.cases.c.next_due_at <= now, t.EVERY_CASE)  # the words of ix_cases_list
            .order_by(t.cases.c.next_due_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return self._hydrate([r._mapping for r in self._conn.execute(query)])

    def texts_around(self, case: Case, *, limit: int) -> list[TextRecord]:
        c = t.cases.c
        query = (
            sa.select(c.id, c.consumer_id, c.merchant_id, c.title, c.description, c.created_at)
            .where(
                sa.or_(c.consumer_id == case.consumer_id, c.merchant_id == case.merchant_id),
                c.status != CaseStatus.DRAFT.value,
            )
            .order_by(c.created_at.desc())
            .limit(limit)
        )
        return [
            TextRecord(
                r.id, r.consumer_id, r.merchant_id, f"{r.title}\n{r.description}", r.created_at
            )
            for r in self._conn.execute(query)
        ]

    def _write_children(self, case: Case) -> None:
        if case.new_events:
            self._conn.execute(_INSERT_EVENT, [_event_row(e) for e in case.new_events])
        # Offers change state in place; rewriting the few rows keeps this simple.
        self._conn.execute(t.offers.delete().where(t.offers.c.case_id == case.id))
        if case.offers:
            self._conn.execute(
                t.offers.insert(),
                [
                    _offer_row(case.id, position, offer)
                    for position, offer in enumerate(case.offers)
                ],
            )

    def _hydrate(self, rows: list[Mapping[str, Any]]) -> list[Case]:
        if not rows:
            return []
        ids = [r["id"] for r in rows]
        offers_by_case: dict[str, list[Offer]] = {case_id: [] for case_id in ids}
        offer_rows = self._conn.execute(
            sa.select(t.offers)
            .where(t.offers.c.case_id.in_(ids))
            # In the order of uq_offers_case_position, so neither database sorts a page's offers.
            .order_by(t.offers.c.case_id, t.offers.c.position)
        )
        for r in offer_rows:
            offers_by_case[r.case_id].append(_offer(r._mapping))
        return [_case(r, offers_by_case[r["id"]]) for r in rows]


def _referral_columns(case: Case) -> dict[str, Any]:
    """The referral region at each level, written once, when the case is referred: the
    regulator's list is read through them (``case_lists``)."""
    if not any(event.action is Action.REFER for event in case.new_events):
        return {}
    return referral_region(case.region_code)


def referral_region(region_code: str) -> dict[str, str]:
    return {
        "referred_province": region_code[:2],
        "referred_city": region_code[:4],
        "referred_district": region_code,
    }


def _case_columns(case: Case) -> dict[str, Any]:
    d = case.deadlines
    return {
        "number": case.number,
        "consumer_id": case.consumer_id,
        "merchant_id": case.merchant_id,
        "shop_id": case.shop_id,
        "filed_by_id": case.filed_by_id,
        "channel": case.channel.value,
        "category": case.category.value,
        "title": case.title,
        "description": case.description,
        "claims": [_claim_json(c) for c in case.claims],
        "order_record": _order_json(case.order) if case.order else None,
        "purpose": case.purpose.value,
        "noticed_on": case.noticed_on,
        "handled_elsewhere": case.handled_elsewhere,
        "region_code": case.region_code,
        "status": case.status.value,
        "mediator_id": case.mediator_id,
        "inadmissible_ground": case.inadmissible_ground.value if case.inadmissible_ground else None,
        "rating": case.rating,
        "merchant_replied_at": case.merchant_replied_at,
        "reply_due_at": d.reply_due_at,
        "negotiation_due_at": d.negotiation_due_at,
        "mediation_due_at": d.mediation_due_at,
        "fulfilment_due_at": d.fulfilment_due_at,
        "next_due_at": d.next_check_at,
        "deadline_note": d.note,
        "deadline_bound_at": d.bound_at,
        "created_at": case.created_at,
        "submitted_at": case.submitted_at,
        "updated_at": case.updated_at,
        "closed_at": case.closed_at,
        "version": case.version,
        "last_seq": case.last_seq,
    }


def _case(row: Mapping[str, Any], offers: list[Offer]) -> Case:
    noticed: date | None = row["noticed_on"]
    return Case(
        id=row["id"],
        number=row["number"],
        consumer_id=row["consumer_id"],
        merchant_id=row["merchant_id"],
        shop_id=row["shop_id"],
        category=Category(row["category"]),
        title=row["title"],
        description=row["description"],
        claims=tuple(_claim(c) for c in row["claims"]),
        created_at=row["created_at"],
        channel=Channel(row["channel"]),
        filed_by_id=row["filed_by_id"],
        order=_order(row["order_record"]) if row["order_record"] else None,
        purpose=Purpose(row["purpose"]),
        noticed_on=noticed,
        handled_elsewhere=row["handled_elsewhere"],
        region_code=row["region_code"],
        status=CaseStatus(row["status"]),
        mediator_id=row["mediator_id"],
        merchant_replied_at=row["merchant_replied_at"],
        submitted_at=row["submitted_at"],
        closed_at=row["closed_at"],
        updated_at=row["updated_at"],
        inadmissible_ground=InadmissibleGround(row["inadmissible_ground"])
        if row["inadmissible_ground"]
        else None,
        rating=row["rating"],
        deadlines=Deadlines(
            row["reply_due_at"],
            row["negotiation_due_at"],
            row["mediation_due_at"],
            row["fulfilment_due_at"],
            row["deadline_note"],
            row["next_due_at"],
            row["deadline_bound_at"],
        ),
        offers=offers,
        version=row["version"],
        last_seq=row["last_seq"],
    )


def _claim_json(claim: Claim) -> dict[str, Any]:
    return {"kind": claim.kind.value, "amount_fen": claim.amount_fen, "note": claim.note}


def _claim(data: Mapping[str, Any]) -> Claim:
    return Claim(ClaimKind(data["kind"]), data.get("amount_fen"), data.get("note", ""))


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _order_json(order: OrderRecord) -> dict[str, Any]:
    return {
        "platform": order.platform,
        "order_no": order.order_no,
        "items": [
            {"name": i.name, "quantity": i.quantity, "unit_price_fen": i.unit_price_fen}
            for i in order.items
        ],
        "amount_paid_fen": order.amount_paid_fen,
        "ordered_at": order.ordered_at.isoformat() if order.ordered_at else None,
        "promised_delivery_at": order.promised_delivery_at.isoformat()
        if order.promised_delivery_at
        else None,
        "signed_at": order.signed_at.isoformat() if order.signed_at else None,
    }


def _order(data: Mapping[str, Any]) -> OrderRecord:
    return OrderRecord(
        platform=data["platform"],
        order_no=data["order_no"],
        items=tuple(
            OrderItem(i["name"], i["quantity"], i["unit_price_fen"]) for i in data["items"]
        ),
        amount_paid_fen=data["amount_paid_fen"],
        ordered_at=_dt(data["ordered_at"]),
        promised_delivery_at=_dt(data["promised_delivery_at"]),
        signed_at=_dt(data["signed_at"]),
    )


def _offer_row(case_id: str, position: int, offer: Offer) -> dict[str, Any]:
    return {
        "id": offer.id,
        "case_id": case_id,
        "position": position,
        "kind": offer.kind.value,
        "made_by_role": offer.made_by.role.value,
        "made_by_id": offer.made_by.user_id,
        "terms": [_claim_json(c) for c in offer.terms],
        "note": offer.note,
        "made_at": offer.made_at,
        "fulfil_within_days": offer.fulfil_within_days,
        "state": offer.state.value,
        "accepted_by": {party: at.isoformat() for party, at in offer.accepted_by.items()},
    }


def _offer(row: Mapping[str, Any]) -> Offer:
    return Offer(
        id=row["id"],
        kind=OfferKind(row["kind"]),
        made_by=Actor(Role(row["made_by_role"]), row["made_by_id"]),
        terms=tuple(_claim(c) for c in row["terms"]),
        note=row["note"],
        made_at=row["made_at"],
        fulfil_within_days=row["fulfil_within_days"],
        state=OfferState(row["state"]),
        accepted_by={party: datetime.fromisoformat(at) for party, at in row["accepted_by"].items()},
    )


def _event_row(event: CaseEvent) -> dict[str, Any]:
    return {
        "log_salt": os.urandom(16).hex(),  # the salt of this event's commitments in the log
        "case_id": event.case_id,
        "seq": event.seq,
        "action": event.action.value,
        "from_status": event.from_status.value,
        "to_status": event.to_status.value,
        "actor_role": event.actor.role.value,
        "actor_id": event.actor.user_id,
        "rule": event.actor.rule,
        "reason": event.reason,
        "payload": event.payload,
        "at": event.at,
    }


def event_from_row(row: Mapping[str, Any]) -> CaseEvent:
    return CaseEvent(
        case_id=row["case_id"],
        seq=row["seq"],
        action=Action(row["action"]),
        from_status=CaseStatus(row["from_status"]),
        to_status=CaseStatus(row["to_status"]),
        actor=Actor(Role(row["actor_role"]), row["actor_id"], row["rule"]),
        at=row["at"],
        reason=row["reason"],
        payload=row["payload"],
    )
