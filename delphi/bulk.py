"""Many rows in one INSERT, and many ids in one condition, on both databases: a panel's 2,000 invitations,
their tokens, their mail log.

SQLAlchemy's multi-row INSERT sends 2,000 × 11 placeholders, which psycopg re-parses per statement (it caches
only statements of at most 50 parameters): over a second on PostgreSQL. There the rows go instead through COPY
(psycopg's own, in the same transaction), with ids drawn from the sequence first when the caller needs them;
SQLite keeps the multi-row INSERT, which is fast there.
"""
from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import ARRAY, Column, ColumnElement, Connection, Integer, Table, any_, bindparam, insert

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
    ids: list[Any] = []
    cursor = conn.connection.driver_connection.cursor()  # psycopg, in the same transaction as conn
    try:
        if returning is not None:  # ids drawn from the column's sequence first: COPY returns nothing
            cursor.execute(f"SELECT nextval(pg_get_serial_sequence('{table.name}', '{returning}')) "
                           "FROM generate_series(1, %s)", (len(rows),))
            ids = [r[0] for r in cursor.fetchall()]
        names = ", ".join([*([returning] if returning is not None else []), *columns])
        with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
            for n, row in enumerate(rows):
                values = [_plain(row[name]) for name in columns]
                copy.write_row([ids[n], *values] if returning is not None else values)
    finally:
        cursor.close()
    return ids


def among(column: Column | ColumnElement, ids: list[int]) -> ColumnElement[bool]:
    """`column IN ids` as one array parameter on PostgreSQL (= ANY(:ids)), not one placeholder per id."""
    if db.session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam("among_ids", list(ids), type_=ARRAY(Integer), unique=True))
    return column.in_(ids)
