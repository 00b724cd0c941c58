"""Requests answered once: the stored answer to a POST sent with an ``Idempotency-Key``.

Complaints keep their own ``idempotency_keys`` (filed in groups, keyed to the case); every other
creating POST under /api/v1 is remembered here, its answer encrypted like other personal data.
"""

from __future__ import annotations

import sqlalchemy as sa

from weiquan.adapters.db.tables import ID, UtcDateTime, metadata

idempotent_requests = sa.Table(
    "idempotent_requests",
    metadata,
    # The caller's user id, or "anonymous": one caller's keys never meet another's.
    sa.Column("scope", sa.String(64), primary_key=True),
    sa.Column("key", sa.String(100), primary_key=True),
    # SHA-256 of method, path and body: the same key with another request is a conflict.
    sa.Column("request_hash", sa.String(64), nullable=False),
    # NULL while the first request is still being answered.
    sa.Column("status", sa.Integer, nullable=True),
    sa.Column("body_enc", sa.Text, nullable=True),
    sa.Column("user_id", ID, nullable=True, index=True),
    sa.Column("created_at", UtcDateTime, nullable=False, index=True),
)
