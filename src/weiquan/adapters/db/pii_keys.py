"""Which keys personal data is encrypted under, and moving all of it to the current key.

Encrypted columns are found by their name (``*_enc``) in every table, so a column added later
is covered without being listed here.
"""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa

from weiquan.adapters.crypto import FieldCipher
from weiquan.adapters.db.tables import metadata
from weiquan.adapters.db.unit_of_work import _sqlite_writer_lock

_BATCH = 500


def encrypted_columns() -> Iterator[tuple[sa.Table, sa.Column[str]]]:
    for table in metadata.sorted_tables:
        for column in table.columns:
            if column.name.endswith("_enc"):
                yield table, column


def _prefix(key_id: str) -> str:
    return f"v1:{key_id}:"


def count_under_key(engine: sa.Engine, key_id: str) -> int:
    """How many encrypted values were sealed with ``key_id``."""
    total = 0
    with engine.connect() as conn:
        for table, column in encrypted_columns():
            query = sa.select(sa.func.count()).select_from(table)
            total += conn.execute(query.where(column.startswith(_prefix(key_id)))).scalar_one()
    return total


def reencrypt_all(engine: sa.Engine, cipher: FieldCipher) -> int:
    """Re-seals every value not under ``cipher.current`` with it; the number rewritten.

    ``cipher`` must hold every key the data was sealed with. Each batch is its own transaction,
    and a value is read again before it is rewritten, so the command can be stopped and re-run.
    """
    rewritten = 0
    current = _prefix(cipher.current)
    for table, column in encrypted_columns():
        keys = list(table.primary_key.columns)  # one column, or several (scope, key)
        stale = sa.and_(column.is_not(None), sa.not_(column.startswith(current)))
        while True:
            lock = _sqlite_writer_lock(engine)
            if lock is not None:
                lock.acquire()
            try:
                with engine.begin() as conn:
                    rows = conn.execute(
                        sa.select(*keys, column).where(stale).order_by(*keys).limit(_BATCH)
                    ).all()
                    for *row_key, sealed in rows:
                        fresh = cipher.encrypt(cipher.decrypt(sealed))
                        same_row = sa.and_(*(k == v for k, v in zip(keys, row_key, strict=True)))
                        conn.execute(table.update().where(same_row).values({column.name: fresh}))
            finally:
                if lock is not None:
                    lock.release()
            rewritten += len(rows)
            if len(rows) < _BATCH:
                break
    return rewritten
