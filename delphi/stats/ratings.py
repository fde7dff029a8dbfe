"""Reading and validating a long table of ratings: one row per round × item [× question] × panelist.

Columns: ``round`` (whole number), ``item``, ``panelist``, ``rating`` (whole number on the scale; empty or NA
means "unable to rate", counted as an abstention), and optionally ``question`` (the unit of analysis is then
item × question), ``comment`` (free text; non-empty comments are counted per item) and ``group`` (stakeholder
group or country). Other columns are ignored; header names are matched case-insensitively.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from delphi.stats.errors import RatingsError
from delphi.stats.workbook import first_sheet_values

REQUIRED_COLUMNS: tuple[str, ...] = ("round", "item", "panelist", "rating")
OPTIONAL_COLUMNS: tuple[str, ...] = ("question", "comment", "group")
ID_COLUMNS: tuple[str, ...] = ("item", "panelist", "question", "group")
#: Cell texts read as "unable to rate" in the rating column.
ABSTAIN_TOKENS: tuple[str, ...] = ("", "NA", "N/A", "n/a", "na", "NaN", "nan", "null", "NULL", "None", "-")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
_DENSE_KEY_LIMIT = 50_000_000

Where = Callable[[int], str]


def _default_where(position: int) -> str:
    return f"row {position + 1}"


def read_ratings(path: str | Path, scale: tuple[int, int] | None = None) -> pd.DataFrame:
    """Read a ratings CSV (comma, semicolon or tab separated, UTF-8) or XLSX (first sheet) and validate it.

    With ``scale=(lo, hi)`` ratings outside the scale are refused here too (otherwise by :func:`analyse`).
    Returns the canonical frame of :func:`validate_ratings`. Raises :class:`RatingsError` with one line naming
    the file and the offending line for every problem, including a missing or empty file.
    """
    path = Path(path)
    if not path.exists():
        raise RatingsError(f"{path}: file not found")
    if not path.is_file():
        raise RatingsError(f"{path}: not a file")
    if path.stat().st_size == 0:
        raise RatingsError(f"{path}: file is empty")
    if path.suffix.lower() in EXCEL_SUFFIXES:
        frame = _read_excel(path)
        kind = "row"
    elif path.suffix.lower() == ".xls":
        raise RatingsError(f"{path}: old .xls workbooks are not supported; save it as .xlsx or CSV")
    else:
        frame = _read_csv(path)
        kind = "line"
    return validate_ratings(frame, scale, source=str(path), where=lambda i: f"{kind} {i + 2}")


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        with path.open(encoding="utf-8-sig") as fh:
            header = fh.readline()
    except UnicodeDecodeError:
        raise RatingsError(f"{path}: not UTF-8 text (save the CSV as UTF-8, or use .xlsx)") from None
    if not header.strip():
        raise RatingsError(f"{path}: file is empty (no header line)")
    sep = ","
    if "," not in header:
        sep = "\t" if "\t" in header else (";" if ";" in header else ",")
    raw_names = [h.strip().strip('"') for h in header.rstrip("\r\n").split(sep)]
    by_name = {name.lower(): name for name in raw_names}
    missing = [c for c in REQUIRED_COLUMNS if c not in by_name]
    if missing:
        raise RatingsError(_missing_message(path, missing, raw_names))
    wanted = [by_name[c] for c in REQUIRED_COLUMNS + OPTIONAL_COLUMNS if c in by_name]
    dtype: dict[str, object] = {by_name[c]: "category" for c in ID_COLUMNS if c in by_name}
    if "comment" in by_name:   # most comments are empty: a categorical strips each distinct text once
        dtype[by_name["comment"]] = "category"
    na_values = {by_name["rating"]: list(ABSTAIN_TOKENS), by_name["round"]: [""]}
    try:
        frame = pd.read_csv(path, sep=sep, usecols=wanted, dtype=dtype, keep_default_na=False, na_values=na_values,
                            encoding="utf-8-sig", skipinitialspace=True, low_memory=False)
    except UnicodeDecodeError:
        raise RatingsError(f"{path}: not UTF-8 text (save the CSV as UTF-8, or use .xlsx)") from None
    except pd.errors.EmptyDataError:
        raise RatingsError(f"{path}: file is empty") from None
    except (pd.errors.ParserError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise RatingsError(f"{path}: cannot be read as CSV ({first})") from None
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    return frame


def _read_excel(path: Path) -> pd.DataFrame:
    values = first_sheet_values(path)  # bounded: see delphi/stats/workbook.py
    while values and all(v is None for v in values[-1]):
        values.pop()
    if not values:
        raise RatingsError(f"{path}: the first sheet is empty (expected a header row)")
    header = ["" if v is None else str(v).strip().lower() for v in values[0]]
    keep = [i for i, name in enumerate(header) if name and name not in header[:i]]  # a repeated name: the first
    frame = pd.DataFrame([[row[i] for i in keep] for row in values[1:]], columns=[header[i] for i in keep],
                         dtype=object)
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise RatingsError(_missing_message(path, missing, list(frame.columns)))
    keep = [c for c in REQUIRED_COLUMNS + OPTIONAL_COLUMNS if c in frame.columns]
    frame = frame[keep].copy()
    for column in ("rating", "round"):
        values = frame[column]
        text = values.map(lambda v: v.strip() if isinstance(v, str) else v)
        frame[column] = text.mask(text.isin(ABSTAIN_TOKENS))
    return frame


def _missing_message(source: object, missing: list[str], found: list[str]) -> str:
    shown = ", ".join(repr(f) for f in found[:8]) or "none"
    return (f"{source}: missing column(s) {', '.join(missing)} "
            f"(need round, item, panelist, rating; found {shown})")


def _as_ids(values: pd.Series) -> pd.Series:
    """Identifiers as a categorical of stripped strings (missing stays missing)."""
    cat = values if isinstance(values.dtype, pd.CategoricalDtype) else values.astype("category")
    cats = cat.cat.categories
    if cats.dtype.kind in "iufb":   # numbers used as ids: 7.0 → "7"
        names = [str(int(c)) if float(c).is_integer() else str(c) for c in cats]
    else:
        names = [str(c).strip() for c in cats]
    if len(set(names)) != len(names):
        return pd.Series(pd.Categorical(np.asarray(names, dtype=object)[cat.cat.codes.to_numpy()]),
                         index=values.index).where(cat.notna())
    return cat.cat.rename_categories(names)


def _show(value: object) -> str:
    """A cell for a message: numbers plainly (4.5), text quoted ('high')."""
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return f"{float(value):g}"
    return repr(str(value))


def _whole_numbers(values: pd.Series, column: str, source: str, where: Where, allow_missing: bool) -> np.ndarray:
    """A numeric column as float64 (NaN for missing), refusing text and fractions."""
    if values.dtype.kind in "iu":
        return values.to_numpy(dtype=np.float64)
    if values.dtype.kind == "f":
        numbers = values.to_numpy(dtype=np.float64)
        bad = np.isinf(numbers)
    else:
        text = values.astype(object).map(lambda v: v.strip() if isinstance(v, str) else v)
        text = text.mask(text.isin(ABSTAIN_TOKENS) if column == "rating" else text.eq(""))
        numbers = pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64)
        bad = (np.isnan(numbers) & text.notna().to_numpy()) | np.isinf(numbers)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise RatingsError(f"{source}: {where(i)}: {column} {_show(values.iloc[i])} is not a whole number")
    with np.errstate(invalid="ignore"):
        bad = bad | (~np.isnan(numbers) & (numbers != np.round(numbers)))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise RatingsError(f"{source}: {where(i)}: {column} {_show(values.iloc[i])} is not a whole number")
    if not allow_missing and np.isnan(numbers).any():
        i = int(np.flatnonzero(np.isnan(numbers))[0])
        raise RatingsError(f"{source}: {where(i)}: {column} is empty")
    return numbers


def validate_ratings(ratings: pd.DataFrame, scale: tuple[int, int] | None = None, *, source: str = "ratings",
                     where: Where | None = None) -> pd.DataFrame:
    """Check a ratings frame and return it in canonical form, or raise :class:`RatingsError` (one line).

    Canonical form: columns ``round`` (int64), ``item``, [``question``], ``panelist`` (categoricals of text),
    ``rating`` (float64, NaN = abstention), [``comment``] (text), [``group``] (categorical); other columns
    dropped. Checks: required columns present, at least one row, ids present, round a whole number, rating a
    whole number within ``scale`` when given, no second rating for the same round × item [× question] ×
    panelist. ``where(i)`` names the i-th row in messages (e.g. the CSV line).
    """
    where = where or _default_where
    if not isinstance(ratings, pd.DataFrame):
        raise RatingsError(f"{source}: ratings must be a pandas DataFrame, not {type(ratings).__name__}")
    frame = ratings.rename(columns=lambda c: str(c).strip().lower())
    if frame.columns.duplicated().any():
        twice = sorted(set(frame.columns[frame.columns.duplicated()]))
        raise RatingsError(f"{source}: duplicate column name(s) {', '.join(twice)}")
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise RatingsError(_missing_message(source, missing, list(frame.columns)))
    if len(frame) == 0:
        raise RatingsError(f"{source}: no ratings (the table has a header but no rows)")
    frame = frame.reset_index(drop=True)
    out: dict[str, pd.Series | np.ndarray] = {}
    if frame["round"].dtype.kind in "iu":
        out["round"] = frame["round"].to_numpy(dtype=np.int64)
    else:
        out["round"] = _whole_numbers(frame["round"], "round", source, where, allow_missing=False).astype(np.int64)
    for column in ("item", "question", "panelist"):
        if column not in frame.columns:
            continue
        ids = _as_ids(frame[column])
        if column != "question":
            empty = ids.isna().to_numpy() | (ids.cat.codes.to_numpy() == _code_of(ids, ""))
            if empty.any():
                raise RatingsError(f"{source}: {where(int(np.flatnonzero(empty)[0]))}: {column} is empty")
        else:
            ids = ids.cat.remove_categories([""]) if "" in ids.cat.categories else ids
        out[column] = ids
    rating = _whole_numbers(frame["rating"], "rating", source, where, allow_missing=True)
    if scale is not None:
        lo, hi = scale
        outside = ~np.isnan(rating) & ((rating < lo) | (rating > hi))
        if outside.any():
            i = int(np.flatnonzero(outside)[0])
            raise RatingsError(f"{source}: {where(i)}: rating {rating[i]:g} is outside the scale {lo}-{hi}")
    out["rating"] = rating
    if "comment" in frame.columns:
        comment = frame["comment"]
        if not isinstance(comment.dtype, pd.CategoricalDtype):
            comment = comment.astype("string").astype("category")
        blank = [c for c in comment.cat.categories if not str(c).strip()]
        out["comment"] = comment.cat.remove_categories(blank) if blank else comment
    if "group" in frame.columns:
        group = _as_ids(frame["group"])
        out["group"] = group.cat.remove_categories([""]) if "" in group.cat.categories else group
    for optional in ("question", "group"):     # an optional column left empty is no column at all
        if optional in out and out[optional].isna().all():
            del out[optional]
    result = pd.DataFrame(out)
    _check_duplicates(result, source, where)
    return result


def _code_of(ids: pd.Series, label: str) -> int:
    cats = ids.cat.categories
    return int(cats.get_loc(label)) if label in cats else -2


def unit_columns(frame: pd.DataFrame) -> list[str]:
    """The columns naming a unit of analysis: item, plus question when present."""
    return ["item", "question"] if "question" in frame.columns else ["item"]


def _codes(values: pd.Series) -> tuple[np.ndarray, int]:
    """Integer codes 0..size-1 for equality tests (missing is a value of its own); cheap for categoricals."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.cat.codes.to_numpy().astype(np.int64) + 1, len(values.cat.categories) + 1
    if values.dtype.kind in "iu":
        arr = values.to_numpy()
        lo, hi = int(arr.min()), int(arr.max())
        if hi - lo < 1_000_000:
            return arr.astype(np.int64) - lo, hi - lo + 1
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    return codes.astype(np.int64), max(len(uniques), 1)


def _check_duplicates(frame: pd.DataFrame, source: str, where: Where) -> None:
    key = np.zeros(len(frame), dtype=np.int64)
    size = 1
    for column in ["round", *unit_columns(frame), "panelist"]:
        codes, n_codes = _codes(frame[column])
        key = key * n_codes + codes
        size *= n_codes
    if size <= _DENSE_KEY_LIMIT:
        tally = np.bincount(key, minlength=size)
        if tally.max() <= 1:
            return
        dup_key = int(np.flatnonzero(tally > 1)[0])
    else:
        order = np.argsort(key, kind="stable")
        same = key[order][1:] == key[order][:-1]
        if not same.any():
            return
        dup_key = int(key[order][1:][same][0])
    first, second = np.flatnonzero(key == dup_key)[:2]
    row = frame.iloc[first]
    unit = ", ".join(f"{c} {row[c]!r}" for c in unit_columns(frame))
    raise RatingsError(f"{source}: {where(int(second))}: duplicate rating for round {row['round']}, {unit}, "
                       f"panelist {row['panelist']!r} (first at {where(int(first))})")
