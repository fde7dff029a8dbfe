"""Exceptions for a user's mistake: each carries one clear line, never a traceback's worth."""
from __future__ import annotations


class StatsInputError(ValueError):
    """Base of every input error raised by delphi.stats; the message is one line meant for a person."""


class RatingsError(StatsInputError):
    """The ratings table is unusable: missing column, bad value, duplicate, empty or missing file."""


class RuleError(StatsInputError):
    """A consensus rule is unknown or malformed."""


class ConfigError(StatsInputError):
    """The analysis settings (scale, bands, quartile method, ...) are inconsistent."""
