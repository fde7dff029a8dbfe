"""The table a consensus rule is evaluated on: the items (or groups) table plus, when the rule reads them, the
round's position among the rated rounds, the APMO cut-offs of the round, and the stability against the previous
rated round."""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from delphi.stats.rules import STABILITY_RULE_STATISTICS


def round_statistics(table: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Per round (× ``by``): the APMO cut-offs over all its items (Kapoor 1987, as described by von der Gracht
    2012, Technol Forecast Soc Change 79:1525). An item's agreement is a majority opinion when agree_pct > 50 %
    (likewise disagreement); APMO = Σ majority agreements and disagreements (counts of opinions) / Σ opinions
    expressed: ``apmo`` counts every rating as an opinion, ``apmo_excl_neutral`` only the agree and disagree
    ones."""
    majority = (np.where(table["agree_pct"].to_numpy(dtype=float) > 0.5, table["n_agree"], 0)
                + np.where(table["disagree_pct"].to_numpy(dtype=float) > 0.5, table["n_disagree"], 0))
    frame = pd.DataFrame({**{b: table[b].to_numpy() for b in by}, "majority": majority, "n": table["n"],
                          "polar": table["n_agree"] + table["n_disagree"]})
    sums = frame.groupby(by, sort=False, observed=True)[["majority", "n", "polar"]].sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        return pd.DataFrame({"apmo": sums["majority"] / sums["n"].where(sums["n"] > 0),
                             "apmo_excl_neutral": sums["majority"] / sums["polar"].where(sums["polar"] > 0)})


def rule_table(table: pd.DataFrame, rounds: np.ndarray, units: list[str], stability: pd.DataFrame | None, rule: Any) -> pd.DataFrame:
    """``table`` with the round and stability statistics a rule may test, added only when the rule reads them."""
    wanted = set(rule.statistics)
    out = table
    if "round_position" in wanted:
        position = pd.Series(np.arange(1, len(rounds) + 1), index=rounds)
        out = out.assign(round_position=position.reindex(out["round"].to_numpy()).to_numpy())
    if wanted & {"apmo", "apmo_excl_neutral"}:
        by = ["round", "group"] if "group" in out.columns else ["round"]
        cut = round_statistics(out, by)
        keys = pd.MultiIndex.from_frame(out[by]) if len(by) > 1 else pd.Index(out["round"])
        out = out.assign(**{col: cut[col].reindex(keys).to_numpy() for col in cut.columns})
    stab = [s for s in STABILITY_RULE_STATISTICS if s in wanted]
    if stab:
        if stability is None or stability.empty:
            out = out.assign(**{s: np.nan for s in stab})
        else:
            pairs = stability[[*units, "to_round", *stab]].rename(columns={"to_round": "round"})
            if "stable" in stab:
                pairs = pairs.assign(stable=pairs["stable"].astype(float))
            merged = out[["round", *units]].merge(pairs, how="left", on=["round", *units])
            out = out.assign(**{s: merged[s].to_numpy() for s in stab})
    return out
