"""Per-item statistics against published worked examples and independent computations."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import binomtest

from delphi.stats import AnalysisConfig, analyse
from delphi.stats.descriptive import quantiles_from_counts, wilson_interval
from tests.stats.frames import NAN, ratings_frame


def item_row(frame, config, item="A", round_no=1):
    items = analyse(frame, config).items
    return items[(items["item"] == item) & (items["round"] == round_no)].iloc[0]


def test_rand_ucla_ipras_worked_example_bmj_open_2012():
    # BMJ Open 2012;2:e001431, Table 1: 15 ratings {4, 5, 6, 7×5, 8×5, 9×2} on the 1-9 scale →
    # median 7, P30 7, P70 8, IPR 1, IPRCP 7.5, AI 2.5, IPRAS 6.1 (= 2.35 + 1.5·2.5), no disagreement.
    ratings = [4, 5, 6] + [7] * 5 + [8] * 5 + [9] * 2
    row = item_row(ratings_frame({"A": ratings}), AnalysisConfig(1, 9, rule="rand-ucla"))
    assert row["median"] == 7
    assert (row["p30"], row["p70"], row["ipr"], row["iprcp"]) == (7, 8, 1, 7.5)
    assert row["ai"] == pytest.approx(2.5)
    assert row["ipras"] == pytest.approx(6.1)
    assert row["di"] == pytest.approx(1 / 6.1)
    assert row["outcome"] == "appropriate"


def test_rand_ucla_disagreement_makes_a_high_median_uncertain():
    # Polarised panel: P30 = 1, P70 = 9 → IPR 8 > IPRAS 2.35 (AI 0): disagreement, so not "appropriate".
    row = item_row(ratings_frame({"A": [1, 1, 1, 1, 9, 9, 9, 9, 9]}), AnalysisConfig(1, 9, rule="rand-ucla"))
    assert row["median"] == 9 and row["di"] > 1
    assert row["outcome"] == "uncertain"


def test_ai_uses_the_scale_midpoint_on_other_scales():
    row = item_row(ratings_frame({"A": [4, 4, 5, 5]}), AnalysisConfig(1, 5))
    assert row["iprcp"] == pytest.approx((row["p30"] + row["p70"]) / 2)
    assert row["ai"] == pytest.approx(abs(3 - row["iprcp"]))


def test_wilson_interval_matches_newcombe_1998_table_ii():
    # Newcombe 1998, Stat Med 17:857-872, Table II, method 3 (score interval without continuity correction).
    k = np.array([81, 15, 0, 1])
    n = np.array([263, 148, 20, 29])
    low, high = wilson_interval(k, n)
    assert np.round(low, 4).tolist() == [0.2553, 0.0624, 0.0, 0.0061]
    assert np.round(high, 4).tolist() == [0.3662, 0.1605, 0.1611, 0.1718]


def test_wilson_interval_matches_the_formula_by_hand_and_scipy():
    # Wilson 1927: (p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n), here for 12 of 14 panelists.
    k, n, z = 12, 14, 1.959963984540054
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    low, high = wilson_interval(np.array([k]), np.array([n]))
    assert (low[0], high[0]) == (pytest.approx(centre - half, abs=1e-12), pytest.approx(centre + half, abs=1e-12))
    ci = binomtest(k, n).proportion_ci(method="wilson")
    assert (low[0], high[0]) == (pytest.approx(ci.low, abs=1e-12), pytest.approx(ci.high, abs=1e-12))


def test_agreement_columns_and_wilson_bounds_through_the_engine():
    row = item_row(ratings_frame({"A": [5, 5, 4, 4, 4, 4, 5, 4, 3, 4, 5, 4, 2, 4]}), AnalysisConfig(1, 5))
    assert (row["n"], row["agree_pct"], row["neutral_pct"], row["disagree_pct"]) == (14, 12 / 14, 1 / 14, 1 / 14)
    ci = binomtest(12, 14).proportion_ci(method="wilson")
    assert row["agree_ci_low"] == pytest.approx(ci.low) and row["agree_ci_high"] == pytest.approx(ci.high)
    assert row["counts"] == {"1": 0, "2": 1, "3": 1, "4": 8, "5": 4}


def test_mean_sd_cv_mode_use_sample_sd_and_lowest_mode():
    values = [1, 2, 2, 4, 4, 5]
    row = item_row(ratings_frame({"A": values}), AnalysisConfig(1, 5))
    assert row["mean"] == pytest.approx(np.mean(values))
    assert row["sd"] == pytest.approx(np.std(values, ddof=1))
    assert row["cv"] == pytest.approx(np.std(values, ddof=1) / np.mean(values))
    assert row["mode"] == 2


def test_abstentions_are_counted_but_never_scored():
    row = item_row(ratings_frame({"A": [5, NAN, 4, NAN, 1]}), AnalysisConfig(1, 5))
    assert (row["n"], row["n_abstain"]) == (3, 2)
    assert row["agree_pct"] == pytest.approx(2 / 3)
    assert row["mean"] == pytest.approx(10 / 3)


def test_an_item_nobody_could_rate_has_no_statistics_and_falls_to_otherwise():
    row = item_row(ratings_frame({"A": [NAN, NAN]}), AnalysisConfig(1, 5))
    assert (row["n"], row["n_abstain"]) == (0, 2)
    assert math.isnan(row["median"]) and math.isnan(row["agree_pct"])
    assert row["outcome"] == "reevaluate"


def test_weibull_quartiles_differ_from_linear_on_small_panels():
    # SPSS (type 6) and numpy's default (type 7) disagree on four ratings 1, 2, 4, 5.
    frame = ratings_frame({"A": [1, 2, 4, 5]})
    linear = item_row(frame, AnalysisConfig(1, 5, quartiles="linear"))
    weibull = item_row(frame, AnalysisConfig(1, 5, quartiles="weibull"))
    assert (linear["q1"], linear["q3"]) == (1.75, 4.25)
    assert (weibull["q1"], weibull["q3"]) == (1.25, 4.75)


@settings(max_examples=60, deadline=None, database=None)
@given(ratings=st.lists(st.integers(1, 7), min_size=1, max_size=40),
       method=st.sampled_from(["linear", "weibull"]),
       p=st.sampled_from([0.25, 0.3, 0.5, 0.7, 0.75]))
def test_quantiles_from_counts_equal_numpy_quantile(ratings, method, p):
    counts = np.bincount(np.array(ratings) - 1, minlength=7)[None, :]
    got = quantiles_from_counts(counts, p, method, scale_min=1)[0]
    assert got == pytest.approx(np.quantile(ratings, p, method=method), abs=1e-9)


def test_quantiles_are_free_of_floating_point_fuzz():
    # Type 6 puts P30 of 9 ratings at (9+1)·0.3 - 1, which is 1.9999999999999996 in floating point: numpy
    # returns 2.9999999999999996 for [1, 2, 3, 4, 5, 5, 5, 5, 5]; the exact value is the 3rd rating, 3.
    ratings = [1, 2, 3, 4, 5, 5, 5, 5, 5]
    assert np.quantile(ratings, 0.3, method="weibull") != 3.0
    counts = np.bincount(np.array(ratings) - 1, minlength=5)[None, :]
    assert quantiles_from_counts(counts, 0.3, "weibull", 1)[0] == 3.0
