"""A ratings file as a raw table of text: its header names (trimmed) and its rows, before any column is given a
meaning. CSV: the encoding (UTF-8 with or without BOM; UTF-16 as Excel's "Unicode text" writes it, with its
BOM; cp1252 or latin-1 when asked), Excel's ``sep=;`` first line, the separator (the one that splits the first
lines into equal numbers of fields, so a comma inside a header name does not fool it), title rows to skip, and
every line's number of fields checked before pandas reads it (pandas silently pads a short row and shifts a
long one). XLSX: a chosen sheet, read within the bounds of :mod:`delphi.stats.workbook`.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from delphi.stats.errors import RatingsError
from delphi.stats.readers.options import ReadOptions
from delphi.stats.workbook import sheet_values

EXCEL_SUFFIXES = (".xlsx", ".xlsm")
SEPARATORS = (",", ";", "\t", "|")
_SNIFF_LINES = 20


@dataclass(frozen=True)
class RawTable:
    """Header names as written (trimmed), the rows as a frame of text (or spreadsheet values) with those names,
    and ``where(i)`` naming the i-th row for messages (``line 7``, ``sheet Round 1, row 7``)."""

    source: str
    names: list[str]
    frame: pd.DataFrame
    where: Callable[[int], str]
    header_where: str


def read_raw(path: Path, options: ReadOptions, usecols: Callable[[list[str]], list[str]] | None = None,
             text_columns: Callable[[], set[str]] = set) -> RawTable:
    """Read ``path`` as a raw table; ``usecols(names)`` picks the columns to keep (all by default);
    ``text_columns()`` (asked after ``usecols``) names those whose cells must keep their exact text (ids)."""
    if not path.exists():
        raise RatingsError(f"{path}: file not found")
    if not path.is_file():
        raise RatingsError(f"{path}: not a file")
    if path.stat().st_size == 0:
        raise RatingsError(f"{path}: file is empty")
    suffix = path.suffix.lower()
    if suffix in EXCEL_SUFFIXES:
        return _read_sheet(path, options, usecols)
    if suffix == ".xls":
        raise RatingsError(f"{path}: old .xls workbooks are not supported; save it as .xlsx or CSV")
    return _read_csv(path, options, usecols, text_columns)


def _utf8(path: Path, options: ReadOptions) -> bytes:
    """The file's bytes as UTF-8 without a BOM."""
    data = path.read_bytes()
    encoding = (options.encoding or "").lower().replace("_", "-")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or encoding == "utf-16":
        try:
            return data.decode("utf-16").lstrip("\ufeff").encode("utf-8")
        except UnicodeDecodeError:
            raise RatingsError(f"{path}: not UTF-16 text (try --encoding cp1252 or utf-8)") from None
    if data[:3] == b"\xef\xbb\xbf":
        data = data[3:]
    if encoding in ("cp1252", "latin-1"):
        try:
            return data.decode(encoding).encode("utf-8")
        except UnicodeDecodeError as exc:
            raise RatingsError(f"{path}: byte {exc.start} is not {encoding} text; try --encoding latin-1") \
                from None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        guess = "utf-16" if data.count(b"\x00") > len(data) // 4 else "cp1252"
        line = data.count(b"\n", 0, exc.start) + 1
        raise RatingsError(f"{path}: line {line} is not UTF-8 text; give the file's encoding, e.g. "
                           f"--encoding {guess} (Windows Excel: cp1252; 'Unicode text': utf-16), or save it as "
                           "UTF-8") from None
    return data


def _sniff(lines: list[str]) -> str:
    """The separator that splits the first lines into the same number (> 1) of fields; the most fields wins."""
    best, best_fields = ",", 0
    for sep in SEPARATORS:
        counts = {len(row) for row in csv.reader(lines, delimiter=sep) if row}
        if len(counts) == 1 and (fields := counts.pop()) > 1 and fields > best_fields:
            best, best_fields = sep, fields
    if best_fields == 0:     # no separator is consistent: the one the header has most of
        header = lines[0] if lines else ""
        best = max(SEPARATORS, key=header.count)
    return best


def _line_starts(buf: np.ndarray, sep: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Start offset, number of fields and end offset of every line, separators and newlines inside quotes ignored."""
    is_nl = buf == 10
    is_sep = buf == sep
    quote = buf == 34
    if quote.any():      # inside quotes when an odd number of quotes came before ("" escapes toggle twice)
        outside = (np.cumsum(quote, dtype=np.uint8) & 1) == 0
        is_nl &= outside
        is_sep &= outside
    ends = np.flatnonzero(is_nl)
    if len(buf) and buf[-1] != 10:
        ends = np.append(ends, len(buf))
    starts = np.concatenate(([0], ends[:-1] + 1)).astype(np.int64)
    seps = np.flatnonzero(is_sep)
    fields = np.searchsorted(seps, ends) - np.searchsorted(seps, starts) + 1
    return starts, fields, ends


def _read_csv(path: Path, options: ReadOptions, usecols: Callable[[list[str]], list[str]] | None,
              text_columns: Callable[[], set[str]]) -> RawTable:
    data = _utf8(path, options)
    source = str(path)
    buf = np.frombuffer(data, dtype=np.uint8)
    first_nl = data.find(b"\n")
    skip = options.skip_rows
    excel_sep = None
    head_line = data[:first_nl if first_nl >= 0 else len(data)].decode("utf-8").strip().strip('"')
    if skip == 0 and head_line.lower().startswith("sep=") and len(head_line) == 5:
        excel_sep, skip = head_line[4], 1          # Excel's "sep=;" line names the separator
    head = data[:1 << 16].decode("utf-8", errors="ignore").splitlines()[skip:skip + _SNIFF_LINES]
    head = [h for h in head if h.strip()]
    if not head:
        raise RatingsError(f"{source}: file is empty (no header line)" if not skip else
                           f"{source}: nothing after the {skip} skipped line(s)")
    sep = excel_sep or _sniff(head[:1] + head[1 + options.header_rows:])
    starts, fields, ends = _line_starts(buf, ord(sep))
    blank = (ends == starts) | ((ends - starts == 1) & (buf[np.minimum(starts, len(buf) - 1)] == 13))
    lines = np.flatnonzero(~blank)
    lines = lines[lines >= skip]
    if len(lines) == 0:
        raise RatingsError(f"{source}: file is empty (no header line)")
    header_line = int(lines[0])
    names = [n.strip() for n in next(csv.reader([head[0]], delimiter=sep))]
    data_lines = lines[1 + options.header_rows:]
    wrong = fields[data_lines] != len(names)
    if wrong.any():
        line = int(data_lines[np.flatnonzero(wrong)[0]])
        n = int(fields[line])
        if n > len(names):
            raise RatingsError(f"{source}: line {line + 1}: too many fields ({n}, the header has {len(names)}); "
                               f"a value holding the separator {sep!r} must be in double quotes")
        raise RatingsError(f"{source}: line {line + 1}: only {n} of the header's {len(names)} fields (no "
                           f"{names[n] if n < len(names) else 'last'} field); an empty rating is written as an "
                           f"empty field ({sep.join(['1', 'A', 'p1', ''])}) or NA")
    if not len(data_lines):
        return RawTable(source, names, pd.DataFrame({n: pd.Series(dtype=object) for n in names}),
                        lambda i: f"line {i + 2}", f"{source}: line {header_line + 1}")
    keep = usecols(names) if usecols else names
    positions = [names.index(k) for k in keep]
    frame = _pandas_csv(data, sep, int(data_lines[0]), positions, "category", source)
    # A categorical is read in C, but pandas turns categories that all look like numbers into numbers ("007" → 7,
    # "1.20" → 1.2): those columns are read again as text. Ids are text, always.
    exact = {names.index(k) for k in text_columns()}
    numeric = [p for p in positions if p in exact and frame[p].cat.categories.dtype.kind in "iufb"]
    if numeric:
        again = _pandas_csv(data, sep, int(data_lines[0]), numeric, str, source)
        for p in numeric:
            frame[p] = again[p]
    frame = frame[positions]
    frame.columns = keep
    line_of = data_lines + 1
    return RawTable(source, names, frame, lambda i: f"line {int(line_of[i])}", f"{source}: line {header_line + 1}")


def _read_sheet(path: Path, options: ReadOptions, usecols: Callable[[list[str]], list[str]] | None) -> RawTable:
    title, values = sheet_values(path, options.sheet)   # bounded: see delphi/stats/workbook.py
    while values and all(v is None or (isinstance(v, str) and not v.strip()) for v in values[-1]):
        values.pop()
    rows = values[options.skip_rows:]
    while rows and all(v is None for v in rows[0]):
        rows = rows[1:]
    if not rows:
        raise RatingsError(f"{path}: sheet {title} is empty (expected a header row)")
    first = len(values) - len(rows)
    names = ["" if v is None else str(v).strip() for v in rows[0]]
    body = rows[1 + options.header_rows:]
    keep = usecols(names) if usecols else [n for n in names if n]
    positions = [names.index(k) for k in keep]
    frame = pd.DataFrame([[row[i] for i in positions] for row in body], columns=keep, dtype=object)
    offset = first + 2 + options.header_rows
    return RawTable(f"{path}", names, frame, lambda i: f"sheet {title}, row {i + offset}",
                    f"{path}: sheet {title}, row {first + 1}")


def _pandas_csv(data: bytes, sep: str, skip: int, positions: list[int], dtype: object, source: str) -> pd.DataFrame:
    try:
        return pd.read_csv(io.BytesIO(data), sep=sep, header=None, skiprows=skip, usecols=positions, dtype=dtype,
                           keep_default_na=False, na_values=[], encoding="utf-8", engine="c", low_memory=False,
                           skip_blank_lines=True)
    except (pd.errors.ParserError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise RatingsError(f"{source}: cannot be read as CSV ({first})") from None
