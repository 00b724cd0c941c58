"""Operations tables, on the shared ``metadata``: what each worker process last reported."""

from __future__ import annotations

import sqlalchemy as sa

from weiquan.adapters.db.tables import UtcDateTime, metadata

# One row per worker (host and job), overwritten by its heartbeat; /healthz reads them. No
# personal data: problems are the worker's own messages about the log and the database.
worker_status = sa.Table(
    "worker_status",
    metadata,
    sa.Column("worker", sa.String(200), primary_key=True),
    sa.Column("pid", sa.Integer, nullable=False),
    sa.Column("writes_log", sa.Boolean, nullable=False),
    sa.Column("started_at", UtcDateTime, nullable=False),
    sa.Column("heartbeat_at", UtcDateTime, nullable=False),
    sa.Column("last_sweep_at", UtcDateTime, nullable=True),
    sa.Column("last_seal_at", UtcDateTime, nullable=True),
    sa.Column("log_size", sa.BigInteger, nullable=True),
    sa.Column("problem", sa.Text, nullable=True),
    sa.Column("problem_since", UtcDateTime, nullable=True),
)
