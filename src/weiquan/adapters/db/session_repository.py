"""Sign-in sessions: rows ↔ :class:`SessionRecord`, the address and page data encrypted."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from weiquan.adapters.crypto import FieldCipher
from weiquan.adapters.db.tables_sessions import user_sessions as s
from weiquan.services.ports import SessionRecord


class SqlSessionRepository:
    def __init__(self, conn: sa.Connection, cipher: FieldCipher) -> None:
        self._conn = conn
        self._cipher = cipher

    def add(self, session: SessionRecord, *, token_hash: str) -> None:
        self._conn.execute(
            s.insert().values(
                id=session.id,
                token_hash=token_hash,
                user_id=session.user_id,
                device=session.device[:120],
                address_enc=self._cipher.encrypt(session.address) if session.address else None,
                data_enc=self._sealed(session.data),
                created_at=session.created_at,
                last_seen_at=session.last_seen_at,
                expires_at=session.expires_at,
            )
        )

    def live_by_token_hash(self, token_hash: str, *, now: datetime) -> SessionRecord | None:
        row = self._conn.execute(
            sa.select(s).where(s.c.token_hash == token_hash, *_live(now))
        ).first()
        return self._record(row._mapping) if row else None

    def touch(self, session_id: str, *, last_seen_at: datetime, expires_at: datetime) -> None:
        self._conn.execute(
            s.update()
            .where(s.c.id == session_id)
            .values(last_seen_at=last_seen_at, expires_at=expires_at)
        )

    def save_data(self, session_id: str, data: dict[str, Any]) -> None:
        self._conn.execute(
            s.update().where(s.c.id == session_id).values(data_enc=self._sealed(data))
        )

    def end(self, session_id: str, *, now: datetime, reason: str) -> bool:
        result = self._conn.execute(
            s.update()
            .where(s.c.id == session_id, *_live(now))
            .values(ended_at=now, end_reason=reason, data_enc=None)
        )
        return result.rowcount > 0

    def end_all_of(self, user_id: str, *, now: datetime, reason: str) -> int:
        result = self._conn.execute(
            s.update()
            .where(s.c.user_id == user_id, s.c.ended_at.is_(None))
            .values(ended_at=now, end_reason=reason, data_enc=None)
        )
        return result.rowcount

    def live_of(self, user_id: str, *, now: datetime) -> list[SessionRecord]:
        rows = self._conn.execute(
            sa.select(s)
            .where(s.c.user_id == user_id, *_live(now))
            .order_by(s.c.last_seen_at.desc(), s.c.id)
        )
        return [self._record(r._mapping) for r in rows]

    def forget_expired(self, *, before: datetime) -> int:
        return self._conn.execute(s.delete().where(s.c.expires_at < before)).rowcount

    def _sealed(self, data: Mapping[str, Any]) -> str | None:
        return self._cipher.encrypt(json.dumps(data, ensure_ascii=False)) if data else None

    def _record(self, row: Mapping[str, Any]) -> SessionRecord:
        return SessionRecord(
            id=row["id"],
            user_id=row["user_id"],
            device=row["device"],
            address=self._cipher.decrypt(row["address_enc"]) if row["address_enc"] else None,
            data=json.loads(self._cipher.decrypt(row["data_enc"])) if row["data_enc"] else {},
            created_at=row["created_at"],
            last_seen_at=row["last_seen_at"],
            expires_at=row["expires_at"],
        )


def _live(now: datetime) -> tuple[sa.ColumnElement[bool], ...]:
    return (s.c.ended_at.is_(None), s.c.expires_at > now)
