"""Convergence of a round's answers over time, from the history of every answer (real-time Delphi).

A classic Delphi sees convergence between rounds; a real-time Delphi (Gordon & Pease 2006, Technol Forecast Soc
Change 73:321) has one open round in which experts revise at will, so convergence is read from the answer
history instead: at evenly spaced moments, each expert's latest answer as of that moment gives the same per-item
statistics a closed round would (:func:`delphi.stats.descriptive.summarise_counts`), and the panel's Kendall's W
(:func:`delphi.stats.agreement.kendall_w`). Stability compares each expert's first and last answers with the
measures the platform uses between rounds (:func:`delphi.stats.stability.paired_statistics`).

Input: one question's events, a DataFrame with columns ``panelist``, ``item``, ``value`` (a scale point, or
NaN/None for "unable to rate") and ``time`` (datetimes, UTC), in the order they were given (ties in time keep that
order). Loops run over moments (a dozen), never over items or answers.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from delphi.stats.agreement import kendall_w
from delphi.stats.config import AnalysisConfig
from delphi.stats.descriptive import summarise_counts
from delphi.stats.stability import paired_statistics

DEFAULT_POINTS = 12
ITEM_COLUMNS = ("moment", "at", "item", "n", "n_abstain", "median", "q1", "q3", "iqr", "agree_pct")
PANEL_COLUMNS = ("moment", "at", "n_panelists", "n_items", "mean_agree_pct", "mean_iqr", "kendall_w", "kendall_m",
                 "kendall_n", "n_revised", "revised_share")
FIRST_LAST_COLUMNS = ("item", "n_paired", "pct_change", "unchanged_share", "wilcoxon_p", "kappa_w", "stable")
REVISION_COLUMNS = ("item", "n_answers", "n_revisions", "n_revisers")


@dataclass(frozen=True)
class Convergence:
    """Result of :func:`convergence`: per item and moment, per moment, and per item over the whole history."""

    moments: pd.DatetimeIndex
    items: pd.DataFrame
    panel: pd.DataFrame
    revisions: pd.DataFrame
    first_last: pd.DataFrame


@dataclass(frozen=True)
class _Coded:
    t: np.ndarray            # int64 nanoseconds since the epoch, UTC
    p: np.ndarray            # panelist code
    u: np.ndarray            # item code
    v: np.ndarray            # 0-based scale position, -1 = unable to rate
    items: np.ndarray        # item labels, in order of first appearance
    n_panelists: int


def _ns(values) -> np.ndarray:
    stamps = pd.to_datetime(pd.Series(values), utc=True).dt.tz_convert(None)
    return stamps.to_numpy(dtype="datetime64[ns]").astype(np.int64)


def _code(events: pd.DataFrame, config: AnalysisConfig, end: np.int64 | None) -> _Coded:
    missing = {"panelist", "item", "value", "time"} - set(events.columns)
    if missing:
        raise ValueError(f"events need the columns {', '.join(sorted(missing))}")
    if "question" in events.columns and events["question"].nunique() > 1:
        raise ValueError("convergence is computed per question: pass one question's events")
    t = _ns(events["time"]) if len(events) else np.zeros(0, np.int64)
    keep = np.ones(len(events), bool) if end is None else t <= end
    frame = events.loc[keep]
    t = t[keep]
    order = np.argsort(t, kind="stable")            # given order breaks ties in time
    frame, t = frame.iloc[order], t[order]
    value = pd.to_numeric(frame["value"], errors="raise").to_numpy(dtype=float)
    rated = ~np.isnan(value)
    if ((value[rated] < config.scale_min) | (value[rated] > config.scale_max)).any():
        raise ValueError(f"an answer lies outside the scale {config.scale_min}-{config.scale_max}")
    v = np.where(rated, np.nan_to_num(value) - config.scale_min, -1).astype(np.int64)
    p, _ = pd.factorize(frame["panelist"])
    u, items = pd.factorize(frame["item"])
    return _Coded(t, np.asarray(p, np.int64), np.asarray(u, np.int64), v, np.asarray(items.astype(object)),
                  int(p.max(initial=-1)) + 1)


def moments(start: np.int64, end: np.int64, points: int = DEFAULT_POINTS) -> np.ndarray:
    """``points`` evenly spaced moments from start to end inclusive (int64 ns); one moment (end) when they
    coincide or one point is asked for."""
    if points < 1:
        raise ValueError("at least one moment is needed")
    if points == 1 or end <= start:
        return np.array([max(start, end)], dtype=np.int64)
    span = int(end) - int(start)
    return np.array([int(start) + span * k // (points - 1) for k in range(points)], dtype=np.int64)


def _previous_same_key(c: _Coded) -> tuple[np.ndarray, np.ndarray]:
    """For each event: the index of the same expert's previous answer to the item (-1 if none), and the time of
    their next one (int64 max if none)."""
    key = c.u * max(c.n_panelists, 1) + c.p
    order = np.lexsort((np.arange(len(key)), key))
    same = key[order][1:] == key[order][:-1]
    prev = np.full(len(key), -1, np.int64)
    prev[order[1:][same]] = order[:-1][same]
    nxt = np.full(len(key), np.iinfo(np.int64).max, np.int64)
    nxt[order[:-1][same]] = c.t[order[1:][same]]
    return prev, nxt


def _revision_mask(c: _Coded, prev: np.ndarray) -> np.ndarray:
    """An answer that changes the expert's previous answer to the item ("unable to rate" counts as an answer)."""
    has_prev = prev >= 0
    return has_prev & (c.v != c.v[np.where(has_prev, prev, 0)])


def convergence(events: pd.DataFrame, config: AnalysisConfig, *, end=None,
                points: int = DEFAULT_POINTS) -> Convergence:
    """Per-item and panel-wide statistics at ``points`` moments between the first answer and ``end`` (default:
    the last answer; give "now" for an open round, the close for a closed one); answers after ``end`` are left
    out. At each moment every expert's latest answer counts; "unable to rate" is not a rating (it is counted in
    n_abstain, and not in n or the agreement). Panel-wide: the mean % agreement and mean IQR over the items with
    a rating; Kendall's W over the experts with ratings of at least two items and the items every one of them has
    rated (kendall_m experts, kendall_n items; NaN when fewer than two of either); the share of the experts who
    had answered who had revised at least one answer by then (changed it after their first answer to the item).
    """
    end_ns = None if end is None else _ns([end])[0]
    c = _code(events, config, end_ns)
    if len(c.t) == 0:
        return _empty()
    grid = moments(c.t[0], c.t[-1] if end_ns is None else end_ns, points)
    prev, nxt = _previous_same_key(c)
    revision = _revision_mask(c, prev)
    # Event e is the expert's latest answer at every moment m with t_e <= m < t_next.
    first_k = np.searchsorted(grid, c.t, side="left")
    last_k = np.searchsorted(grid, nxt, side="left")
    span = np.maximum(last_k - first_k, 0)
    rows = np.repeat(np.arange(len(c.t)), span)
    offset = np.arange(len(rows)) - np.repeat(np.cumsum(span) - span, span)
    k_of = first_k[rows] + offset
    n_m, n_u, k = len(grid), len(c.items), config.scale_max - config.scale_min + 1
    cell = k_of * n_u + c.u[rows]
    both = np.bincount(cell * (k + 1) + c.v[rows] + 1, minlength=n_m * n_u * (k + 1)).reshape(n_m * n_u, k + 1)
    present = np.flatnonzero(both.sum(axis=1) > 0)
    summary = summarise_counts(both[present, 1:], config)
    at = pd.to_datetime(grid, utc=True)
    items = pd.DataFrame({"moment": present // n_u, "at": at[present // n_u], "item": c.items[present % n_u],
                          "n": summary["n"], "n_abstain": both[present, 0], "median": summary["median"],
                          "q1": summary["q1"], "q3": summary["q3"], "iqr": summary["iqr"],
                          "agree_pct": summary["agree_pct"]})
    panel = _panel(c, grid, at, items, rows, k_of, revision)
    return Convergence(at, items[list(ITEM_COLUMNS)], panel, revisions(c, revision), first_last_coded(c, config))


def _panel(c: _Coded, grid: np.ndarray, at: pd.DatetimeIndex, items: pd.DataFrame, rows: np.ndarray,
           k_of: np.ndarray, revision: np.ndarray) -> pd.DataFrame:
    rated = items[items["n"] > 0].groupby("moment")
    mean_agree = rated["agree_pct"].mean()
    mean_iqr = rated["iqr"].mean()
    n_items = rated.size()
    first_answer = np.full(c.n_panelists, np.iinfo(np.int64).max)
    np.minimum.at(first_answer, c.p, c.t)
    first_revision = np.full(c.n_panelists, np.iinfo(np.int64).max)
    np.minimum.at(first_revision, c.p[revision], c.t[revision])
    records = []
    for m, moment in enumerate(grid):
        answered = int((first_answer <= moment).sum())
        revised = int((first_revision <= moment).sum())
        sel = rows[(k_of == m) & (c.v[rows] >= 0)]
        w = _kendall_at(c.p[sel], c.u[sel], c.v[sel], c.n_panelists, len(c.items))
        records.append({"moment": m, "at": at[m], "n_panelists": answered, "n_items": int(n_items.get(m, 0)),
                        "mean_agree_pct": float(mean_agree.get(m, np.nan)), "mean_iqr": float(mean_iqr.get(m, np.nan)),
                        "kendall_w": w.w, "kendall_m": w.m, "kendall_n": w.n, "n_revised": revised,
                        "revised_share": revised / answered if answered else np.nan})
    return pd.DataFrame.from_records(records, columns=list(PANEL_COLUMNS))


def _kendall_at(p: np.ndarray, u: np.ndarray, v: np.ndarray, n_p: int, n_u: int):
    """Kendall's W on the complete block: experts with at least two ratings, items every one of them rated."""
    matrix = np.full((n_p, n_u), np.nan)
    matrix[p, u] = v
    experts = (~np.isnan(matrix)).sum(axis=1) >= 2
    block = matrix[experts]
    complete = ~np.isnan(block).any(axis=0) if len(block) else np.zeros(n_u, bool)
    return kendall_w(block[:, complete])


def revisions(c: _Coded, revision: np.ndarray) -> pd.DataFrame:
    """Per item: answers given, revisions (answers that changed the expert's previous one) and the experts who
    revised."""
    n_u = len(c.items)
    revisers = np.zeros(n_u, np.int64)
    if revision.any():
        pairs = np.unique(c.u[revision] * max(c.n_panelists, 1) + c.p[revision])
        revisers = np.bincount(pairs // max(c.n_panelists, 1), minlength=n_u)
    return pd.DataFrame({"item": c.items, "n_answers": np.bincount(c.u, minlength=n_u),
                         "n_revisions": np.bincount(c.u[revision], minlength=n_u), "n_revisers": revisers},
                        columns=list(REVISION_COLUMNS))


def first_last_coded(c: _Coded, config: AnalysisConfig) -> pd.DataFrame:
    """Per item, each expert's first answer against their last, as a between-rounds stability table (pairs of
    ratings: an expert whose first or last answer is "unable to rate" is left out, as between rounds): % change
    of the distribution (Scheibe, Skutsch & Schofer 1975; stable below config.stability_threshold), unchanged
    share, Wilcoxon signed-rank p, quadratic-weighted kappa (Holey et al. 2007)."""
    n_u, n_p = len(c.items), max(c.n_panelists, 1)
    key = c.u * n_p + c.p
    uniq, first = np.unique(key, return_index=True)
    last = len(key) - 1 - np.unique(key[::-1], return_index=True)[1]
    a, b = c.v[first], c.v[last]
    ok = (a >= 0) & (b >= 0)
    k = config.scale_max - config.scale_min + 1
    table = paired_statistics(uniq[ok] // n_p, a[ok], b[ok], n_u, k)
    table.insert(0, "item", c.items)
    table["stable"] = np.where(table["n_paired"] > 0, table["pct_change"] < config.stability_threshold, None)
    return table[list(FIRST_LAST_COLUMNS)]


def first_last(events: pd.DataFrame, config: AnalysisConfig) -> pd.DataFrame:
    """First-versus-last stability per item of one question's events (see :func:`first_last_coded`)."""
    c = _code(events, config, None)
    if len(c.t) == 0:
        return _empty().first_last
    return first_last_coded(c, config)


def _empty() -> Convergence:
    def frame(columns):
        return pd.DataFrame({col: pd.Series(dtype=object) for col in columns})

    return Convergence(pd.DatetimeIndex([], tz="UTC"), frame(ITEM_COLUMNS), frame(PANEL_COLUMNS),
                       frame(REVISION_COLUMNS), frame(FIRST_LAST_COLUMNS))
