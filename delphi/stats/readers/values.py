"""Cell texts to values: ratings (scale points, labels, "unable to rate" tokens, decimal commas), rounds
("2", "Round 2", REDCap's "round_2_arm_1") and identifiers (always text: "007" is not "7", "1.20" not "1.2").

Every conversion works on the distinct texts of a column (``pd.factorize``), so a column of millions of cells
costs one hash pass plus work on a few dozen distinct values.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from delphi.stats.errors import RatingsError

#: Cell texts read as "unable to rate" in the rating column (compared case-insensitively).
ABSTAIN_TOKENS: tuple[str, ...] = ("", "na", "n/a", "nan", "null", "none", "-")
_NUMBER = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")
_ROUND = re.compile(r"^(?:(?:delphi[\s_-]*)?(?:round|wave|runde|tour|ronda)[\s_#:-]*)?(\d+)(?:[\s_-]*arm[\s_-]*\d+)?$",
                    re.IGNORECASE)

Where = Callable[[int], str]


def cell_text(value: object) -> str | None:
    """A cell as trimmed text; None for a missing cell. Whole floats from a spreadsheet lose their ".0"."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return str(int(value))
    return str(value).strip()


def factorize_text(values: pd.Series | np.ndarray) -> tuple[np.ndarray, list[str | None]]:
    """Codes and the distinct trimmed texts of a column (None for a missing cell)."""
    if isinstance(values, pd.Series) and isinstance(values.dtype, pd.CategoricalDtype):
        codes, uniques = values.cat.codes.to_numpy().astype(np.int64), values.cat.categories
    else:
        codes, uniques = pd.factorize(values if isinstance(values, pd.Series) else np.asarray(values, dtype=object))
    texts = [cell_text(u) for u in uniques]
    if len(codes) and codes.min() < 0:       # missing cells: one more "text", None
        codes = np.where(codes < 0, len(texts), codes)
        texts.append(None)
    return codes, texts


def _show(text: str) -> str:
    return repr(text if len(text) <= 60 else text[:57] + "...")


def ratings_from_text(values: pd.Series | np.ndarray, *, labels: Mapping[str, int] | None = None,
                      missing: tuple[str, ...] = (), source: str, where: Where,
                      column: str = "rating") -> np.ndarray:
    """Ratings as float64, NaN = "unable to rate". A cell is a whole number (``4``, ``4.0``, ``4,0``), a
    label from ``labels`` (case-insensitive), or an abstention token (empty, NA, N/A, ... plus ``missing``).
    Anything else raises RatingsError naming the first offending row and what to do."""
    codes, texts = factorize_text(values)
    by_label = {k.strip().lower(): v for k, v in (labels or {}).items()}
    absent = set(ABSTAIN_TOKENS) | {m.strip().lower() for m in missing}
    numbers = np.full(len(texts), np.nan)
    bad: list[tuple[int, str]] = []
    for i, text in enumerate(texts):
        if text is None:
            continue
        low = text.lower()
        if low in by_label:
            numbers[i] = by_label[low]
        elif low in absent:
            continue
        elif _NUMBER.match(text):
            number = float(text.replace(",", "."))
            if number.is_integer():
                numbers[i] = number
            else:
                bad.append((i, f"{column} {text} is not a whole number"))
        else:
            hint = (" (give the labels' scale points with --labels \"Strongly disagree=1,...\", or mark it as "
                    "'unable to rate' with --missing)" if any(c.isalpha() for c in text) else "")
            bad.append((i, f"{column} {_show(text)} is not a whole number{hint}"))
    if bad:
        first_row = {code: int(np.argmax(codes == code)) for code, _ in bad}
        code, message = min(bad, key=lambda b: first_row[b[0]])
        raise RatingsError(f"{source}: {where(first_row[code])}: {message}")
    return numbers[codes]


def round_number(text: str | None) -> int | None:
    """``2``, ``2.0``, ``Round 2``, ``round_2_arm_1`` → 2; None when the text names no round."""
    if text is None:
        return None
    text = text.strip()
    if re.fullmatch(r"\d+(?:\.0+)?", text):
        return int(float(text))
    match = _ROUND.match(text)
    return int(match.group(1)) if match and not text.isdigit() and not text[0].isdigit() else None


def rounds_from_text(values: pd.Series | np.ndarray, *, source: str, where: Where) -> np.ndarray:
    """Round numbers as int64; an empty or unreadable round raises RatingsError naming the row."""
    codes, texts = factorize_text(values)
    numbers = np.zeros(len(texts), dtype=np.int64)
    for i, text in enumerate(texts):
        number = round_number(text)
        if number is None:
            row = where(int(np.argmax(codes == i)))
            if not text:
                raise RatingsError(f"{source}: {row}: round is empty")
            raise RatingsError(f"{source}: {row}: round {_show(text)} is not a whole number "
                               "(write 1, 2, ... or 'Round 1'; a file of one round: --round N)")
        numbers[i] = number
    return numbers[codes]


def ids_from_text(values: pd.Series | np.ndarray) -> pd.Categorical:
    """Identifiers as a categorical of trimmed text, never parsed as numbers; empty cells are missing."""
    codes, texts = factorize_text(values)
    cats = ["" if t is None else t for t in texts]
    unique = list(dict.fromkeys(cats))
    if len(unique) != len(cats):     # " A" and "A" are one id
        remap = np.array([unique.index(c) for c in cats], dtype=np.int64)
        codes = remap[codes]
    empty = unique.index("") if "" in unique else -2
    codes = np.where(codes == empty, -1, codes)
    kept = [c if c != "" else "\0empty" for c in unique]
    return pd.Categorical.from_codes(codes, categories=kept).remove_categories(
        ["\0empty"] if "" in unique else [])
