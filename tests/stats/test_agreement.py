"""Panel agreement (Kendall's W, Krippendorff's alpha) and group differences (Kruskal-Wallis)."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.stats import friedmanchisquare, kruskal

from delphi.stats import AnalysisConfig, analyse
from delphi.stats.agreement import kendall_w, krippendorff_alpha, kruskal_from_counts
from tests.stats.frames import NAN

# Krippendorff 2011, "Computing Krippendorff's alpha-reliability" (Annenberg School, U Penn), section C:
# 4 observers × 12 units, values 1-5, "." missing → nominal 0.743, ordinal 0.815, interval 0.849.
KRIPPENDORFF_2011 = {
    "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    "C": [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
}

# Anxiety ratings of 20 subjects by 3 raters (irr::anxiety; DescTools::KendallW example, whose documented
# result with tie correction is W = 0.5396569).
ANXIETY = [
    [3, 3, 3, 4, 5, 5, 2, 3, 5, 2, 2, 6, 1, 5, 2, 2, 1, 2, 4, 3],
    [3, 6, 4, 6, 2, 4, 2, 4, 3, 3, 2, 3, 3, 3, 2, 2, 1, 3, 3, 4],
    [2, 1, 4, 4, 3, 2, 1, 6, 1, 1, 1, 2, 3, 3, 1, 1, 3, 3, 2, 2],
]


def krippendorff_frame() -> pd.DataFrame:
    rows = [{"round": 1, "item": f"u{unit + 1:02d}", "panelist": coder, "rating": value}
            for coder, values in KRIPPENDORFF_2011.items() for unit, value in enumerate(values) if value is not None]
    return pd.DataFrame(rows)


def test_krippendorff_2011_ordinal_alpha_through_the_engine():
    panel = analyse(krippendorff_frame(), AnalysisConfig(1, 5)).panel
    assert round(panel.loc[0, "krippendorff_alpha"], 3) == 0.815


def test_krippendorff_2011_nominal_and_interval_alpha_from_value_counts():
    # value counts built here, independently of the engine: units × values 1..5
    counts = np.zeros((12, 5))
    for values in KRIPPENDORFF_2011.values():
        for unit, value in enumerate(values):
            if value is not None:
                counts[unit, value - 1] += 1
    values = [1, 2, 3, 4, 5]
    assert round(krippendorff_alpha(counts, values, "nominal"), 3) == 0.743
    assert round(krippendorff_alpha(counts, values, "ordinal"), 3) == 0.815
    assert round(krippendorff_alpha(counts, values, "interval"), 3) == 0.849


def test_krippendorff_alpha_is_missing_when_no_unit_has_two_ratings():
    assert math.isnan(krippendorff_alpha(np.array([[1, 0, 0], [0, 1, 0]]), [1, 2, 3]))


def test_kendall_w_anxiety_example_with_tie_correction():
    result = kendall_w(np.array(ANXIETY))
    assert result.w == pytest.approx(0.5396569, abs=1e-7)
    assert (result.m, result.n) == (3, 20)
    assert result.chi2 == pytest.approx(3 * 19 * result.w)


def test_kendall_w_proofwiki_example_without_ties():
    # ProofWiki, "Kendall's Coefficient of Concordance/Examples/Arbitrary Example 1": judges A-D rank X, Y, Z
    # as (1,3,2), (1,2,3), (2,3,1), (3,1,2) → W = 1/16.
    assert kendall_w(np.array([[1, 3, 2], [1, 2, 3], [2, 3, 1], [3, 1, 2]])).w == pytest.approx(1 / 16)


def test_kendall_w_is_one_for_identical_orderings_and_undefined_for_one_rater():
    assert kendall_w(np.array([[1, 2, 3, 4], [2, 3, 4, 5]])).w == pytest.approx(1.0)
    assert math.isnan(kendall_w(np.array([[1, 2, 3]])).w)


@settings(max_examples=50, deadline=None, database=None)
@given(data=st.data(), m=st.integers(2, 9), n=st.integers(3, 8))
def test_kendall_chi2_equals_scipy_friedman_with_panelists_as_blocks(data, m, n):
    x = np.array(data.draw(st.lists(st.lists(st.integers(1, 5), min_size=n, max_size=n), min_size=m, max_size=m)))
    assume(any(len(set(row)) > 1 for row in x))
    result = kendall_w(x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        friedman = friedmanchisquare(*x.T)
    assert result.chi2 == pytest.approx(friedman.statistic, rel=1e-9)
    assert result.w == pytest.approx(friedman.statistic / (m * (n - 1)), rel=1e-9)
    assert result.p == pytest.approx(friedman.pvalue, rel=1e-9)
    assert 0 <= result.w <= 1


def test_kendall_w_in_the_panel_uses_only_panelists_who_rated_every_item():
    rows = []
    for p, ratings in enumerate(ANXIETY):
        rows += [{"round": 1, "item": f"s{i:02d}", "panelist": f"r{p}", "rating": r} for i, r in enumerate(ratings)]
    rows += [{"round": 1, "item": "s00", "panelist": "late", "rating": 5},          # rated one item only
             {"round": 1, "item": "s01", "panelist": "late", "rating": NAN}]        # and abstained on another
    panel = analyse(pd.DataFrame(rows), AnalysisConfig(1, 6, kendall="complete")).panel.iloc[0]
    assert panel["kendall_m"] == 3 and panel["n_panelists"] == 4 and panel["kendall_excluded"] == 1
    assert panel["kendall_w"] == pytest.approx(0.5396569, abs=1e-7)
    assert panel["kendall_chi2"] == pytest.approx(3 * 19 * panel["kendall_w"])


@settings(max_examples=50, deadline=None, database=None)
@given(samples=st.lists(st.lists(st.integers(1, 5), min_size=1, max_size=9), min_size=2, max_size=4))
def test_kruskal_from_counts_equals_scipy_kruskal(samples):
    counts = np.stack([np.bincount(np.array(s) - 1, minlength=5) for s in samples])[None]
    h, p = kruskal_from_counts(counts)
    flat = [v for s in samples for v in s]
    if len(set(flat)) == 1:
        assert math.isnan(p[0])
        return
    expected = kruskal(*samples)
    assert h[0] == pytest.approx(expected.statistic, rel=1e-9)
    assert p[0] == pytest.approx(expected.pvalue, rel=1e-9)


def test_groups_table_and_kruskal_p_on_the_items_table():
    x = [5, 5, 4, 5, 4]
    y = [1, 2, 2, 1, 3]
    frame = pd.DataFrame({
        "round": 1, "item": "A", "panelist": [f"p{i}" for i in range(10)], "rating": x + y,
        "group": ["clinicians"] * 5 + ["patients"] * 5,
    })
    result = analyse(frame, AnalysisConfig(1, 5))
    assert result.items.loc[0, "kruskal_p"] == pytest.approx(kruskal(x, y).pvalue)
    groups = result.groups.set_index("group")
    assert list(result.groups.columns[:4]) == ["round", "item", "group", "n"]
    assert groups.loc["clinicians", "agree_pct"] == 1.0 and groups.loc["patients", "agree_pct"] == 0.0
    assert groups.loc["clinicians", "outcome"] == "validated"


def test_without_a_group_column_groups_is_empty_and_kruskal_p_missing():
    result = analyse(pd.DataFrame({"round": 1, "item": "A", "panelist": ["a", "b"], "rating": [4, 5]}),
                     AnalysisConfig(1, 5))
    assert result.groups.empty
    assert math.isnan(result.items.loc[0, "kruskal_p"])
