"""XLSX: the indicator table plus "framework" (key/value metadata) and "glossary" sheets.

Only values typed into cells are read. A formula is refused rather than evaluated or taken from its
cached result: the text people rate must be the text they see in the file.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any
from xml.etree.ElementTree import iterparse

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

from .checks import MAX_GLOSSARY_TERMS, Checker
from .errors import FrameworkError
from .model import LEVEL_COUNT, Domain, Framework, GlossaryTerm
from .tabular import Cell, Row, check_header, domains_from_rows, framework_rows

MAX_UNPACKED_BYTES = 32 * 1024 * 1024
"""Refuse zip bombs: a real framework workbook unpacks to well under a megabyte."""
MAX_SHEET_ROWS = 5_000
"""Rows of one sheet (one row per indicator, MAX_INDICATORS of them, or per glossary term)."""
MAX_SHEET_COLUMNS = 64
"""Columns of one sheet (the indicator table has 12)."""
MAX_CELLS = 200_000
"""Cells in the workbook's sheets' XML, empty ones included, counted before openpyxl builds any."""
_REF = re.compile(r"([A-Z]{1,3})(\d+)$")
INDICATORS, FRAMEWORK, GLOSSARY = "indicators", "framework", "glossary"
GENERIC_LEVEL_KEYS = tuple(f"generic_level_{number}" for number in range(1, LEVEL_COUNT + 1))
FRAMEWORK_KEYS = ("name", "short_name", "description", "source", "numbering_note", *GENERIC_LEVEL_KEYS)


@dataclass(frozen=True)
class _Sheet:
    """The values of one worksheet, addressable by 0-based row and column."""

    title: str
    rows: list[list[Any]]

    def location(self, row: int, column: int) -> str:
        return f"sheet {self.title}, cell {get_column_letter(column + 1)}{row + 1}"

    def value(self, row: int, column: int) -> Any:
        cells = self.rows[row]
        return cells[column] if column < len(cells) else None

    def text(self, row: int, column: int, check: Checker, *, code: bool = False) -> str:
        return _text(self.value(row, column), self.location(row, column), check, code=code)

    def header(self, check: Checker) -> list[str]:
        """Lower-cased column names, refusing values in columns right of the last name."""
        if not self.rows:
            return []
        names = [self.text(0, column, check).strip().lower() for column in range(len(self.rows[0]))]
        while names and not names[-1]:
            names.pop()
        for row, cells in enumerate(self.rows[1:], start=1):
            for column in range(len(names), len(cells)):
                value = cells[column]
                if value is not None and not (isinstance(value, str) and not value.strip()):
                    check.fail(self.location(row, column), "a value in a column without a header")
        return names


def load_xlsx(data: bytes, *, filename: str, name: str | None = None) -> Framework:
    check = Checker(filename)
    sheets = _read_sheets(data, check)
    metadata = _metadata(sheets.get(FRAMEWORK), check)
    generic_levels = _generic_levels(metadata, check)
    glossary = _glossary(sheets.get(GLOSSARY), check)
    domains = _domains(sheets[INDICATORS], check)
    fallback_name = metadata.pop("name", "") or PurePath(filename).stem
    return Framework(
        name=check.text(name if name is not None else fallback_name, "", "framework name"),
        **metadata,
        generic_levels=generic_levels,  # type: ignore[arg-type]
        glossary=glossary,
        domains=domains,
    )


def _read_sheets(data: bytes, check: Checker) -> dict[str, _Sheet]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        check.fail("", "not an XLSX file: the content is not a zip archive (save an old .xls as .xlsx)")
    unpacked = sum(member.file_size for member in archive.infolist())
    if unpacked > MAX_UNPACKED_BYTES:
        check.fail("", f"the workbook unpacks to {unpacked >> 20} MiB; the limit is {MAX_UNPACKED_BYTES >> 20} MiB")
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_links=False)
    except Exception as exc:  # openpyxl raises many types (KeyError, XML errors) for a broken package
        check.fail("", f"not a readable XLSX workbook: {_first_line(exc)}")
    try:
        if INDICATORS not in workbook.sheetnames:
            found = ", ".join(repr(title) for title in workbook.sheetnames)
            check.fail("", f"missing sheet {INDICATORS!r} (the workbook has {found})")
        budget = [MAX_CELLS]
        return {
            title: _sheet(workbook[title], title, check, _extent(archive, workbook[title], title, check, budget))
            for title in (FRAMEWORK, GLOSSARY, INDICATORS)
            if title in workbook.sheetnames
        }
    except FrameworkError:
        raise
    except Exception as exc:  # read-only mode parses a sheet's XML only now: a damaged sheet fails here
        check.fail("", f"not a readable XLSX workbook: {_first_line(exc)}")
    finally:
        workbook.close()


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _column_number(letters: str) -> int:
    number = 0
    for char in letters:
        number = number * 26 + ord(char) - 64
    return number


def _extent(archive: zipfile.ZipFile, worksheet: Any, title: str, check: Checker, budget: list[int]
            ) -> tuple[int, int]:
    """(last row, last column) holding a cell, from the sheet's XML streamed before openpyxl reads it.

    openpyxl pads every row to the widest, and the <dimension> element may lie or be missing: one empty cell in
    column XFD on each row would cost 16,384 cells a row. So rows, columns, cells per row and cells in all
    (`budget`, shared by the sheets) are counted here and refused past the limits.
    """
    where = f"sheet {title}"
    rows = columns = row = in_row = column = 0
    with archive.open(worksheet._worksheet_path) as source:
        for event, element in iterparse(source, events=("start", "end")):
            tag = element.tag.rpartition("}")[2]
            if tag == "row" and event == "start":
                number = element.get("r")
                row = int(number) if number and number.isdigit() else row + 1
                if row > MAX_SHEET_ROWS:
                    check.fail(where, f"a row numbered {row}; the limit is {MAX_SHEET_ROWS} rows")
                rows, in_row, column = max(rows, row), 0, 0
            elif tag == "c" and event == "start":
                budget[0] -= 1
                in_row += 1
                ref = _REF.match(element.get("r") or "")
                column = _column_number(ref.group(1)) if ref else column + 1
                if column > MAX_SHEET_COLUMNS:
                    check.fail(where, f"a cell in column {get_column_letter(min(column, 18278))} (row {row}); "
                                      f"the limit is {MAX_SHEET_COLUMNS} columns: delete the columns right of "
                                      "the table")
                if in_row > MAX_SHEET_COLUMNS:
                    check.fail(where, f"row {row} has more than {MAX_SHEET_COLUMNS} cells")
                if budget[0] < 0:
                    check.fail(where, f"the workbook has more than {MAX_CELLS} cells")
                columns = max(columns, column)
            elif tag == "row" and event == "end":
                element.clear()
    return rows, columns


def _sheet(worksheet: Any, title: str, check: Checker, extent: tuple[int, int]) -> _Sheet:
    """Read every cell value within the extent found, refusing formulas and error values where they are."""
    worksheet.reset_dimensions()  # a stale <dimension> element would otherwise cut rows off
    sheet = _Sheet(title, [])
    rows, columns = extent
    if not rows or not columns:
        return sheet
    for row, cells in enumerate(worksheet.iter_rows(min_row=1, max_row=rows, min_col=1, max_col=columns)):
        for column, cell in enumerate(cells):
            if cell.data_type == "f" or isinstance(cell.value, (ArrayFormula, DataTableFormula)):
                check.fail(sheet.location(row, column), "formulas are not accepted: replace the formula by its text")
            if cell.data_type == "e":
                check.fail(sheet.location(row, column), f"the cell holds the error value {cell.value}")
        sheet.rows.append([cell.value for cell in cells])
    return sheet


def _text(value: object, location: str, check: Checker, *, code: bool = False) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if code and isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # Excel turns a code typed as 3 into a number; its digits are exact
    if isinstance(value, bool):
        found = f"the boolean {str(value).upper()}"
    elif isinstance(value, (dt.date, dt.time, dt.timedelta)):
        found = "a date or time"
    elif isinstance(value, (int, float)):
        found = f"the number {value!r}"
    else:
        found = f"a {type(value).__name__}"
    check.fail(location, f"expected text, found {found} (format the cell as Text)")


def _metadata(sheet: _Sheet | None, check: Checker) -> dict[str, str]:
    if sheet is None or not sheet.rows:
        return {}
    if sheet.header(check)[:2] != ["key", "value"]:
        check.fail(f"sheet {FRAMEWORK}, row 1", "expected the header row: key, value")
    metadata: dict[str, str] = {}
    for row in range(1, len(sheet.rows)):
        key = sheet.text(row, 0, check).strip()
        value = sheet.text(row, 1, check)
        if not key:
            if value.strip():
                check.fail(sheet.location(row, 0), "a value without a key")
            continue
        if key not in FRAMEWORK_KEYS:
            check.fail(sheet.location(row, 0), f"unknown key {key!r}; the keys are {', '.join(FRAMEWORK_KEYS)}")
        if key in metadata:
            check.fail(sheet.location(row, 0), f"the key {key!r} appears twice")
        metadata[key] = check.optional_text(value, sheet.location(row, 1), key.replace("_", " "))
    return metadata


def _generic_levels(metadata: dict[str, str], check: Checker) -> tuple[str, ...]:
    texts = [metadata.pop(key, "") for key in GENERIC_LEVEL_KEYS]
    if any(texts) and not all(texts):
        missing = ", ".join(key for key, text in zip(GENERIC_LEVEL_KEYS, texts) if not text)
        check.fail(f"sheet {FRAMEWORK}", f"give all {LEVEL_COUNT} generic levels or none (missing {missing})")
    return tuple(texts) if all(texts) else ()


def _glossary(sheet: _Sheet | None, check: Checker) -> tuple[GlossaryTerm, ...]:
    if sheet is None or not sheet.rows:
        return ()
    if sheet.header(check)[:2] != ["term", "definition"]:
        check.fail(f"sheet {GLOSSARY}, row 1", "expected the header row: term, definition")
    entries = []
    for row in range(1, len(sheet.rows)):
        term, definition = sheet.text(row, 0, check), sheet.text(row, 1, check)
        if term.strip() or definition.strip():
            if len(entries) == MAX_GLOSSARY_TERMS:
                check.fail(sheet.location(row, 0), f"more than {MAX_GLOSSARY_TERMS} glossary entries")
            entries.append(
                GlossaryTerm(
                    term=check.term(term, sheet.location(row, 0)),
                    definition=check.text(definition, sheet.location(row, 1), "definition"),
                )
            )
    return tuple(entries)


def _domains(sheet: _Sheet, check: Checker) -> tuple[Domain, ...]:
    if not sheet.rows:
        check.fail(f"sheet {INDICATORS}", "the sheet is empty: expected a header row and one row per indicator")
    names = sheet.header(check)
    check_header(names, check, lambda column: sheet.location(0, column), f"sheet {INDICATORS}, row 1")

    def rows() -> Iterator[Row]:
        for row in range(1, len(sheet.rows)):
            yield {
                name: Cell(sheet.text(row, column, check, code=name.endswith("_code")), sheet.location(row, column))
                for column, name in enumerate(names)
            }

    return domains_from_rows(rows(), check, f"sheet {INDICATORS}, row 2")


def dump_xlsx(fw: Framework) -> bytes:
    workbook = Workbook()
    indicators = workbook.active
    indicators.title = INDICATORS
    _fill(indicators, framework_rows(fw), widths=[12, 30, 12, 30, 12, 50, 40, *[40] * LEVEL_COUNT])
    metadata = [["key", "value"], *([key, getattr(fw, key)] for key in FRAMEWORK_KEYS[:5])]
    metadata += [[key, text] for key, text in zip(GENERIC_LEVEL_KEYS, fw.generic_levels)]
    _fill(workbook.create_sheet(FRAMEWORK), metadata, widths=[18, 80])
    glossary = [["term", "definition"], *([entry.term, entry.definition] for entry in fw.glossary)]
    _fill(workbook.create_sheet(GLOSSARY), glossary, widths=[24, 80])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _fill(worksheet: Any, rows: list[list[str]], widths: list[int]) -> None:
    wrap = Alignment(wrap_text=True, vertical="top")
    for row_number, values in enumerate(rows, start=1):
        for column_number, value in enumerate(values, start=1):
            if not value:
                continue
            cell = worksheet.cell(row=row_number, column=column_number, value=value)
            cell.data_type = "s"  # openpyxl would store "=..." as a formula and "#N/A" as an error
            cell.alignment = wrap
    for column_number, width in enumerate(widths, start=1):
        worksheet.column_dimensions[get_column_letter(column_number)].width = width
    for cell in worksheet[1]:
        cell.font = Font(bold=True)
    worksheet.freeze_panes = "A2"
