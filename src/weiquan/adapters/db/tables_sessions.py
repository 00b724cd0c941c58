"""Sign-in sessions and throttle counters, on the shared ``metadata``."""

from __future__ import annotations

import sqlalchemy as sa

from weiquan.adapters.db.tables import ID, UtcDateTime, metadata

# One row per browser sign-in. The cookie holds a random id; only its SHA-256 is stored, so a
# copy of the database does not let anyone sign in. Ended sessions keep their row (when and why
# they ended) until they expire.
user_sessions = sa.Table(
    "user_sessions",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("user_id", ID, sa.ForeignKey("users.id"), nullable=True, index=True),
    sa.Column("device", sa.String(120), nullable=False),
    sa.Column("address_enc", sa.Text, nullable=True),
    # What the pages keep between requests (staged evidence), encrypted like other personal data.
    sa.Column("data_enc", sa.Text, nullable=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("last_seen_at", UtcDateTime, nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False),
    sa.Column("ended_at", UtcDateTime, nullable=True),
    sa.Column("end_reason", sa.String(20), nullable=True),
)

# Fixed-window counters of the throttles when no Redis is configured. The key is a keyed digest
# of the rule and the address or account, never the address or user name itself.
throttle_counters = sa.Table(
    "throttle_counters",
    metadata,
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("hits", sa.Integer, nullable=False),
    sa.Column("window_ends_at", UtcDateTime, nullable=False, index=True),
)
