"""Stored answers to POSTs sent with an ``Idempotency-Key`` (table ``idempotent_requests``)."""

from __future__ import annotations

import base64
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from weiquan.adapters.crypto import FieldCipher
from weiquan.adapters.db.tables_requests import idempotent_requests as table
from weiquan.services.ports import RememberedRequest


class SqlIdempotentRequestRepository:
    def __init__(self, conn: sa.Connection, cipher: FieldCipher) -> None:
        self._conn = conn
        # Answers may carry personal data (a statement, a contact): encrypted like the rest.
        self._cipher = cipher

    def get(self, scope: str, key: str) -> RememberedRequest | None:
        row = self._conn.execute(sa.select(table).where(_is(scope, key))).first()
        if row is None:
            return None
        body = base64.b64decode(self._cipher.decrypt(row.body_enc)) if row.body_enc else b""
        return RememberedRequest(row.request_hash, row.status, body, row.created_at)

    def claim(
        self, scope: str, key: str, *, request_hash: str, user_id: str | None, now: datetime
    ) -> bool:
        values = {
            "scope": scope,
            "key": key,
            "request_hash": request_hash,
            "user_id": user_id,
            "created_at": now,
        }
        insert = (postgresql if self._conn.dialect.name == "postgresql" else sqlite).insert
        # Another request with this key may get there first: then nothing is inserted.
        statement = insert(table).values(**values).on_conflict_do_nothing().returning(table.c.key)
        return self._conn.execute(statement).first() is not None

    def take_over(self, scope: str, key: str, *, request_hash: str, now: datetime) -> None:
        self._conn.execute(
            table.update()
            .where(_is(scope, key))
            .values(request_hash=request_hash, status=None, body_enc=None, created_at=now)
        )

    def answer(self, scope: str, key: str, *, status: int, body: bytes) -> None:
        sealed = self._cipher.encrypt(base64.b64encode(body).decode()) if body else None
        self._conn.execute(
            table.update().where(_is(scope, key)).values(status=status, body_enc=sealed)
        )

    def release(self, scope: str, key: str) -> None:
        self._conn.execute(table.delete().where(_is(scope, key)))

    def forget_before(self, cutoff: datetime) -> None:
        self._conn.execute(table.delete().where(table.c.created_at < cutoff))

    def forget_user(self, user_id: str) -> None:
        self._conn.execute(table.delete().where(table.c.user_id == user_id))


def _is(scope: str, key: str) -> sa.ColumnElement[bool]:
    return sa.and_(table.c.scope == scope, table.c.key == key)
