"""INSERT … ON CONFLICT for both databases: the one way services write a row keyed by a unique constraint."""
from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from delphi.extensions import db


def upsert(model, key: dict[str, Any], values: dict[str, Any], *, update: bool = True):
    """INSERT key + values; on a clash of the unique key, update values (or, update=False, keep the row)."""
    dialect = db.session.get_bind().dialect.name
    stmt = (pg_insert if dialect == "postgresql" else sqlite_insert)(model).values(**key, **values)
    if not update:
        return stmt.on_conflict_do_nothing(index_elements=list(key))
    return stmt.on_conflict_do_update(index_elements=list(key), set_=values)
