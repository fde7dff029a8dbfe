"""Reading and validating a long table of ratings: one row per round × item [× question] × panelist.

Columns: ``round`` (whole number), ``item``, ``panelist``, ``rating`` (whole number on the scale; empty or NA
means "unable to rate", counted as an abstention), and optionally ``question`` (the unit of analysis is then
item × question), ``comment`` (free text; non-empty comments are counted per item) and ``group`` (stakeholder
group or country). Other columns are ignored; header names are matched case-insensitively.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from delphi.stats.errors import RatingsError

REQUIRED_COLUMNS: tuple[str, ...] = ("round", "item", "panelist", "rating")
OPTIONAL_COLUMNS: tuple[str, ...] = ("question", "comment", "group")
ID_COLUMNS: tuple[str, ...] = ("item", "panelist", "question", "group")
#: Cell texts read as "unable to rate" in the rating column of a DataFrame (files: delphi.stats.readers.values).
ABSTAIN_TOKENS: tuple[str, ...] = ("", "NA", "N/A", "n/a", "na", "NaN", "nan", "null", "NULL", "None", "-")
_DENSE_KEY_LIMIT = 50_000_000

Where = Callable[[int], str]


def _default_where(position: int) -> str:
    return f"row {position + 1}"


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
