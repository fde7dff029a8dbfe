"""Consensus statistics for Delphi studies: pure functions over numpy/pandas (no Flask, no database).

    from delphi.stats import AnalysisConfig, analyse, read_ratings
    config = AnalysisConfig.from_strings("1-5", agree="4-5", rule="mlm-2021")
    result = analyse(read_ratings("ratings.csv"), config)
    result.items, result.stability, result.panel, result.groups, result.to_dict()

See docs/STATS.md for the input format, every output column, the rule format and the presets.
"""
from __future__ import annotations

from delphi.stats.analysis import Analysis, analyse
from delphi.stats.config import AnalysisConfig, parse_range
from delphi.stats.errors import ConfigError, RatingsError, RuleError, StatsInputError
from delphi.stats.ratings import validate_ratings
from delphi.stats.readers import ReadOptions, read_ratings
from delphi.stats.rules import PRESETS, ConsensusRule, load_rule

__all__ = [
    "PRESETS", "Analysis", "AnalysisConfig", "ConfigError", "ConsensusRule", "RatingsError", "ReadOptions", "RuleError",
    "StatsInputError", "analyse", "load_rule", "parse_range", "read_ratings", "validate_ratings",
]
