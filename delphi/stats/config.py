"""Analysis settings: the scale, the agree/disagree bands, the consensus rule and the quartile method."""
from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from delphi.stats.errors import ConfigError
from delphi.stats.rules import DEFAULT_RULE, PRESETS, ConsensusRule, load_rule

QuartileMethod = Literal["linear", "weibull"]

#: How Kendall's W treats panelists who skipped an item: "complete" uses only those who rated every item
#: (Kendall & Babington Smith 1939); "skillings-mack" every panelist with 2+ ratings (Skillings & Mack 1981);
#: "auto" the first when nobody skipped, else the second.
KENDALL_METHODS: tuple[str, ...] = ("auto", "complete", "skillings-mack")
#: Krippendorff's alpha levels offered (ordinal is the default: Likert points are ordered, not equidistant).
ALPHA_LEVELS: tuple[str, ...] = ("ordinal", "interval")

#: Quartile methods offered, with the Hyndman & Fan (1996, Am Stat 50:361) type they implement.
QUARTILE_METHODS: Mapping[str, str] = {
    "linear": "Hyndman-Fan type 7, linear interpolation at (n-1)p (numpy's default, R's default)",
    "weibull": "Hyndman-Fan type 6, weighted average at (n+1)p (numpy method='weibull', SPSS, Minitab)",
}

MAX_SCALE_POINTS = 1001
_RANGE = re.compile(r"^\s*(-?\d+)\s*(?:-|–|—|\.\.|:|to)\s*(-?\d+)\s*$")


def parse_range(text: str | tuple[int, int] | list[int], what: str = "range") -> tuple[int, int]:
    """``"1-5"`` (also ``1..5``, ``1:5``, ``1–5``) → ``(1, 5)``; a single number ``"5"`` → ``(5, 5)``."""
    if isinstance(text, (tuple, list)):
        if len(text) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) for v in text):
            raise ConfigError(f"{what} must be two whole numbers, got {text!r}")
        return int(text[0]), int(text[1])
    if not isinstance(text, str):
        raise ConfigError(f"{what} must be text like '1-5', got {text!r}")
    if re.fullmatch(r"\s*-?\d+\s*", text):
        return int(text), int(text)
    m = _RANGE.match(text)
    if not m:
        raise ConfigError(f"{what} {text!r} is not a range like '1-5'")
    return int(m.group(1)), int(m.group(2))


def default_agree_band(scale_min: int, scale_max: int) -> tuple[int, int]:
    """The top third of the scale, rounded up: 4-5 on 1-5, 5-7 on 1-7, 7-9 on 1-9, 3-4 on 1-4."""
    points = scale_max - scale_min + 1
    return scale_max - math.ceil(points / 3) + 1, scale_max


@dataclass(frozen=True)
class AnalysisConfig:
    """Everything the analysis needs besides the ratings.

    ``agree``/``disagree`` default to the rule's bands when it declares them, else ``agree`` is the top third
    of the scale and ``disagree`` its mirror image at the bottom; after construction both are always set.
    ``rule`` may be given as a preset name or a mapping (a file is read by ``rules.read_rule_file``). ``stability_threshold``: an item is
    stable between two rounds when ``pct_change`` < threshold (Scheibe, Skutsch & Schofer 1975: 15 %).
    """

    scale_min: int
    scale_max: int
    agree: tuple[int, int] | None = None
    disagree: tuple[int, int] | None = None
    rule: ConsensusRule = field(default_factory=lambda: PRESETS[DEFAULT_RULE])
    quartiles: QuartileMethod = "linear"
    panel_size: int | None = None
    max_rounds: int | None = None
    stability_threshold: float = 0.15
    kendall: str = "auto"
    kendall_max_excluded: float = 0.2
    alpha_level: str = "ordinal"

    def __post_init__(self) -> None:
        for name in ("scale_min", "scale_max"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ConfigError(f"{name} must be a whole number, got {value!r}")
        lo, hi = self.scale_min, self.scale_max
        if lo >= hi:
            raise ConfigError(f"the scale {lo}-{hi} needs at least two points (min < max)")
        if hi - lo + 1 > MAX_SCALE_POINTS:
            raise ConfigError(f"the scale {lo}-{hi} has more than {MAX_SCALE_POINTS} points")
        rule = load_rule(self.rule)
        object.__setattr__(self, "rule", rule)
        if rule.scale is not None and rule.scale != (lo, hi):
            raise ConfigError(f"rule {rule.name!r} is defined for a {rule.scale[0]}-{rule.scale[1]} scale, "
                              f"not {lo}-{hi}")
        agree = parse_range(self.agree, "agree band") if self.agree is not None else (
            rule.agree or default_agree_band(lo, hi))
        disagree = parse_range(self.disagree, "disagree band") if self.disagree is not None else (
            rule.disagree or (lo + hi - agree[1], lo + hi - agree[0]))
        for name, (a, b) in (("agree", agree), ("disagree", disagree)):
            if not (lo <= a <= b <= hi):
                raise ConfigError(f"the {name} band {a}-{b} must lie within the scale {lo}-{hi} with low <= high")
        if max(agree[0], disagree[0]) <= min(agree[1], disagree[1]):
            raise ConfigError(f"the agree band {agree[0]}-{agree[1]} and the disagree band "
                              f"{disagree[0]}-{disagree[1]} overlap")
        for name, band in (("agree", agree), ("disagree", disagree)):
            wanted = getattr(rule, name)
            if wanted is not None and wanted != band:
                raise ConfigError(f"rule {rule.name!r} needs the {name} band {wanted[0]}-{wanted[1]}, "
                                  f"not {band[0]}-{band[1]}")
        object.__setattr__(self, "agree", agree)
        object.__setattr__(self, "disagree", disagree)
        if self.quartiles not in QUARTILE_METHODS:
            raise ConfigError(f"quartile method {self.quartiles!r} is not one of {', '.join(QUARTILE_METHODS)}")
        for name in ("panel_size", "max_rounds"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise ConfigError(f"{name} must be a positive whole number, got {value!r}")
        t = self.stability_threshold
        if isinstance(t, bool) or not isinstance(t, (int, float)) or not 0 < t <= 1:
            raise ConfigError(f"stability threshold must be a fraction in (0, 1], got {t!r}")
        if self.kendall not in KENDALL_METHODS:
            raise ConfigError(f"Kendall method {self.kendall!r} is not one of {', '.join(KENDALL_METHODS)}")
        share = self.kendall_max_excluded
        if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 <= share <= 1:
            raise ConfigError(f"kendall_max_excluded must be a share in [0, 1], got {share!r}")
        if self.alpha_level not in ALPHA_LEVELS:
            raise ConfigError(f"Krippendorff's alpha level {self.alpha_level!r} is not one of "
                              f"{', '.join(ALPHA_LEVELS)}")

    @classmethod
    def from_strings(
        cls,
        scale: str,
        agree: str | None = None,
        disagree: str | None = None,
        rule: ConsensusRule | Mapping[str, Any] | str = DEFAULT_RULE,
        quartiles: str = "linear",
        panel_size: int | None = None,
        max_rounds: int | None = None,
        stability_threshold: float = 0.15,
        kendall: str = "auto",
        kendall_max_excluded: float = 0.2,
        alpha_level: str = "ordinal",
    ) -> AnalysisConfig:
        """Build from command-line style text: ``from_strings("1-5", agree="4-5", rule="mlm-2021")``."""
        lo, hi = parse_range(scale, "scale")
        return cls(
            scale_min=lo, scale_max=hi,
            agree=parse_range(agree, "agree band") if agree else None,
            disagree=parse_range(disagree, "disagree band") if disagree else None,
            rule=load_rule(rule), quartiles=quartiles,  # type: ignore[arg-type]
            panel_size=panel_size, max_rounds=max_rounds, stability_threshold=stability_threshold,
            kendall=kendall, kendall_max_excluded=kendall_max_excluded, alpha_level=alpha_level,
        )

    @property
    def values(self) -> range:
        """The scale points, lowest first."""
        return range(self.scale_min, self.scale_max + 1)

    @property
    def neutral(self) -> tuple[int, ...]:
        """Scale points in neither band."""
        a, d = self.agree, self.disagree
        assert a is not None and d is not None
        return tuple(v for v in self.values if not (a[0] <= v <= a[1] or d[0] <= v <= d[1]))

    @property
    def midpoint(self) -> float:
        """Centre of the scale, the reference of RAND/UCLA's asymmetry index (5 on 1-9)."""
        return (self.scale_min + self.scale_max) / 2
