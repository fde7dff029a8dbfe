"""Convergence over time from an answer history, against values computed by hand.

The history (1-5 scale, agree 4-5, disagree 1-2, linear quartiles), minutes after 09:00 UTC:
    0   E1 A=4, E2 A=2 (the same moment)      30  E2 B=3
    10  E1 B=5                                60  E2 A=4 (a revision: 2 → 4)
    20  E3 A=unable                           90  E3 A=5 (a revision: unable → 5)
    120 E1 A=4 (saved again, unchanged: not a revision; E1 never revises)
Five moments: 0, 30, 60, 90, 120.
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

import pandas as pd
import pytest

from delphi.stats import AnalysisConfig
from delphi.stats.convergence import convergence, first_last, moments

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=timezone.utc)
CONFIG = AnalysisConfig.from_strings("1-5", agree="4-5", disagree="1-2")
HISTORY = [(0, "E1", "A", 4), (0, "E2", "A", 2), (10, "E1", "B", 5), (20, "E3", "A", None), (30, "E2", "B", 3),
           (60, "E2", "A", 4), (90, "E3", "A", 5), (120, "E1", "A", 4)]


def events(rows=HISTORY) -> pd.DataFrame:
    return pd.DataFrame([{"time": T0 + timedelta(minutes=m), "panelist": p, "item": i, "value": v}
                         for m, p, i, v in rows])


def item_series(result, item: str, column: str) -> list:
    rows = result.items[result.items["item"] == item].sort_values("moment")
    return rows[column].tolist()


def test_moments_are_evenly_spaced_from_the_first_answer_to_the_end():
    result = convergence(events(), CONFIG, end=T0 + timedelta(minutes=120), points=5)
    assert [t.to_pydatetime() for t in result.moments] == [T0 + timedelta(minutes=m) for m in (0, 30, 60, 90, 120)]
    assert list(moments(0, 10, 3)) == [0, 5, 10]


def test_each_items_series_takes_every_experts_latest_answer_at_each_moment():
    result = convergence(events(), CONFIG, end=T0 + timedelta(minutes=120), points=5)
    # A: {2,4} → {2,4} + unable → {4,4} + unable → {4,4,5} → {4,4,5}
    assert item_series(result, "A", "n") == [2, 2, 2, 3, 3]
    assert item_series(result, "A", "n_abstain") == [0, 1, 1, 0, 0]
    assert item_series(result, "A", "agree_pct") == [0.5, 0.5, 1.0, 1.0, 1.0]
    assert item_series(result, "A", "median") == [3.0, 3.0, 4.0, 4.0, 4.0]
    assert item_series(result, "A", "q1") == [2.5, 2.5, 4.0, 4.0, 4.0]
    assert item_series(result, "A", "iqr") == [1.0, 1.0, 0.0, 0.5, 0.5]
    # B first appears at 30 (E1's 5 at 10 and E2's 3 at 30): {3,5}, median 4, IQR 4.5 - 3.5
    assert item_series(result, "B", "moment") == [1, 2, 3, 4]
    assert item_series(result, "B", "median") == [4.0] * 4
    assert item_series(result, "B", "iqr") == [1.0] * 4
    assert item_series(result, "B", "agree_pct") == [0.5] * 4


def test_panel_series_mean_agreement_iqr_kendall_and_share_revised():
    panel = convergence(events(), CONFIG, end=T0 + timedelta(minutes=120), points=5).panel
    assert panel["n_panelists"].tolist() == [2, 3, 3, 3, 3]
    assert panel["n_items"].tolist() == [1, 2, 2, 2, 2]
    assert panel["mean_agree_pct"].tolist() == [0.5, 0.5, 0.75, 0.75, 0.75]
    assert panel["mean_iqr"].tolist() == [1.0, 1.0, 0.5, 0.75, 0.75]
    # At 30 E1 (4, 5) and E2 (2, 3) both rank A below B: W = 12·2 / (2²·(2³-2)) = 1. From 60 E2 (4, 3) ranks
    # them the other way: rank sums 3 and 3, S = 0, W = 0. E3 (one rating) never counts.
    w = panel["kendall_w"].tolist()
    assert math.isnan(w[0]) and w[1:] == [1.0, 0.0, 0.0, 0.0]
    assert panel["kendall_m"].tolist() == [0, 2, 2, 2, 2]
    # E2 revised at 60, E3 at 90; E1's unchanged save at 120 is not a revision.
    assert panel["n_revised"].tolist() == [0, 0, 1, 2, 2]
    assert panel["revised_share"].tolist() == pytest.approx([0, 0, 1 / 3, 2 / 3, 2 / 3])


def test_revisions_per_item():
    rev = convergence(events(), CONFIG, end=T0 + timedelta(minutes=120), points=5).revisions.set_index("item")
    assert rev.loc["A"].tolist() == [6, 2, 2]   # answers, revisions, experts who revised
    assert rev.loc["B"].tolist() == [2, 0, 0]


def test_first_versus_last_uses_the_between_round_stability_measures():
    table = first_last(events(), CONFIG).set_index("item")
    # A: E1 4 → 4, E2 2 → 4; E3 left out (first answer unable). % change = (|0-1| + |2-1|) / (2·2) = 0.5;
    # one of two unchanged; kappa_w = 1 - 2 / (1 + 0 + 1) = 0; Wilcoxon on one non-zero difference: p = 1.
    a = table.loc["A"]
    assert (a["n_paired"], a["pct_change"], a["unchanged_share"], a["kappa_w"], a["wilcoxon_p"], a["stable"]) == \
        (2, 0.5, 0.5, 0.0, 1.0, False)
    b = table.loc["B"]
    assert (b["n_paired"], b["pct_change"], b["unchanged_share"], b["kappa_w"], b["stable"]) == (2, 0.0, 1.0, 1.0, True)


def test_answers_after_the_end_are_left_out_and_a_later_answer_at_the_same_moment_wins():
    rows = [*HISTORY, (45, "E4", "B", 1), (45, "E4", "B", 4)]
    result = convergence(events(rows), CONFIG, end=T0 + timedelta(minutes=60), points=3)  # moments 0, 30, 60
    assert item_series(result, "B", "n") == [2, 3]
    assert item_series(result, "B", "agree_pct") == pytest.approx([0.5, 2 / 3])   # E4's 4, not their 1
    assert item_series(result, "A", "n") == [2, 2, 2]                                # E3's 5 at 90 not yet
    assert result.revisions.set_index("item").loc["B", "n_revisions"] == 1


def test_a_single_moment_gives_the_final_statistics():
    result = convergence(events(), CONFIG, end=T0 + timedelta(minutes=120), points=1)
    assert len(result.moments) == 1
    assert item_series(result, "A", "n") == [3]
    assert item_series(result, "A", "median") == [4.0]
    assert result.panel["revised_share"].tolist() == pytest.approx([2 / 3])
    once = convergence(events(HISTORY[:2]), CONFIG)   # two answers at the same instant: one moment
    assert len(once.moments) == 1 and item_series(once, "A", "agree_pct") == [0.5]


def test_unable_to_rate_alone_gives_no_agreement_and_no_history_gives_empty_tables():
    only_unable = convergence(events([(0, "E1", "A", None), (5, "E2", "A", None)]), CONFIG, points=2)
    assert item_series(only_unable, "A", "n") == [0, 0]
    assert item_series(only_unable, "A", "n_abstain") == [1, 2]
    assert all(math.isnan(x) for x in item_series(only_unable, "A", "agree_pct"))
    assert math.isnan(only_unable.panel["mean_agree_pct"].iloc[-1])
    empty = convergence(events([]).reindex(columns=["time", "panelist", "item", "value"]), CONFIG)
    assert empty.items.empty and empty.panel.empty and empty.first_last.empty


def test_answers_off_the_scale_or_several_questions_are_refused():
    with pytest.raises(ValueError):
        convergence(events([(0, "E1", "A", 6)]), CONFIG)
    two = events().assign(question=["agreement"] * 7 + ["importance"])
    with pytest.raises(ValueError):
        convergence(two, CONFIG)
