"""Consensus rules as data: presets, validation messages, vectorised evaluation."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from delphi.stats import PRESETS, AnalysisConfig, ConfigError, RuleError, analyse, load_rule
from delphi.stats.rules import (
    ITEM_RULE_STATISTICS,
    ROUND_RULE_STATISTICS,
    RULE_STATISTICS,
    STABILITY_RULE_STATISTICS,
    read_rule_file,
)
from tests.stats.frames import ratings_frame

A, N, D = 5, 3, 1          # agree, neutral, disagree on 1-5 with bands 4-5 / 1-2


def mlm_outcome(ratings, comments=0):
    """Outcome under mlm-2021 for one item rated by len(ratings) panelists, ``comments`` of whom commented."""
    frame = ratings_frame({"A": ratings})
    frame["comment"] = ["please reword" if i < comments else "" for i in range(len(frame))]
    return analyse(frame, AnalysisConfig(1, 5, rule="mlm-2021")).items.loc[0, "outcome"]


def test_mlm_2021_rounding_12_of_14_agreeing_is_validated():
    # 1+MG MLM Delphi: 14 respondents, 12/14 = 85.7 % is reported as 86 % → validated
    assert mlm_outcome([A] * 12 + [N] * 2) == "validated"


def test_mlm_2021_rounding_11_of_14_without_disagreement_is_validated():
    # 11/14 = 78.6 % is reported as 79 %, and no "disagree" → validated
    assert mlm_outcome([A] * 11 + [N] * 3) == "validated"


def test_mlm_2021_rounding_11_of_14_with_one_disagree_and_a_comment_is_reformulated():
    # 1/14 = 7.1 % disagreement (≥ 7 %) with suggestions → reformulate
    assert mlm_outcome([A] * 11 + [N] * 2 + [D], comments=1) == "reformulated"


def test_mlm_2021_without_suggestions_the_item_is_reevaluated():
    assert mlm_outcome([A] * 11 + [N] * 2 + [D]) == "reevaluate"
    assert mlm_outcome([A] * 10 + [N] * 4) == "reevaluate"


def test_mlm_2021_10_of_14_is_not_enough_even_without_disagreement():
    assert mlm_outcome([A] * 10 + [N] * 4, comments=3) == "reevaluate"


def test_every_preset_cites_a_source_and_round_trips_through_its_json_form():
    assert set(PRESETS) == {"mlm-2021", "comet-70-15", "median-iqr", "rand-ucla", "apmo"}
    for name, rule in PRESETS.items():
        assert rule.source and rule.name == name
        assert load_rule(json.loads(json.dumps(rule.to_dict()))) == rule


def test_comet_70_15_on_a_1_to_9_scale():
    frame = ratings_frame({
        "in": [8] * 7 + [5] * 2 + [2],          # 70 % rate 7-9, 10 % rate 1-3
        "out": [2] * 7 + [5] * 2 + [8],
        "split": [8] * 7 + [2] * 2 + [5],       # 70 % in, but 20 % rate 1-3
    })
    outcomes = analyse(frame, AnalysisConfig(1, 9, rule="comet-70-15")).items.set_index("item")["outcome"]
    assert outcomes.to_dict() == {"in": "consensus_in", "out": "consensus_out", "split": "no_consensus"}


def test_median_iqr_preset():
    frame = ratings_frame({"tight": [4, 4, 4, 5, 5], "wide": [1, 3, 4, 5, 5], "low": [2, 2, 3, 3, 3]})
    outcomes = analyse(frame, AnalysisConfig(1, 5, rule="median-iqr")).items.set_index("item")["outcome"]
    assert outcomes.to_dict() == {"tight": "consensus", "wide": "no_consensus", "low": "no_consensus"}


def test_presets_refuse_a_scale_they_were_not_defined_for():
    with pytest.raises(ConfigError, match=r"comet-70-15.*1-9 scale, not 1-5"):
        AnalysisConfig(1, 5, rule="comet-70-15")
    with pytest.raises(ConfigError, match="agree band 7-9, not 6-9"):
        AnalysisConfig(1, 9, agree=(6, 9), rule="comet-70-15")


def test_a_preset_supplies_its_bands_by_default():
    config = AnalysisConfig(1, 9, rule="comet-70-15")
    assert (config.agree, config.disagree) == ((7, 9), (1, 3))


def test_round_specific_thresholds_through_a_round_condition():
    # e.g. 50 % in round 1 and 70 % afterwards (COMET studies with round-specific thresholds)
    rule = load_rule({
        "name": "comet-50-then-70", "source": "test",
        "clauses": [
            {"when": {"round": ["==", 1], "agree_pct": [">=", 0.5], "disagree_pct": ["<", 0.15]}, "outcome": "in"},
            {"when": {"round": [">=", 2], "agree_pct": [">=", 0.7], "disagree_pct": ["<", 0.15]}, "outcome": "in"},
        ],
        "otherwise": "none",
    })
    frame = pd.concat([ratings_frame({"A": [8] * 6 + [5] * 4}, 1), ratings_frame({"A": [8] * 6 + [5] * 4}, 2)])
    items = analyse(frame, AnalysisConfig(1, 9, rule=rule)).items
    assert items["outcome"].tolist() == ["in", "none"]


def test_clauses_are_tried_in_order_and_the_first_that_holds_wins():
    rule = load_rule({"name": "order", "source": "test", "otherwise": "c",
                      "clauses": [{"when": {"median": [">=", 4]}, "outcome": "a"},
                                  {"when": {"median": [">=", 2]}, "outcome": "b"}]})
    table = pd.DataFrame({"median": [5, 3, 1, np.nan]})
    assert rule.evaluate(table).tolist() == ["a", "b", "c", "c"]


def test_two_bounds_on_one_statistic_and_every_operator():
    rule = load_rule({"name": "band", "source": "test", "otherwise": "out",
                      "clauses": [{"when": {"median": [[">", 3], ["<=", 6]], "iqr": ["!=", 2]}, "outcome": "mid"},
                                  {"when": {"median": ["<", 2]}, "outcome": "low"},
                                  {"when": {"median": ["==", 9]}, "outcome": "top"}]})
    table = pd.DataFrame({"median": [3, 4, 6, 6, 1, 9], "iqr": [0, 0, 0, 2, 0, 0]})
    assert rule.evaluate(table).tolist() == ["out", "mid", "mid", "out", "low", "top"]
    assert load_rule(rule.to_dict()) == rule


def test_decided_defaults_to_every_clause_outcome():
    rule = load_rule({"name": "r", "source": "s", "otherwise": "open",
                      "clauses": [{"when": {"agree_pct": [">=", 0.8]}, "outcome": "in"},
                                  {"when": {"disagree_pct": [">=", 0.8]}, "outcome": "out"}]})
    assert rule.decided == ("in", "out")
    assert rule.outcomes == ("in", "out", "open")


@pytest.mark.parametrize(("rule", "message"), [
    ({"name": "x", "clauses": [], }, "rule 'x': missing 'otherwise'"),
    ({"name": "x", "otherwise": "o", "clauses": [{"when": {"agree_pct": [">=", 0.5]}, "outcome": "a"},
                                                  {"when": {"agreement": [">=", 0.5]}, "outcome": "b"}]},
     "rule 'x', clause 2: unknown statistic 'agreement'"),
    ({"name": "x", "otherwise": "o", "clauses": [{"when": {"agree_pct": ["=>", 0.5]}, "outcome": "a"}]},
     "rule 'x', clause 1: unknown operator '=>'"),
    ({"name": "x", "otherwise": "o", "clauses": [{"when": {"agree_pct": [">=", "high"]}, "outcome": "a"}]},
     "rule 'x', clause 1: 'agree_pct' is compared with 'high', which is neither a number nor a statistic"),
    ({"name": "x", "otherwise": "o", "clauses": [{"when": {}, "outcome": "a"}]},
     "rule 'x', clause 1: 'when' must be an object with at least one condition"),
    ({"name": "x", "otherwise": "o", "clauses": [{"when": {"n": [">", 1]}}]},
     "rule 'x', clause 1: 'outcome' must be a non-empty string"),
    ({"name": "x", "otherwise": "o", "clauses": [], "decided": ["validated"]},
     "rule 'x': 'decided' names outcome(s) the rule never gives: validated"),
    ({"name": "x", "otherwise": "o", "clauses": [], "otherwize": "p"}, "rule 'x': unknown key(s) 'otherwize'"),
])
def test_invalid_rules_are_refused_with_a_message_naming_the_clause(rule, message):
    with pytest.raises(RuleError) as info:
        load_rule(rule)
    assert str(info.value).startswith(message)
    assert "\n" not in str(info.value)


def test_unknown_rule_name_and_bad_json_file(tmp_path):
    with pytest.raises(RuleError, match="unknown rule 'mlm-2020': not a preset"):
        load_rule("mlm-2020")
    bad = tmp_path / "rule.json"
    bad.write_text('{"name": "x", "otherwise": }')
    with pytest.raises(RuleError, match="not valid JSON"):
        read_rule_file(bad)


def test_rule_from_a_json_file_takes_its_name_from_the_file(tmp_path):
    path = tmp_path / "my-rule.json"
    path.write_text(json.dumps({"source": "protocol v2", "otherwise": "no",
                                "clauses": [{"when": {"agree_pct": [">=", 0.75]}, "outcome": "yes"}]}))
    rule = read_rule_file(str(path))
    assert rule.name == "my-rule" and rule.decided == ("yes",)


def test_every_per_item_rule_statistic_is_a_column_of_the_items_table():
    items = analyse(ratings_frame({"A": [4, 5]}), AnalysisConfig(1, 5)).items
    assert set(ITEM_RULE_STATISTICS) <= set(items.columns)
    assert set(RULE_STATISTICS) == set(ITEM_RULE_STATISTICS) | set(ROUND_RULE_STATISTICS) | set(
        STABILITY_RULE_STATISTICS)
