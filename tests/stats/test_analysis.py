"""The whole analysis: table shapes, the panel table and stopping verdicts, and invariants (hypothesis)."""
from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from delphi.stats import Analysis, AnalysisConfig, RatingsError, analyse
from tests.stats.frames import NAN, ratings_frame, two_rounds

ITEM_COLUMNS = [
    "round", "item", "n", "n_abstain", "n_comments", "median", "q1", "q3", "iqr", "mean", "sd", "cv", "mode",
    "counts", "agree_pct", "neutral_pct", "disagree_pct", "n_agree", "n_neutral", "n_disagree", "agree_ci_low",
    "agree_ci_high", "p30", "p70", "ipr", "iprcp", "ai", "ipras", "di", "kruskal_p", "outcome",
]
STABILITY_COLUMNS = ["item", "from_round", "to_round", "n_paired", "pct_change", "unchanged_share", "wilcoxon_p",
                     "kappa_w", "stable"]
PANEL_COLUMNS = ["round", "n_panelists", "n_items", "response_rate", "kendall_w", "kendall_chi2", "kendall_p",
                 "kendall_m", "kendall_excluded", "kendall_method", "krippendorff_alpha", "n_validated", "n_reformulated", "n_reevaluate", "n_decided",
                 "n_undecided", "verdict", "verdict_reason", "verdict_text"]
MLM = AnalysisConfig(1, 5, rule="mlm-2021")


def test_tables_have_exactly_the_documented_columns():
    result = analyse(two_rounds({"A": [4, 5, 2], "B": [3, 3, 4]}, {"A": [4, 5, 4], "B": [3, 4, 4]}), MLM)
    assert list(result.items.columns) == ITEM_COLUMNS
    assert list(result.stability.columns) == STABILITY_COLUMNS
    assert list(result.panel.columns) == PANEL_COLUMNS
    assert len(result.items) == 4 and len(result.stability) == 2 and len(result.panel) == 2


def test_with_a_question_column_every_table_row_carries_the_question():
    frame = pd.DataFrame({
        "round": 1, "item": ["I.1"] * 4 + ["I.2"] * 2, "question": ["relevance", "relevance", "wording", "wording",
                                                                     "relevance", "relevance"],
        "panelist": ["a", "b", "a", "b", "a", "b"], "rating": [5, 4, 2, 2, 4, 4],
    })
    second = frame.assign(round=2)
    result = analyse(pd.concat([frame, second]), MLM)
    assert list(result.items.columns[:3]) == ["round", "item", "question"]
    assert result.items[["item", "question"]].drop_duplicates().values.tolist() == [
        ["I.1", "relevance"], ["I.1", "wording"], ["I.2", "relevance"]]
    assert list(result.stability.columns[:2]) == ["item", "question"]
    assert result.panel.loc[0, "n_items"] == 3


def test_comments_are_counted_per_item_and_blank_ones_ignored():
    frame = ratings_frame({"A": [4, 4, 5], "B": [2, 3, 3]})
    frame["comment"] = ["", "clearer please", "  ", "no", None, "ok"]
    items = analyse(frame, MLM).items.set_index("item")
    assert items.loc["A", "n_comments"] == 1 and items.loc["B", "n_comments"] == 2


def test_ratings_off_the_scale_are_refused_by_analyse():
    with pytest.raises(RatingsError, match="rating 7 is outside the scale 1-5"):
        analyse(ratings_frame({"A": [4, 7]}), MLM)


def test_response_rate_when_the_panel_size_is_given():
    panel = analyse(ratings_frame({"A": [4, 5, NAN]}), AnalysisConfig(1, 5, panel_size=21)).panel
    assert panel.loc[0, "n_panelists"] == 3
    assert panel.loc[0, "response_rate"] == pytest.approx(3 / 21)
    assert math.isnan(analyse(ratings_frame({"A": [4, 5]}), MLM).panel.loc[0, "response_rate"])


def test_outcome_counts_per_round():
    frame = ratings_frame({"A": [5] * 14, "B": [5] * 11 + [3] * 3, "C": [5] * 7 + [1] * 7})
    panel = analyse(frame, MLM).panel.iloc[0]
    assert (panel["n_validated"], panel["n_reformulated"], panel["n_reevaluate"]) == (2, 0, 1)
    assert (panel["n_decided"], panel["n_undecided"]) == (2, 1)


def verdicts(frame, config=MLM):
    return analyse(frame, config).panel[["verdict", "verdict_reason", "verdict_text"]].values.tolist()


def test_stop_when_all_items_are_decided():
    assert verdicts(ratings_frame({"A": [5, 5, 5], "B": [4, 4, 5]})) == [
        ["stop", "all_decided", "stop: all items decided"]]


def test_continue_after_round_one_with_undecided_items():
    assert verdicts(ratings_frame({"A": [5, 3, 3], "B": [4, 4, 5]})) == [
        ["continue", "undecided_unstable", "continue: 1 item undecided and not yet stable"]]


def test_stop_when_every_undecided_item_is_stable():
    same = {"A": [5, 3, 3, 3], "B": [1, 3, 5, 3]}
    assert verdicts(two_rounds(same, same))[1] == ["stop", "undecided_stable", "stop: all 2 undecided items stable"]


def test_continue_while_some_undecided_items_moved():
    first = {"A": [5, 3, 3, 3], "B": [1, 3, 5, 3], "C": [3, 3, 3, 3]}
    second = {"A": [5, 3, 3, 3], "B": [1, 3, 5, 3], "C": [1, 1, 3, 3]}
    assert verdicts(two_rounds(first, second))[1] == [
        "continue", "undecided_unstable", "continue: 3 items undecided, 1 of them not yet stable"]


def test_stop_at_the_maximum_number_of_rounds():
    first = {"A": [5, 3, 3, 3]}
    second = {"A": [1, 1, 3, 5]}
    assert verdicts(two_rounds(first, second), AnalysisConfig(1, 5, max_rounds=2))[1] == [
        "stop", "max_rounds", "stop: maximum of 2 rounds reached (1 item undecided)"]


def test_a_new_item_in_round_two_is_not_yet_stable():
    first = {"A": [5, 3, 3, 3]}
    second = {"A": [5, 3, 3, 3], "A2": [3, 3, 3, 3]}
    assert verdicts(two_rounds(first, second))[1][2] == "continue: 2 items undecided, 1 of them not yet stable"


def test_to_dict_is_json_ready_with_nulls_for_missing_values():
    result = analyse(two_rounds({"A": [4, NAN], "B": [NAN, NAN]}, {"A": [4, 5]}), MLM)
    data = result.to_dict()
    text = json.dumps(data, allow_nan=False)
    assert set(data) == {"meta", "items", "stability", "panel", "groups"}
    b = next(row for row in data["items"] if row["item"] == "B")
    assert b["median"] is None and b["mode"] is None and b["n_abstain"] == 2
    assert list(data["items"][0]) == ITEM_COLUMNS
    assert data["meta"]["quartiles"]["method"] == "linear"
    assert data["meta"]["rule"]["name"] == "mlm-2021"
    assert data["meta"]["bands"] == {"agree": [4, 5], "neutral": [3], "disagree": [1, 2]}
    assert '"counts": {"1": 0' in text.replace("'", '"')


def test_analysis_is_frozen():
    result = analyse(ratings_frame({"A": [4, 5]}), MLM)
    assert isinstance(result, Analysis)
    with pytest.raises(AttributeError):
        result.items = pd.DataFrame()  # type: ignore[misc]


# ---- properties ---------------------------------------------------------------------------------------------

CELL = st.sampled_from([None, NAN, 1, 2, 3, 4, 5])   # no row, "unable to rate", a rating


@st.composite
def datasets(draw):
    n_items = draw(st.integers(1, 4))
    n_panelists = draw(st.integers(1, 7))
    n_rounds = draw(st.integers(1, 2))
    rows = []
    for r in range(1, n_rounds + 1):
        for i in range(n_items):
            for p in range(n_panelists):
                value = draw(CELL)
                if value is not None:
                    rows.append({"round": r, "item": f"I{i}", "panelist": f"p{p}", "rating": value})
    if not rows:
        rows.append({"round": 1, "item": "I0", "panelist": "p0", "rating": draw(st.integers(1, 5))})
    return pd.DataFrame(rows)


def canonical(result: Analysis) -> dict[str, pd.DataFrame]:
    items = result.items.sort_values(["round", "item"]).reset_index(drop=True)
    stability = result.stability.sort_values(["from_round", "item"]).reset_index(drop=True)
    return {"items": items, "stability": stability, "panel": result.panel}


FAST = settings(max_examples=50, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(frame=datasets(), seed=st.integers(0, 2**16))
def test_renaming_and_reordering_panelists_changes_nothing(frame, seed):
    rng = np.random.default_rng(seed)
    names = frame["panelist"].unique()
    renamed = dict(zip(names, [f"x{v}" for v in rng.permutation(len(names))]))
    shuffled = frame.assign(panelist=frame["panelist"].map(renamed)).iloc[rng.permutation(len(frame))]
    before, after = canonical(analyse(frame, MLM)), canonical(analyse(shuffled, MLM))
    for name in before:
        pd.testing.assert_frame_equal(before[name], after[name], check_exact=False, rtol=1e-12)


@FAST
@given(frame=datasets())
def test_percentages_stay_in_0_1_and_w_in_0_1(frame):
    result = analyse(frame, MLM)
    for column in ["agree_pct", "neutral_pct", "disagree_pct", "agree_ci_low", "agree_ci_high"]:
        values = result.items[column].dropna()
        assert ((values >= 0) & (values <= 1)).all(), column
    rated = result.items[result.items["n"] > 0]
    total = rated["agree_pct"] + rated["neutral_pct"] + rated["disagree_pct"]
    assert np.allclose(total, 1.0)
    assert (rated["agree_ci_low"] <= rated["agree_pct"] + 1e-12).all()
    assert (rated["agree_pct"] <= rated["agree_ci_high"] + 1e-12).all()
    w = result.panel["kendall_w"].dropna()
    assert ((w >= 0) & (w <= 1)).all()
    for column in ["pct_change", "unchanged_share", "wilcoxon_p"]:
        values = result.stability[column].dropna().astype(float)
        assert ((values >= 0) & (values <= 1)).all(), column


@FAST
@given(value=st.integers(1, 5), n=st.integers(1, 12), items=st.integers(1, 3))
def test_identical_ratings_give_iqr_0_and_agreement_1_or_0(value, n, items):
    frame = ratings_frame({f"I{i}": [value] * n for i in range(items)})
    result = analyse(frame, MLM).items
    assert (result["iqr"] == 0).all() and (result["ipr"] == 0).all()
    assert (result["agree_pct"] == (1.0 if value >= 4 else 0.0)).all()
    assert (result["disagree_pct"] == (1.0 if value <= 2 else 0.0)).all()
    assert (result["median"] == value).all()


@FAST
@given(frame=datasets(), pick=st.integers(0, 10**6))
def test_adding_an_abstention_changes_n_abstain_only(frame, pick):
    before = analyse(frame, MLM)
    target = before.items.iloc[pick % len(before.items)]
    extra = pd.DataFrame([{"round": target["round"], "item": target["item"], "panelist": "newcomer", "rating": NAN}])
    after = analyse(pd.concat([frame, extra], ignore_index=True), MLM)
    expected = before.items.copy()
    expected.loc[pick % len(before.items), "n_abstain"] += 1
    pd.testing.assert_frame_equal(after.items, expected)
    pd.testing.assert_frame_equal(after.stability, before.stability)
    keep = ["kendall_w", "kendall_m", "krippendorff_alpha", "n_items", "verdict_text"]
    pd.testing.assert_frame_equal(after.panel[keep], before.panel[keep])
