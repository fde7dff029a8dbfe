"""Many rows in one INSERT on both databases: a panel's 2,000 invitations, their tokens, their mail log.

SQLAlchemy's multi-row INSERT sends 2,000 × 11 placeholders, which psycopg re-parses per statement (it caches
only statements of at most 50 parameters): over a second on PostgreSQL. There the rows go instead as one array
per column through unnest(), eleven parameters whatever the number of rows; SQLite keeps the multi-row INSERT,
which is fast there.
"""
from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import Connection, Table, insert, text

from delphi.extensions import db


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def insert_rows(table: Table, rows: list[dict[str, Any]], *, returning: str | None = None,
                conn: Connection | None = None) -> list[Any]:
    """INSERT the rows (every row with the same keys) in the session's transaction (or conn's); returns the
    `returning` column of the new rows (in no particular order), or [] without it."""
    if not rows:
        return []
    conn = conn if conn is not None else db.session.connection()
    if conn.dialect.name != "postgresql":
        stmt = insert(table) if returning is None else insert(table).returning(table.c[returning])
        result = conn.execute(stmt, rows)
        return list(result.scalars()) if returning is not None else []
    columns = list(rows[0])
    arrays = ", ".join(f"CAST(:c{i} AS {table.c[name].type.compile(conn.dialect)}[])"
                       for i, name in enumerate(columns))
    sql = (f"INSERT INTO {table.name} ({', '.join(columns)}) SELECT * FROM unnest({arrays})"
           + (f" RETURNING {table.c[returning].name}" if returning is not None else ""))
    params = {f"c{i}": [_plain(row[name]) for row in rows] for i, name in enumerate(columns)}
    result = conn.execute(text(sql), params)
    return list(result.scalars()) if returning is not None else []
