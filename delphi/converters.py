"""URL converters: `<int:…>` bounded to the databases' 32-bit ids, so /studies/99999999999999999999 is a 404.

Without the bound, werkzeug hands any length of digits to the view, and the database driver fails on the
number (SQLite: OverflowError; PostgreSQL: integer out of range): a 500 on a typed URL.
"""
from __future__ import annotations

from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1


class BoundedInt(IntegerConverter):
    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = MAX_ID,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=MAX_ID if max is None else max, signed=signed)
