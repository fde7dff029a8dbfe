"""Rules that say what the literature says, and Kendall's W with missing answers (issue 16)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from delphi.stats import AnalysisConfig, analyse
from delphi.stats.agreement import skillings_mack
from delphi.stats.cli import main

NAN = float("nan")


def _frame(rounds: dict[int, dict[str, list[float]]]) -> pd.DataFrame:
    rows = [{"round": r, "item": item, "panelist": f"p{j}", "rating": v}
            for r, items in rounds.items() for item, values in items.items() for j, v in enumerate(values)]
    return pd.DataFrame(rows)


def test_rand_ucla_classic_disagreement_by_counts_is_expressible():
    """Fitch et al. 2001 (RAND MR-1269), panel of 9: disagreement when at least 3 rate 1-3 and at least 3 7-9."""
    rule = {"name": "rand-classic", "clauses": [{"when": {"n_disagree": [">=", 3], "n_agree": [">=", 3]},
                                                 "outcome": "disagreement"}], "otherwise": "no_disagreement"}
    frame = _frame({1: {"A": [1, 2, 3, 7, 8, 9, 5, 5, 5], "B": [1, 2, 7, 8, 9, 5, 5, 5, 5]}})
    items = analyse(frame, AnalysisConfig(1, 9, agree=(7, 9), disagree=(1, 3), rule=rule)).items
    assert items["n_agree"].tolist() == [3, 3] and items["n_disagree"].tolist() == [3, 2]
    assert items["outcome"].tolist() == ["disagreement", "no_disagreement"]


def test_consensus_only_when_stable_uses_the_stability_against_the_previous_round():
    rule = {"name": "stable-consensus", "clauses": [{"when": {"agree_pct": [">=", 0.7], "stable": ["==", 1]},
                                                     "outcome": "consensus"}], "otherwise": "open"}
    frame = _frame({1: {"A": [5, 5, 4, 4, 2], "B": [1, 2, 2, 3, 3]}, 2: {"A": [5, 4, 5, 4, 2], "B": [5, 5, 4, 4, 4]}})
    items = analyse(frame, AnalysisConfig(1, 5, rule=rule)).items
    # round 1: no previous round, so never stable; round 2: A has the same distribution, B moved
    assert items["outcome"].tolist() == ["open", "open", "consensus", "open"]


def test_round_conditions_by_position_among_the_rated_rounds():
    rule = {"name": "by-position", "clauses": [
        {"when": {"round_position": ["==", 1], "agree_pct": [">=", 0.5]}, "outcome": "in"},
        {"when": {"round_position": [">=", 2], "agree_pct": [">=", 0.7]}, "outcome": "in"}], "otherwise": "out"}
    frame = _frame({3: {"A": [5, 5, 4, 2, 2]}, 7: {"A": [5, 5, 4, 2, 2]}})     # rounds numbered 3 and 7
    items = analyse(frame, AnalysisConfig(1, 5, rule=rule)).items
    assert items["outcome"].tolist() == ["in", "out"]


def test_apmo_cut_off_is_computed_over_all_items_of_the_round_then_applied_to_each():
    """APMO (Kapoor 1987): (majority agreements + majority disagreements) / opinions expressed.
    Items (10 ratings each, agree 4-5, disagree 1-2): A 8 agree; B 6 agree; C 7 disagree; D 4 agree, 3 disagree.
    Majorities: A 8, B 6, C 7 (D none) → APMO = 21 / 40 = 0.525; without neutral answers
    (A 2, B 4, C 3, D 3 neutral → 28 polar opinions) 21 / 28 = 0.75."""
    frame = _frame({1: {"A": [5] * 8 + [3] * 2, "B": [4] * 6 + [3] * 4, "C": [1] * 7 + [3] * 3,
                        "D": [5] * 4 + [1] * 3 + [3] * 3}})
    result = analyse(frame, AnalysisConfig(1, 5, rule="apmo"))
    assert result.items["outcome"].tolist() == ["consensus_agree", "consensus_agree", "consensus_disagree",
                                                "no_consensus"]
    from delphi.stats.rule_table import round_statistics
    cut = round_statistics(result.items, ["round"])
    assert cut["apmo"].iloc[0] == pytest.approx(0.525) and cut["apmo_excl_neutral"].iloc[0] == pytest.approx(0.75)


def test_krippendorff_alpha_at_the_interval_level_matches_the_published_example():
    """Krippendorff 2011, "Computing Krippendorff's alpha-reliability": interval alpha 0.849 (ordinal 0.815)."""
    data = [[1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN], [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
            [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN], [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN]]
    rows = [{"round": 1, "item": f"u{u}", "panelist": f"c{c}", "rating": v}
            for c, coder in enumerate(data) for u, v in enumerate(coder)]
    frame = pd.DataFrame(rows)
    interval = analyse(frame, AnalysisConfig(1, 5, alpha_level="interval")).panel["krippendorff_alpha"].iloc[0]
    ordinal = analyse(frame, AnalysisConfig(1, 5)).panel["krippendorff_alpha"].iloc[0]
    assert round(interval, 3) == 0.849 and round(ordinal, 3) == 0.815


def test_skillings_mack_equals_friedman_on_complete_data_without_ties():
    rng = np.random.default_rng(7)
    x = rng.random((9, 6))
    assert skillings_mack(x).statistic == pytest.approx(stats.friedmanchisquare(*x.T).statistic)


def test_skillings_mack_equals_durbin_in_a_balanced_incomplete_block_design():
    """Durbin 1951 for a BIBD with t = 7 treatments, k = 3 per block, r = 3 replications (computed by hand):
    T = 12(t-1)/(r t (k-1)(k+1)) Σ R_j² - 3 r (t-1)(k+1)/(k-1). Skillings & Mack 1981 reduce to it."""
    blocks = [(0, 1, 3), (1, 2, 4), (2, 3, 5), (3, 4, 6), (4, 5, 0), (5, 6, 1), (6, 0, 2)]
    order = [(1, 2, 3), (3, 1, 2), (2, 3, 1), (1, 3, 2), (3, 2, 1), (2, 1, 3), (1, 2, 3)]
    x = np.full((7, 7), np.nan)
    for i, (b, r) in enumerate(zip(blocks, order)):
        x[i, list(b)] = r
    t, k, r = 7, 3, 3
    big_r = np.nansum(x, axis=0)
    durbin = 12 * (t - 1) / (r * t * (k - 1) * (k + 1)) * (big_r ** 2).sum() - 3 * r * (t - 1) * (k + 1) / (k - 1)
    result = skillings_mack(x)
    assert result.statistic == pytest.approx(durbin) and result.m == 7
    assert result.p == pytest.approx(stats.chi2.sf(durbin, t - 1))


def test_kendall_reports_panelists_used_and_left_out_and_warns(tmp_path, capsys):
    rng = np.random.default_rng(5)
    values = rng.integers(1, 6, (40, 10)).astype(float)
    values[np.arange(40) % 2 == 0, np.arange(40)[np.arange(40) % 2 == 0] % 10] = np.nan   # half skip one item
    frame = pd.DataFrame([{"round": 1, "item": f"I{i}", "panelist": f"p{p}", "rating": values[p, i]}
                          for p in range(40) for i in range(10)])
    complete = analyse(frame, AnalysisConfig(1, 5, kendall="complete")).panel.iloc[0]
    assert (complete["kendall_m"], complete["kendall_excluded"], complete["kendall_method"]) == (20, 20, "complete")
    auto = analyse(frame, AnalysisConfig(1, 5))
    row = auto.panel.iloc[0]
    assert (row["kendall_m"], row["kendall_excluded"], row["kendall_method"]) == (40, 0, "skillings-mack")
    assert row["kendall_chi2"] == pytest.approx(skillings_mack(values).statistic)
    assert row["kendall_w"] == pytest.approx(row["kendall_chi2"] / (40 * 9))
    assert auto.meta["warnings"] == []
    path = tmp_path / "r.csv"
    frame.to_csv(path, index=False)
    assert main(["analyse", str(path), "--scale", "1-5", "--kendall", "complete"]) == 0
    err = capsys.readouterr().err
    assert "warning: round 1: Kendall's W (complete) used 20 of the 40 panelists" in err
    assert "--kendall skillings-mack" in err
