"""CSV: the indicator table only, one row per indicator.

A CSV file holds no framework metadata, generic levels or glossary; the name comes from the caller or
the file name. Rows are numbered as a spreadsheet shows them: the header is row 1.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import PurePath

from .checks import Checker
from .encoding import decode_utf8
from .model import Framework
from .tabular import COLUMNS, Cell, Row, check_header, domains_from_rows, framework_rows

_DELIMITERS = (",", ";", "\t")
"""Comma is what we write; semicolon and tab are what spreadsheet programs in many locales save."""
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""A spreadsheet program opening a CSV runs a cell starting with one of these as a formula (CSV injection)."""


def protect(text: str) -> str:
    """Prefix an apostrophe to a text a spreadsheet would run as a formula, so it shows as text.

    Texts already starting with apostrophes before such a character get one more, so unprotect() gives back
    exactly what was written: the export stays lossless.
    """
    return "'" + text if text.lstrip("'").startswith(FORMULA_START) else text


def unprotect(text: str) -> str:
    """The inverse of protect(): drop one apostrophe before a formula character."""
    return text[1:] if text.startswith("'") and text.lstrip("'").startswith(FORMULA_START) else text


def load_csv(data: bytes, *, filename: str, name: str | None = None) -> Framework:
    check = Checker(filename)
    text = decode_utf8(data, filename)
    records = _records(text, check)
    try:
        _, header = next(records)
    except StopIteration:
        check.fail("", "the file is empty: expected a header row with the columns " + ", ".join(COLUMNS))
    names = [cell.strip().lower() for cell in header]
    check_header(names, check, lambda index: f"row 1, column {index + 1}", "row 1")

    def rows() -> Iterator[Row]:
        for number, record in records:
            if not any(field.strip() for field in record):
                continue
            if len(record) != len(names):
                check.fail(f"row {number}", f"the row has {len(record)} fields, the header has {len(names)}")
            yield {column: Cell(unprotect(value), f"row {number}, column {column}")
                   for column, value in zip(names, record)}

    domains = domains_from_rows(rows(), check, "row 2")
    framework_name = check.text(name if name is not None else PurePath(filename).stem, "", "framework name")
    return Framework(name=framework_name, domains=domains)


def _records(text: str, check: Checker) -> Iterator[tuple[int, list[str]]]:
    first_line = text.split("\n", 1)[0]
    delimiter = max(_DELIMITERS, key=lambda d: sum(part.strip(' "').lower() in COLUMNS for part in first_line.split(d)))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    number = 0
    try:
        for number, record in enumerate(reader, start=1):
            yield number, record
    except csv.Error as exc:
        check.fail(f"row {number + 1}", f"invalid CSV: {exc}")


def dump_csv(fw: Framework) -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows([protect(cell) for cell in row] for row in framework_rows(fw))
    return buffer.getvalue().encode("utf-8")
