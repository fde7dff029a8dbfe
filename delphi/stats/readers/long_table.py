"""A long table — one row per round × item [× question] × panelist — from a raw table, whatever its column
names: the roles are resolved (:mod:`.columns`), ids kept as text, rounds read from "2" or "Round 2", ratings
from numbers, labels or "unable to rate" tokens (:mod:`.values`)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from delphi.stats.errors import RatingsError
from delphi.stats.readers.columns import REQUIRED, normalise, resolve
from delphi.stats.readers.options import ReadOptions
from delphi.stats.readers.source import RawTable
from delphi.stats.readers.values import Where, ids_from_text, ratings_from_text, rounds_from_text

MAIN_ROLES: tuple[str, ...] = ("round", "item", "panelist", "rating", "comment", "group")


def long_roles(names: list[str], options: ReadOptions, source: str, round_known: bool = False) -> dict[str, str]:
    """Role → column of a long table (``round`` may be absent when ``options.round`` or the file's position
    among several gives it: ``round_known``)."""
    given = {k: v for k, v in options.columns.items() if k != "question"}
    required = [r for r in REQUIRED if not (r == "round" and (options.round is not None or round_known))]
    roles = resolve(names, given, MAIN_ROLES, source=source, required=required)
    taken = set(roles.values())
    if "question" in options.columns:
        roles.update(resolve(names, {"question": options.columns["question"]}, ("question",), source=source))
    else:
        hits = [n for n in names if normalise(n) == "question" and n not in taken]
        if len(hits) == 1:
            roles["question"] = hits[0]
    return roles


def frame_from_long(raw: RawTable, roles: dict[str, str], options: ReadOptions,
                    round_of_file: int | None = None) -> tuple[pd.DataFrame, Where]:
    """The canonical columns (round int64, ids as text categoricals, rating float64 with NaN = abstention,
    comment text) of a raw long table, and where(i) naming its rows; every value problem raises RatingsError
    naming its row."""
    frame, where = raw.frame, raw.where
    if len(frame) == 0:
        raise RatingsError(f"{raw.source}: no ratings (the table has a header but no rows)")
    out: dict[str, object] = {}
    if "round" in roles:
        rounds = rounds_from_text(frame[roles["round"]], source=raw.source, where=raw.where)
        if options.round is not None:
            keep = rounds == options.round
            if not keep.any():
                raise RatingsError(f"{raw.source}: --round {options.round}: the round column has no such round "
                                   f"(rounds {', '.join(map(str, sorted(set(rounds.tolist()))[:10]))})")
            if not keep.all():
                kept = np.flatnonzero(keep)
                frame = frame.iloc[kept].reset_index(drop=True)
                rounds = rounds[kept]
                where = lambda i: raw.where(int(kept[i]))  # noqa: E731
        out["round"] = rounds
    else:
        out["round"] = np.full(len(frame), int(options.round or round_of_file or 1), dtype=np.int64)
    for role in ("item", "question", "panelist"):
        if role in roles:
            out[role] = ids_from_text(frame[roles[role]])
    out["rating"] = ratings_from_text(frame[roles["rating"]], labels=options.labels, missing=options.missing,
                                      source=raw.source, where=where)
    if "comment" in roles:
        out["comment"] = ids_from_text(frame[roles["comment"]])
    if "group" in roles:
        out["group"] = ids_from_text(frame[roles["group"]])
    return pd.DataFrame(out), where
