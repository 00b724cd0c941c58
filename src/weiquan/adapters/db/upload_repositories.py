"""Trust uploads and their custody (weiquan.domain.trust.uploads)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from weiquan.adapters.db.tables import evidence as evidence_table
from weiquan.adapters.db.tables_trust import trust_upload_custody, trust_uploads
from weiquan.domain.accounts import Actor, Role
from weiquan.domain.trust.uploads import (
    AttachedTo,
    CustodyAction,
    Upload,
    UploadCustody,
    UploadPurpose,
    UploadUsage,
)

ANONYMOUS = "anonymous"  # the actor role stored for someone without an account


class SqlUploadRepository:
    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def add(self, upload: Upload) -> None:
        self._conn.execute(trust_uploads.insert().values(**_row(upload)))

    def get_many(self, upload_ids: Sequence[str], *, for_update: bool = False) -> dict[str, Upload]:
        if not upload_ids:
            return {}
        query = sa.select(trust_uploads).where(trust_uploads.c.id.in_(list(upload_ids)))
        if for_update:
            query = query.with_for_update()
        return {r.id: _upload(r._mapping) for r in self._conn.execute(query)}

    def get(self, upload_id: str) -> Upload | None:
        return self.get_many([upload_id]).get(upload_id)

    def save_attachment(self, upload: Upload) -> None:
        self._conn.execute(
            trust_uploads.update()
            .where(trust_uploads.c.id == upload.id)
            .values(
                attached_kind=upload.attached_kind.value if upload.attached_kind else None,
                attached_id=upload.attached_id,
            )
        )

    def usage_since(self, source: str, since: datetime) -> UploadUsage:
        row = self._conn.execute(
            sa.select(
                sa.func.count(), sa.func.coalesce(sa.func.sum(trust_uploads.c.size), 0)
            ).where(trust_uploads.c.source == source, trust_uploads.c.uploaded_at >= since)
        ).one()
        return UploadUsage(int(row[0]), int(row[1]))

    def unattached_anonymous_bytes(self) -> int:
        total = self._conn.execute(
            sa.select(sa.func.coalesce(sa.func.sum(trust_uploads.c.size), 0)).where(
                trust_uploads.c.attached_kind.is_(None), trust_uploads.c.uploaded_by.is_(None)
            )
        ).scalar_one()
        return int(total)

    def unattached_before(self, cutoff: datetime, *, limit: int) -> list[Upload]:
        rows = self._conn.execute(
            sa.select(trust_uploads)
            .where(trust_uploads.c.attached_kind.is_(None), trust_uploads.c.uploaded_at < cutoff)
            .order_by(trust_uploads.c.uploaded_at)
            .limit(limit)
        )
        return [_upload(r._mapping) for r in rows]

    def remove(self, upload_id: str) -> None:
        self._conn.execute(
            trust_uploads.delete().where(
                trust_uploads.c.id == upload_id, trust_uploads.c.attached_kind.is_(None)
            )
        )

    def digest_in_use(self, sha256: str) -> bool:
        """Whether any upload or case evidence record still names these bytes."""
        for table in (trust_uploads, evidence_table):
            found = self._conn.execute(
                sa.select(sa.literal(1)).where(table.c.sha256 == sha256).limit(1)
            ).first()
            if found is not None:
                return True
        return False

    def add_custody(self, event: UploadCustody) -> None:
        self._conn.execute(
            trust_upload_custody.insert().values(
                upload_id=event.upload_id,
                action=event.action.value,
                actor_role=event.actor.role.value if event.actor else ANONYMOUS,
                actor_id=event.actor.user_id if event.actor else None,
                at=event.at,
                context=event.context,
            )
        )

    def custody_of(self, upload_id: str) -> list[UploadCustody]:
        rows = self._conn.execute(
            sa.select(trust_upload_custody)
            .where(trust_upload_custody.c.upload_id == upload_id)
            .order_by(trust_upload_custody.c.id)
        )
        return [
            UploadCustody(
                upload_id=r.upload_id,
                action=CustodyAction(r.action),
                actor=None if r.actor_role == ANONYMOUS else Actor(Role(r.actor_role), r.actor_id),
                at=r.at,
                context=r.context,
            )
            for r in rows
        ]


def _row(upload: Upload) -> dict[str, Any]:
    return {
        "id": upload.id,
        "sha256": upload.sha256,
        "size": upload.size,
        "mime": upload.mime,
        "purpose": upload.purpose.value,
        "uploaded_by": upload.uploaded_by,
        "uploaded_at": upload.uploaded_at,
        "source": upload.source,
        "attached_kind": upload.attached_kind.value if upload.attached_kind else None,
        "attached_id": upload.attached_id,
    }


def _upload(row: Mapping[str, Any]) -> Upload:
    return Upload(
        id=row["id"],
        sha256=row["sha256"],
        size=row["size"],
        mime=row["mime"],
        purpose=UploadPurpose(row["purpose"]),
        uploaded_by=row["uploaded_by"],
        uploaded_at=row["uploaded_at"],
        source=row["source"],
        attached_kind=AttachedTo(row["attached_kind"]) if row["attached_kind"] else None,
        attached_id=row["attached_id"],
    )
