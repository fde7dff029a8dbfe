"""Stability between rounds: published examples, and scipy/hand computations as independent references."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import wilcoxon

from delphi.stats import AnalysisConfig, analyse
from delphi.stats import analysis as analysis_module
from delphi.stats.stability import paired_statistics, wilcoxon_p
from tests.stats.frames import NAN, two_rounds

# Chaffin & Talley 1980 (Technol Forecast Soc Change 16): panelists swap positions between rounds.
SWAP_ROUND_1 = [3, 2, 4, 1, 3, 2, 4, 1, 3, 2]
SWAP_ROUND_2 = [2, 3, 1, 4, 2, 3, 1, 4, 2, 3]
# A 1-4 example: two panelists swap 1 and 2, the rest keep their rating.
SMALL_ROUND_1 = [4, 2, 3, 1, 4, 2, 3, 1, 4, 2]
SMALL_ROUND_2 = [4, 2, 3, 1, 4, 1, 3, 2, 4, 2]


def stability_row(first, second, scale=(1, 4), **config):
    result = analyse(two_rounds({"A": first}, {"A": second}), AnalysisConfig(*scale, **config))
    return result.stability.iloc[0]


def test_chaffin_talley_swap_is_invisible_to_group_measures_but_not_to_individual_ones():
    row = stability_row(SWAP_ROUND_1, SWAP_ROUND_2)
    assert row["n_paired"] == 10
    assert row["pct_change"] == 0
    assert row["wilcoxon_p"] == pytest.approx(1.0)
    assert row["unchanged_share"] == 0
    assert row["kappa_w"] == pytest.approx(-1.0)
    assert bool(row["stable"]) is True          # by the distribution criterion — why the others are reported


def test_one_to_four_example_kappa_092_and_80_percent_unchanged():
    row = stability_row(SMALL_ROUND_1, SMALL_ROUND_2)
    assert row["kappa_w"] == pytest.approx(0.92, abs=0.005)
    assert row["unchanged_share"] == pytest.approx(0.8)
    assert row["pct_change"] == 0


def quadratic_kappa_by_contingency_table(a, b, k):
    """Cohen 1968 directly: 1 - Σ w·O / Σ w·E with the k × k table of proportions and w = (i - j)²."""
    observed = np.zeros((k, k))
    for i, j in zip(a, b):
        observed[i, j] += 1
    observed /= observed.sum()
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0))
    weights = np.subtract.outer(np.arange(k), np.arange(k)) ** 2
    return 1 - (weights * observed).sum() / (weights * expected).sum()


@settings(max_examples=50, deadline=None, database=None)
@given(pairs=st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4)), min_size=1, max_size=30))
def test_kappa_pct_change_and_unchanged_share_match_direct_computations(pairs):
    a = np.array([p[0] for p in pairs])
    b = np.array([p[1] for p in pairs])
    row = paired_statistics(np.zeros(len(a), dtype=int), a, b, 1, 5).iloc[0]
    fa, fb = np.bincount(a, minlength=5), np.bincount(b, minlength=5)
    assert row["pct_change"] == pytest.approx(np.abs(fa - fb).sum() / (2 * len(a)))
    assert row["unchanged_share"] == pytest.approx(np.mean(a == b))
    if len(set(a.tolist()) | set(b.tolist())) > 1:
        assert row["kappa_w"] == pytest.approx(quadratic_kappa_by_contingency_table(a, b, 5), abs=1e-9)
    else:
        assert math.isnan(row["kappa_w"])


@settings(max_examples=60, deadline=None, database=None)
@given(pairs=st.lists(st.tuples(st.integers(0, 8), st.integers(-3, 3)), min_size=1, max_size=70))
def test_wilcoxon_p_equals_scipy_wilcoxon_defaults(pairs):
    a = np.array([p[0] for p in pairs])
    b = np.clip(a + np.array([p[1] for p in pairs]), 0, 8)
    got = wilcoxon_p(np.zeros(len(a), dtype=int), a, b, 1, 9)[0]
    if np.all(a == b):
        assert got == 1.0       # documented choice: no change at all gives p = 1
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = wilcoxon(a, b).pvalue
    assert got == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_wilcoxon_exact_without_ties_matches_scipy_on_a_wide_scale():
    rng = np.random.default_rng(7)
    a = rng.permutation(40)
    b = a + (np.arange(1, 41) * rng.choice([-1, 1], 40))      # 40 distinct |d| values: scipy's exact branch
    keep = (b >= 0) & (b < 100)
    a, b = a[keep], b[keep]
    got = wilcoxon_p(np.zeros(len(a), dtype=int), a, b, 1, 100)[0]
    assert got == pytest.approx(wilcoxon(a, b).pvalue, rel=1e-9)


def test_many_items_at_once_give_the_same_as_one_at_a_time():
    rng = np.random.default_rng(3)
    cells = rng.integers(0, 6, 300)
    a = rng.integers(0, 5, 300)
    b = np.clip(a + rng.integers(-1, 2, 300), 0, 4)
    together = paired_statistics(cells, a, b, 6, 5)
    for c in range(6):
        alone = paired_statistics(np.zeros((cells == c).sum(), dtype=int), a[cells == c], b[cells == c], 1, 5)
        pd.testing.assert_frame_equal(together.iloc[[c]].reset_index(drop=True), alone)


def test_stability_pairs_only_panelists_who_rated_the_item_in_both_rounds():
    frame = two_rounds({"A": [4, 4, NAN, 5, None]}, {"A": [4, 5, 3, NAN, 2]})
    row = analyse(frame, AnalysisConfig(1, 5)).stability.iloc[0]
    assert row["n_paired"] == 2
    assert row["unchanged_share"] == 0.5
    assert (row["from_round"], row["to_round"]) == (1, 2)


def test_stability_threshold_is_configurable():
    # 1 of 10 panelists moves: pct_change = 2/(2·10) = 0.1
    first, second = [4] * 10, [4] * 9 + [5]
    assert bool(stability_row(first, second, scale=(1, 5))["stable"]) is True
    assert bool(stability_row(first, second, scale=(1, 5), stability_threshold=0.05)["stable"]) is False


def test_sorted_pairing_gives_the_same_result_as_the_dense_lookup(monkeypatch):
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({
        "round": np.repeat([1, 2], 60), "item": np.tile(np.repeat(["A", "B", "C"], 20), 2),
        "panelist": np.tile([f"p{i}" for i in range(20)], 6), "rating": rng.integers(1, 6, 120).astype(float),
    })
    frame.loc[rng.choice(120, 15, replace=False), "rating"] = NAN
    dense = analyse(frame, AnalysisConfig(1, 5)).stability
    monkeypatch.setattr(analysis_module, "DENSE_PAIRING_LIMIT", 0)
    pd.testing.assert_frame_equal(analyse(frame, AnalysisConfig(1, 5)).stability, dense)
