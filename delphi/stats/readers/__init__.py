"""One reader for every caller (the command line, the Python API, the web): a ratings file — or several, one per
round — of any supported shape into the canonical long frame of :func:`delphi.stats.ratings.validate_ratings`.

    read_ratings("ratings.csv")                                        # long table, columns found by name
    read_ratings("export.csv", options=ReadOptions(wide=True, id_column="id"), scale=(1, 5))
    read_ratings(["round1.xlsx", "round2.xlsx"], options=ReadOptions(preset="limesurvey"), scale=(1, 9))

Modules: :mod:`.options` (the settings), :mod:`.source` (bytes, encodings, separators, sheets → a raw table
of text), :mod:`.columns` (which column is which), :mod:`.values` (cell texts → ratings, rounds, ids),
:mod:`.long_table` and :mod:`.wide_table` (the two shapes). Every problem raises RatingsError with one line
naming the file, the line (or sheet and row) and what to do; nothing is returned half-read.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from delphi.stats.errors import RatingsError
from delphi.stats.ratings import validate_ratings
from delphi.stats.readers.long_table import frame_from_long, long_roles
from delphi.stats.readers.options import (
    PRESETS,
    ReadOptions,
    parse_columns,
    parse_labels,
    parse_missing,
)
from delphi.stats.readers.source import read_raw
from delphi.stats.readers.values import Where
from delphi.stats.readers.wide_table import frame_from_wide, item_columns, wide_roles

__all__ = ["PRESETS", "ReadOptions", "parse_columns", "parse_labels", "parse_missing", "read_ratings"]


def _read_one(path: Path, options: ReadOptions, scale: tuple[int, int] | None,
              round_of_file: int | None) -> tuple[pd.DataFrame, Where]:
    roles: dict[str, str] = {}

    def pick(names: list[str]) -> list[str]:
        source = str(path)
        roles.update(wide_roles(names, options, source) if options.wide
                     else long_roles(names, options, source, round_known=round_of_file is not None))
        if options.wide:
            return [n for n in names if n]
        return list(dict.fromkeys(roles.values()))

    def ids() -> set[str]:
        return {roles[r] for r in ("item", "question", "panelist", "group", "comment") if r in roles}

    raw = read_raw(path, options, usecols=pick, text_columns=ids)
    if not options.wide:
        return frame_from_long(raw, roles, options, round_of_file)
    items = item_columns(raw, roles, options, scale)
    return frame_from_wide(raw, roles, items, options, round_of_file)


def read_ratings(path: str | Path | Sequence[str | Path], scale: tuple[int, int] | None = None,
                 options: ReadOptions | None = None) -> pd.DataFrame:
    """Read one ratings file, or several (e.g. one per round), and validate the whole.

    CSV (UTF-8 with or without BOM, UTF-16 with BOM, or ``options.encoding``; comma, semicolon, tab or bar
    separated; Excel's ``sep=;`` line) or XLSX (``options.sheet``, default the first). A long table by default;
    ``options.wide`` for one row per respondent. With several files and no round column (nor ``options.round``)
    the k-th file is round k. With ``scale`` ratings off the scale are refused here too. Returns the canonical
    frame of :func:`~delphi.stats.ratings.validate_ratings`; raises :class:`RatingsError` (one line)."""
    options = (options or ReadOptions()).with_preset()
    paths = [Path(p) for p in ([path] if isinstance(path, (str, Path)) else path)]
    if not paths:
        raise RatingsError("no ratings file given")
    if len(paths) == 1:
        frame, where = _read_one(paths[0], options, scale, None)
        return validate_ratings(frame, scale, source=str(paths[0]), where=where)
    frames, wheres = [], []
    for k, p in enumerate(paths, start=1):
        frame, where = _read_one(p, options, scale, None if options.round is not None else k)
        frames.append(frame)
        wheres.append((str(p), where))
    sizes = np.cumsum([0] + [len(f) for f in frames])

    def where_all(i: int) -> str:
        k = int(np.searchsorted(sizes, i, side="right") - 1)
        return f"{wheres[k][0]}: {wheres[k][1](i - int(sizes[k]))}"

    columns = set.intersection(*(set(f.columns) for f in frames))
    whole = pd.concat([f[[c for c in f.columns if c in columns]] for f in frames], ignore_index=True)
    for column in whole.columns:
        if column not in ("round", "rating"):
            whole[column] = whole[column].astype(object).astype("category")
    return validate_ratings(whole, scale, source=f"{len(paths)} files", where=where_all)
