"""Reading the first sheet of a ratings workbook within bounds, before openpyxl builds a single cell.

openpyxl pads every row to the widest one, so a sheet whose rows each hold one empty cell in column XFD costs
16,384 cells a row (a 42 KB file took 54 s and 1.3 GB). The sheet's XML is therefore scanned first, streamed,
for its true extent (its <dimension> element may lie or be missing): a cell beyond MAX_COLUMNS, a row beyond
MAX_ROWS, a row with more cells than MAX_COLUMNS or a sheet of more than MAX_CELLS cells is refused with one
line. Only then are the values read, with the row width capped at the extent found.
"""
from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import iterparse

from openpyxl import load_workbook

from delphi.stats.errors import RatingsError

MAX_ROWS = 100_000
"""Rows of a ratings sheet (a panel of 50 rating 500 items over 3 rounds is 75,000); larger tables: use CSV."""
MAX_COLUMNS = 1_000
"""Columns of a ratings sheet: a long table has at most 7 that are read, a wide one a column per item."""
MAX_EXTENT_CELLS = 5_000_000
"""Last row × last column: what openpyxl builds once rows are padded (100,000 rows × 50 columns)."""
MAX_CELLS = 1_000_000
"""Cells (empty ones included) in the sheet's XML."""
MAX_UNPACKED_BYTES = 64 * 1024 * 1024
"""The workbook's members unpacked together (declared sizes, checked before anything is inflated)."""

_REF = re.compile(r"([A-Z]{1,3})(\d+)$")


def column_index(letters: str) -> int:
    number = 0
    for char in letters:
        number = number * 26 + ord(char) - 64
    return number


def sheet_extent(archive: zipfile.ZipFile, member: str, where: str) -> tuple[int, int]:
    """(last row, last column) holding a cell in a worksheet's XML, streamed; RatingsError past the limits."""
    rows = columns = cells = 0
    row = in_row = 0
    with archive.open(member) as source:
        for event, element in iterparse(source, events=("start", "end")):
            tag = element.tag.rpartition("}")[2]
            if tag == "row" and event == "start":
                number = element.get("r")
                row = int(number) if number and number.isdigit() else row + 1
                if row > MAX_ROWS:
                    raise RatingsError(f"{where}: a row numbered {row}; the limit is {MAX_ROWS} rows "
                                       "(use a CSV file for larger tables)")
                rows, in_row, column = max(rows, row), 0, 0
            elif tag == "c" and event == "start":
                cells += 1
                in_row += 1
                ref = _REF.match(element.get("r") or "")
                column = column_index(ref.group(1)) if ref else column + 1
                if column > MAX_COLUMNS:
                    raise RatingsError(f"{where}: a cell in column {ref.group(1) if ref else column} (row {row}); "
                                       f"the limit is {MAX_COLUMNS} columns: delete the columns right of the table")
                if in_row > MAX_COLUMNS:
                    raise RatingsError(f"{where}: row {row} has more than {MAX_COLUMNS} cells")
                if cells > MAX_CELLS:
                    raise RatingsError(f"{where}: more than {MAX_CELLS} cells; the limit keeps reading fast "
                                       "(use a CSV file for larger tables)")
                columns = max(columns, column)
                if rows * columns > MAX_EXTENT_CELLS:
                    raise RatingsError(f"{where}: a cell in row {row}, column {column} makes the table "
                                       f"{rows} × {columns} cells; the limit is {MAX_EXTENT_CELLS:,} "
                                       "(delete the rows and columns beyond the table, or use CSV)")
            elif tag == "row" and event == "end":
                element.clear()
    return rows, columns


def first_sheet_values(path: Path) -> list[tuple[Any, ...]]:
    """The values of the first worksheet, row by row, every row as wide as the widest (at most MAX_COLUMNS)."""
    return sheet_values(path)[1]


def sheet_values(path: Path, sheet: str | int | None = None) -> tuple[str, list[tuple[Any, ...]]]:
    """The title and values of a worksheet (``sheet``: its name, or its 1-based position; default the first),
    row by row, every row as wide as the widest (at most MAX_COLUMNS)."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise RatingsError(f"{path}: cannot be read as an XLSX workbook (not a zip archive)") from None
    with archive:
        unpacked = sum(member.file_size for member in archive.infolist())
        if unpacked > MAX_UNPACKED_BYTES:
            raise RatingsError(f"{path}: the workbook unpacks to {unpacked >> 20} MiB; the limit is "
                               f"{MAX_UNPACKED_BYTES >> 20} MiB")
        try:
            workbook = load_workbook(path, read_only=True, data_only=True, keep_links=False)
        except Exception as exc:  # openpyxl raises many kinds for a damaged or foreign file
            raise RatingsError(f"{path}: cannot be read as an XLSX workbook ({type(exc).__name__})") from None
        try:
            if not workbook.worksheets:
                raise RatingsError(f"{path}: the workbook has no worksheet")
            names = [w.title for w in workbook.worksheets]
            if sheet is None:
                index = 0
            elif isinstance(sheet, int) or str(sheet).isdigit():
                index = int(sheet) - 1
                if not 0 <= index < len(names):
                    raise RatingsError(f"{path}: no sheet number {sheet}; the workbook has {len(names)} "
                                       f"({', '.join(names)})")
            elif sheet in names:
                index = names.index(sheet)
            else:
                lowered = [n.strip().lower() for n in names]
                if str(sheet).strip().lower() not in lowered:
                    raise RatingsError(f"{path}: no sheet named {sheet!r} (sheets: {', '.join(names)})")
                index = lowered.index(str(sheet).strip().lower())
            ws = workbook.worksheets[index]
            where = f"{path}, sheet {ws.title}"
            try:
                rows, columns = sheet_extent(archive, ws._worksheet_path, where)  # openpyxl's path of the sheet
            except (SyntaxError, KeyError) as exc:  # ParseError is a SyntaxError
                raise RatingsError(f"{path}: cannot be read as an XLSX workbook ({type(exc).__name__})") from None
            if not rows or not columns:
                return ws.title, []
            ws.reset_dimensions()
            return ws.title, list(ws.iter_rows(min_row=1, max_row=rows, min_col=1, max_col=columns,
                                               values_only=True))
        except RatingsError:
            raise
        except Exception as exc:  # read-only mode parses the sheet only now: a damaged sheet fails here
            raise RatingsError(f"{path}: cannot be read as an XLSX workbook ({type(exc).__name__})") from None
        finally:
            workbook.close()
