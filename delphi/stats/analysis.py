"""The whole analysis of a Delphi dataset: per-item statistics and outcomes, stability between rounds, panel
agreement and the stopping verdict per round, and the same per stakeholder group.

Everything is computed from integer codes with ``np.bincount`` over (cell × scale point) keys, so the cost is a
few passes over the ratings whatever the number of items; no Python loop runs per item.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import numpy as np
import pandas as pd

from delphi.stats.agreement import kendall_w, krippendorff_alpha, kruskal_from_counts, skillings_mack
from delphi.stats.config import QUARTILE_METHODS, AnalysisConfig
from delphi.stats.descriptive import summarise_counts
from delphi.stats.ratings import unit_columns, validate_ratings
from delphi.stats.records import records
from delphi.stats.rule_table import rule_table
from delphi.stats.rules import Condition
from delphi.stats.stability import paired_statistics

ITEM_STATISTICS: tuple[str, ...] = (
    "n", "n_abstain", "n_comments", "median", "q1", "q3", "iqr", "mean", "sd", "cv", "mode", "counts",
    "agree_pct", "neutral_pct", "disagree_pct", "n_agree", "n_neutral", "n_disagree", "agree_ci_low", "agree_ci_high",
    "p30", "p70", "ipr", "iprcp", "ai", "ipras", "di",
)
STABILITY_COLUMNS: tuple[str, ...] = (
    "from_round", "to_round", "n_paired", "pct_change", "unchanged_share", "wilcoxon_p", "kappa_w", "stable",
)
#: Above this many (unit × panelist) slots, round pairing uses a sort instead of a dense lookup array.
DENSE_PAIRING_LIMIT = 100_000_000


@dataclass(frozen=True)
class Analysis:
    """Result of :func:`analyse`: four tables and the settings that produced them."""

    items: pd.DataFrame
    stability: pd.DataFrame
    panel: pd.DataFrame
    groups: pd.DataFrame
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``{"meta": ..., "items": [...], "stability": [...], "panel": [...], "groups": [...]}``,
        rows as objects keyed by column name, NaN/NA as None, numpy scalars as Python numbers."""
        return {"meta": copy.deepcopy(self.meta), "items": records(self.items), "stability": records(self.stability),
                "panel": records(self.panel), "groups": records(self.groups)}


@dataclass(frozen=True)
class _Coded:
    """The ratings as integer codes; units are item [× question] in order of first appearance."""

    rounds: np.ndarray            # sorted round numbers
    r: np.ndarray                 # round position per row
    u: np.ndarray                 # unit per row
    p: np.ndarray                 # panelist per row
    v: np.ndarray                 # rating as 0-based scale position, -1 for an abstention
    commented: np.ndarray         # row carries a non-empty comment
    units: pd.DataFrame           # labels: item [, question]
    n_panelists: int
    g: np.ndarray | None          # group per row, -1 when missing
    groups: list[Any]

    @property
    def n_units(self) -> int:
        return len(self.units)


def _code(frame: pd.DataFrame, config: AnalysisConfig) -> _Coded:
    rounds_raw = frame["round"].to_numpy(dtype=np.int64)
    low, high = int(rounds_raw.min()), int(rounds_raw.max())
    if high - low < 1_000_000:        # round numbers are small: a lookup table instead of a hash
        seen = np.bincount(rounds_raw - low, minlength=high - low + 1) > 0
        rounds = np.flatnonzero(seen) + low
        lookup = np.cumsum(seen) - 1
        r = lookup[rounds_raw - low]
    else:
        rounds, r = np.unique(rounds_raw, return_inverse=True)

    ucols = unit_columns(frame)
    item_codes, item_labels = pd.factorize(frame["item"])
    if "question" in ucols:
        q_codes, q_labels = pd.factorize(frame["question"], use_na_sentinel=False)
        combined, uniq = pd.factorize(item_codes.astype(np.int64) * len(q_labels) + q_codes)
        u = combined
        units = pd.DataFrame({
            "item": np.asarray(item_labels.astype(object))[uniq // len(q_labels)],
            "question": np.asarray(pd.Index(q_labels).astype(object))[uniq % len(q_labels)],
        })
        units["question"] = units["question"].where(units["question"].notna(), None)
    else:
        u = item_codes
        units = pd.DataFrame({"item": np.asarray(item_labels.astype(object))})
    p, p_labels = pd.factorize(frame["panelist"])
    rating = frame["rating"].to_numpy(dtype=np.float64)
    v = np.nan_to_num(rating - config.scale_min, nan=-1.0).astype(np.int64)
    commented = frame["comment"].notna().to_numpy() if "comment" in frame.columns else np.zeros(len(frame), bool)
    g: np.ndarray | None = None
    groups: list[Any] = []
    if "group" in frame.columns:
        g, g_labels = pd.factorize(frame["group"])
        groups = list(np.asarray(g_labels.astype(object)))
    return _Coded(rounds, r, np.asarray(u, dtype=np.int64), np.asarray(p, dtype=np.int64), v, commented, units,
                  len(p_labels), None if g is None else np.asarray(g, dtype=np.int64), groups)


def software_version() -> str:
    """The installed delphi-platform version, written into every output."""
    try:
        return metadata.version("delphi-platform")
    except metadata.PackageNotFoundError:
        return "unknown"


def _cell_tables(c: _Coded, cell: np.ndarray, n_cells: int, k: int,
                 keep: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
    """Per cell: rating counts (cells × k), rows, abstentions, comments — one bincount over (cell, v + 1), whose
    column 0 counts the abstentions. ``keep`` optionally restricts the rows used."""
    cell_, v_, commented = (cell, c.v, c.commented) if keep is None else (cell[keep], c.v[keep], c.commented[keep])
    both = np.bincount(cell_ * (k + 1) + (v_ + 1), minlength=n_cells * (k + 1)).reshape(n_cells, k + 1)
    counts = both[:, 1:]
    abstain = both[:, 0]
    rows = both.sum(axis=1)
    comments = np.bincount(cell_[commented], minlength=n_cells)
    return counts, rows, abstain, comments


def _describe(counts: np.ndarray, abstain: np.ndarray, comments: np.ndarray, keys: pd.DataFrame,
              config: AnalysisConfig) -> pd.DataFrame:
    stats_ = summarise_counts(counts, config)
    stats_.insert(1, "n_abstain", abstain)
    stats_.insert(2, "n_comments", comments)
    return pd.concat([keys.reset_index(drop=True), stats_], axis=1)


def analyse(ratings: pd.DataFrame, config: AnalysisConfig) -> Analysis:
    """Analyse a long table of ratings (see :mod:`delphi.stats.ratings` for the columns) under ``config``.

    Raises :class:`~delphi.stats.errors.RatingsError` for unusable ratings (including ratings off the scale).
    """
    frame = validate_ratings(ratings, (config.scale_min, config.scale_max))
    c = _code(frame, config)
    k = config.scale_max - config.scale_min + 1
    n_rounds, n_units = len(c.rounds), c.n_units
    n_cells = n_rounds * n_units
    cell = c.r * n_units + c.u
    counts, rows, abstain, comments = _cell_tables(c, cell, n_cells, k)
    present = np.flatnonzero(rows > 0)                    # (round, unit) cells that occur, round-major order
    keys = pd.concat([pd.DataFrame({"round": c.rounds[present // n_units]}),
                      c.units.iloc[present % n_units].reset_index(drop=True)], axis=1)
    items = _describe(counts[present], abstain[present], comments[present], keys, config)

    groups = _empty_groups(c, config)
    items["kruskal_p"] = np.nan
    if c.g is not None and c.groups:
        items["kruskal_p"], groups = _group_tables(c, cell, n_cells, k, present, keys, config)
    stability = _stability(c, config, k)
    units = list(c.units.columns)
    items["outcome"] = config.rule.evaluate(rule_table(items, c.rounds, units, stability, config.rule))
    if not groups.empty:
        # kruskal_p compares groups and stability is the whole panel's, so within one group a condition on them
        # never holds
        groups["outcome"] = config.rule.evaluate(
            rule_table(groups.assign(kruskal_p=np.nan), c.rounds, units, None, config.rule))
    panel = _panel(c, config, items, stability, counts, rows, k)
    meta = _meta(c, config, frame)
    meta["warnings"] = _kendall_warnings(panel, config)
    return Analysis(items=items, stability=stability, panel=panel, groups=groups, meta=meta)


def _empty_groups(c: _Coded, config: AnalysisConfig) -> pd.DataFrame:
    columns = ["round", *c.units.columns, "group", *ITEM_STATISTICS, "outcome"]
    return pd.DataFrame({col: pd.Series(dtype=object) for col in columns})


def _group_tables(c: _Coded, cell: np.ndarray, n_cells: int, k: int, present: np.ndarray, keys: pd.DataFrame,
                  config: AnalysisConfig) -> tuple[np.ndarray, pd.DataFrame]:
    """Kruskal-Wallis p per item across groups, and the per-group statistics table."""
    assert c.g is not None
    n_groups = len(c.groups)
    has_group = c.g >= 0
    gcell = cell * n_groups + c.g
    flat_counts, rows, abstain, comments = _cell_tables(
        c, gcell, n_cells * n_groups, k, keep=None if has_group.all() else has_group)
    _, p = kruskal_from_counts(flat_counts.reshape(n_cells, n_groups, k)[present])
    gpresent = np.flatnonzero(rows > 0)
    cells_of = gpresent // n_groups
    n_units = c.n_units
    gkeys = pd.concat([pd.DataFrame({"round": c.rounds[cells_of // n_units]}),
                       c.units.iloc[cells_of % n_units].reset_index(drop=True),
                       pd.DataFrame({"group": np.asarray(c.groups, dtype=object)[gpresent % n_groups]})], axis=1)
    return p, _describe(flat_counts[gpresent], abstain[gpresent], comments[gpresent], gkeys, config)


def _pairs(c: _Coded, ra: int, rb: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(unit, rating in ra, rating in rb) for every panelist who rated a unit in both rounds."""
    n_units, n_pan = c.n_units, c.n_panelists
    in_a = (c.r == ra) & (c.v >= 0)
    in_b = (c.r == rb) & (c.v >= 0)
    key_a = c.u[in_a] * n_pan + c.p[in_a]
    key_b = c.u[in_b] * n_pan + c.p[in_b]
    if n_units * n_pan <= DENSE_PAIRING_LIMIT:
        slots = np.full(n_units * n_pan, -1, dtype=np.int16 if c.v.max(initial=0) < 32_000 else np.int64)
        slots[key_a] = c.v[in_a]
        taken = slots[key_b]
        both = taken >= 0
        key = key_b[both]
        return key // n_pan, taken[both].astype(np.int64), c.v[in_b][both]
    common, ia, ib = np.intersect1d(key_a, key_b, assume_unique=True, return_indices=True)
    return common // n_pan, c.v[in_a][ia], c.v[in_b][ib]


def _stability(c: _Coded, config: AnalysisConfig, k: int) -> pd.DataFrame:
    n_units = c.n_units
    unit_rows = np.bincount(c.r * n_units + c.u, minlength=len(c.rounds) * n_units).reshape(len(c.rounds), n_units)
    frames = []
    for ra in range(len(c.rounds) - 1):
        rb = ra + 1
        units, a, b = _pairs(c, ra, rb)
        table = paired_statistics(units, a, b, n_units, k)
        in_both = np.flatnonzero((unit_rows[ra] > 0) & (unit_rows[rb] > 0))
        table = table.iloc[in_both].reset_index(drop=True)
        labels = c.units.iloc[in_both].reset_index(drop=True)
        table.insert(0, "from_round", int(c.rounds[ra]))
        table.insert(1, "to_round", int(c.rounds[rb]))
        frames.append(pd.concat([labels, table], axis=1))
    columns = [*c.units.columns, *STABILITY_COLUMNS]
    if not frames:
        return pd.DataFrame({col: pd.Series(dtype=object) for col in columns})
    out = pd.concat(frames, ignore_index=True)
    stable = Condition("pct_change", "<", float(config.stability_threshold)).mask(out)
    out["stable"] = stable
    return out[columns]


def _panel(c: _Coded, config: AnalysisConfig, items: pd.DataFrame, stability: pd.DataFrame,
           counts: np.ndarray, rows: np.ndarray, k: int) -> pd.DataFrame:
    """One row per round: participation, Kendall's W, Krippendorff's alpha, outcome counts, stopping verdict."""
    n_units, n_pan = c.n_units, c.n_panelists
    rule = config.rule
    decided_set = set(rule.decided)
    values = np.arange(config.scale_min, config.scale_max + 1)
    seen = np.bincount(c.r * n_pan + c.p, minlength=len(c.rounds) * n_pan).reshape(len(c.rounds), n_pan)
    records = []
    for ri, round_no in enumerate(c.rounds):
        unit_ids = np.flatnonzero(rows[ri * n_units:(ri + 1) * n_units] > 0)
        n_items = len(unit_ids)
        n_panelists = int((seen[ri] > 0).sum())
        rec: dict[str, Any] = {
            "round": int(round_no), "n_panelists": n_panelists, "n_items": n_items,
            "response_rate": n_panelists / config.panel_size if config.panel_size else np.nan,
        }
        rec.update(_kendall_for_round(c, config, ri, unit_ids))
        rec["krippendorff_alpha"] = krippendorff_alpha(counts[ri * n_units + unit_ids], values, config.alpha_level)
        outcomes = items.loc[items["round"] == round_no, "outcome"]
        tally = outcomes.value_counts()
        for outcome in rule.outcomes:
            rec[f"n_{outcome}"] = int(tally.get(outcome, 0))
        decided = outcomes.isin(decided_set).to_numpy()
        rec["n_decided"] = int(decided.sum())
        rec["n_undecided"] = int((~decided).sum())
        rec.update(_verdict(c, config, ri, items, stability, outcomes, decided))
        records.append(rec)
    return pd.DataFrame.from_records(records)


def _kendall_for_round(c: _Coded, config: AnalysisConfig, ri: int, unit_ids: np.ndarray) -> dict[str, Any]:
    """Kendall's W for round ``ri`` with the panelists it used and left out, and the method.

    ``complete``: W over the panelists who rated every item (Kendall & Babington Smith 1939, tie-corrected).
    ``skillings-mack``: every panelist with at least two ratings; the statistic is Skillings & Mack's (1981)
    χ² (n - 1 df), and W = SM / (m (n - 1)) by the same relation as Friedman's χ² = m (n - 1) W for complete
    data (:func:`delphi.stats.agreement.skillings_mack`). ``auto``: complete when nobody skipped an item."""
    in_round = (c.r == ri) & (c.v >= 0)
    n_pan = c.n_panelists
    per_panelist = np.bincount(c.p[in_round], minlength=n_pan)
    rated = int((per_panelist > 0).sum())
    complete = per_panelist == len(unit_ids)
    if len(unit_ids) == 0:
        complete[:] = False
    method = config.kendall
    if method == "auto":
        method = "complete" if complete.sum() == rated else "skillings-mack"
    use_panelist = complete if method == "complete" else per_panelist >= 2
    compact_p = np.cumsum(use_panelist) - 1
    compact_u = np.full(c.n_units, -1, dtype=np.int64)
    compact_u[unit_ids] = np.arange(len(unit_ids))
    use = in_round & use_panelist[c.p]
    matrix = np.full((int(use_panelist.sum()), len(unit_ids)), np.nan)
    matrix[compact_p[c.p[use]], compact_u[c.u[use]]] = c.v[use]
    if method == "complete":
        w = kendall_w(matrix)
        out = {"kendall_w": w.w, "kendall_chi2": w.chi2, "kendall_p": w.p, "kendall_m": w.m}
    else:
        sm = skillings_mack(matrix)
        n = len(unit_ids)
        wv = sm.statistic / (sm.m * (n - 1)) if sm.m >= 2 and n >= 2 and np.isfinite(sm.statistic) else np.nan
        out = {"kendall_w": min(max(wv, 0.0), 1.0) if np.isfinite(wv) else np.nan, "kendall_chi2": sm.statistic,
               "kendall_p": sm.p, "kendall_m": sm.m}
    out["kendall_excluded"] = rated - int(out["kendall_m"])
    out["kendall_method"] = method
    return out


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _verdict(c: _Coded, config: AnalysisConfig, ri: int, items: pd.DataFrame, stability: pd.DataFrame,
             outcomes: pd.Series, decided: np.ndarray) -> dict[str, Any]:
    """Stopping verdict after round ``ri``: stop when every item is decided; or when every undecided item is
    stable against the previous round (Dajani, Sincoff & Talley 1979: interpret agreement only once responses
    are stable); or when the maximum number of rounds is reached; continue otherwise."""
    n_undecided = int((~decided).sum())
    round_no = int(c.rounds[ri])
    if n_undecided == 0:
        return {"verdict": "stop", "verdict_reason": "all_decided", "verdict_text": "stop: all items decided"}
    undecided = items.loc[outcomes.index[~decided], [*c.units.columns]]
    n_unstable = n_undecided
    if ri > 0 and not stability.empty:
        pairs = stability[stability["to_round"] == round_no]
        stable = pairs.loc[pairs["stable"].astype(bool), [*c.units.columns]]
        merged = undecided.merge(stable.drop_duplicates(), how="left", indicator=True,
                                 on=list(c.units.columns))
        n_unstable = int((merged["_merge"] == "left_only").sum())
        if n_unstable == 0:
            return {"verdict": "stop", "verdict_reason": "undecided_stable",
                    "verdict_text": f"stop: all {_plural(n_undecided, 'undecided item')} stable"}
    if config.max_rounds is not None and ri + 1 >= config.max_rounds:
        return {"verdict": "stop", "verdict_reason": "max_rounds",
                "verdict_text": f"stop: maximum of {_plural(config.max_rounds, 'round')} reached "
                                f"({_plural(n_undecided, 'item')} undecided)"}
    if n_unstable == n_undecided:
        text = f"continue: {_plural(n_undecided, 'item')} undecided and not yet stable"
    else:
        text = f"continue: {_plural(n_undecided, 'item')} undecided, {n_unstable} of them not yet stable"
    return {"verdict": "continue", "verdict_reason": "undecided_unstable", "verdict_text": text}


def _kendall_warnings(panel: pd.DataFrame, config: AnalysisConfig) -> list[str]:
    """A line for every round whose Kendall's W leaves out more than ``kendall_max_excluded`` of the panelists
    who rated something in it."""
    out = []
    for rec in panel.to_dict("records"):
        used, left = int(rec["kendall_m"]), int(rec["kendall_excluded"])
        if used + left and left / (used + left) > config.kendall_max_excluded:
            hint = ("; --kendall skillings-mack uses every panelist with two or more ratings"
                    if rec["kendall_method"] == "complete" else "")
            out.append(f"round {rec['round']}: Kendall's W ({rec['kendall_method']}) used {used} of the "
                       f"{used + left} panelists who rated in the round, leaving out {left / (used + left):.0%} "
                       f"(more than {config.kendall_max_excluded:.0%}){hint}")
    return out


def _meta(c: _Coded, config: AnalysisConfig, frame: pd.DataFrame) -> dict[str, Any]:
    agree, disagree = config.agree, config.disagree
    assert agree is not None and disagree is not None
    notes = []
    if (config.scale_min, config.scale_max) != (1, 9):
        notes.append(f"RAND/UCLA AI is computed against the scale midpoint {config.midpoint:g} "
                     "(the method's constants 2.35 and 1.5 were calibrated on a 1-9 scale)")
    return {
        "software": {"name": "delphi-platform", "module": "delphi.stats", "version": software_version()},
        "scale": {"min": config.scale_min, "max": config.scale_max},
        "bands": {"agree": list(agree), "neutral": list(config.neutral), "disagree": list(disagree)},
        "quartiles": {"method": config.quartiles, "definition": QUARTILE_METHODS[config.quartiles]},
        "rule": config.rule.to_dict(),
        "unit": list(c.units.columns),
        "rounds": [int(r) for r in c.rounds],
        "panel_size": config.panel_size,
        "max_rounds": config.max_rounds,
        "kendall": {"method": config.kendall, "max_excluded": config.kendall_max_excluded,
                    "methods": {"complete": "Kendall & Babington Smith 1939, tie-corrected, over the panelists "
                                            "who rated every item",
                                "skillings-mack": "Skillings & Mack 1981 (Technometrics 23:171), every panelist "
                                                  "with 2+ ratings; W = SM / (m (n - 1))"}},
        "krippendorff_level": config.alpha_level,
        "stability": {"criterion": f"pct_change < {config.stability_threshold:g}",
                      "threshold": config.stability_threshold},
        "rand_ucla_midpoint": config.midpoint,
        "n_ratings": int((c.v >= 0).sum()),
        "n_abstentions": int((c.v < 0).sum()),
        "n_panelists": c.n_panelists,
        "groups": [str(g) for g in c.groups] if c.g is not None else None,
        "notes": notes,
    }
