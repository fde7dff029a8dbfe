"""Consensus rules as data: ordered clauses of conditions on per-item statistics, each leading to an outcome.

A rule is a JSON object (or the equivalent dict)::

    {"name": "...", "source": "citation",
     "clauses": [{"when": {"agree_pct": [">=", 0.855]}, "outcome": "validated"}, ...],
     "otherwise": "reevaluate",
     "decided": ["validated"]}

Clauses are tried in order; every condition of a clause must hold; the first clause that holds gives the
outcome, ``otherwise`` when none does. A condition is ``[operator, number]``, or a list of them when one
statistic is bounded twice (``"median": [[">=", 4], ["<=", 6]]``). A condition on a statistic that is missing
for an item (e.g. the median of an item nobody rated) never holds. Optional keys: ``description``,
``decided`` (outcomes that end the Delphi for an item; default: every clause outcome), and ``scale``,
``agree``, ``disagree`` (``[lo, hi]``: the rule only makes sense with these; the analysis refuses others and
uses them as default bands). Rules are evaluated with boolean masks over the whole items table at once.
"""
from __future__ import annotations

import json
import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from delphi.stats.errors import RuleError

OPERATORS: Mapping[str, Callable[[Any, Any], Any]] = MappingProxyType({
    ">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "==": operator.eq, "!=": operator.ne,
})

#: Per-item statistics a rule may test (columns of the ``items`` table), plus ``round``.
ITEM_RULE_STATISTICS: tuple[str, ...] = (
    "round", "n", "n_abstain", "n_comments", "median", "q1", "q3", "iqr", "mean", "sd", "cv", "mode",
    "agree_pct", "neutral_pct", "disagree_pct", "n_agree", "n_neutral", "n_disagree", "agree_ci_low",
    "agree_ci_high", "p30", "p70", "ipr", "iprcp", "ai", "ipras", "di", "kruskal_p",
)
#: Per-round statistics a rule may test: the round's position among the rated rounds (1, 2, ...; ``round`` is
#: its number), and the APMO cut-offs (Kapoor 1987) computed over all items of the round.
ROUND_RULE_STATISTICS: tuple[str, ...] = ("round_position", "apmo", "apmo_excl_neutral")
#: Stability against the previous rated round, on the panelists who rated the item in both (missing — so the
#: condition fails — in the first round and for an item new in this round). ``stable`` is 1 or 0.
STABILITY_RULE_STATISTICS: tuple[str, ...] = (
    "n_paired", "pct_change", "unchanged_share", "wilcoxon_p", "kappa_w", "stable")
RULE_STATISTICS: tuple[str, ...] = ITEM_RULE_STATISTICS + ROUND_RULE_STATISTICS + STABILITY_RULE_STATISTICS

#: Columns of the ``stability`` table a stability criterion may test.
STABILITY_STATISTICS: tuple[str, ...] = ("n_paired", "pct_change", "unchanged_share", "wilcoxon_p", "kappa_w")

MAX_CLAUSES = 200
"""Clauses per rule: published rules have 1-5; every study page evaluates or shows the rule."""
MAX_CONDITIONS = 20
"""Conditions per clause (a statistic bounded twice counts twice)."""
MAX_TEXT = 2000
"""Characters of a rule's name, source, description, outcome or note."""
MAX_RULE_FILE_BYTES = 1024 * 1024
"""The largest rule file `delphi analyse --rule FILE.json` reads (a rule of MAX_CLAUSES clauses is ~40 KB)."""

_RULE_KEYS = {"name", "source", "description", "clauses", "otherwise", "decided", "scale", "agree", "disagree"}
_CLAUSE_KEYS = {"when", "outcome", "note"}


def _numbers(table: pd.DataFrame, column: str) -> np.ndarray:
    return pd.to_numeric(table[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)


@dataclass(frozen=True)
class Condition:
    """``statistic operator value``, e.g. ``agree_pct >= 0.855``; the value may be another statistic of the same
    row (``agree_pct > apmo``)."""

    statistic: str
    op: str
    value: float | str

    def mask(self, table: pd.DataFrame) -> np.ndarray:
        """Boolean mask over the rows of ``table``; a missing statistic never satisfies a condition."""
        column = _numbers(table, self.statistic)
        other = _numbers(table, self.value) if isinstance(self.value, str) else self.value
        with np.errstate(invalid="ignore"):
            held = np.asarray(OPERATORS[self.op](column, other), dtype=bool) & ~np.isnan(column)
        return held & ~np.isnan(other) if isinstance(other, np.ndarray) else held

    def __str__(self) -> str:
        shown = self.value if isinstance(self.value, str) else f"{self.value:g}"
        return f"{self.statistic} {self.op} {shown}"


@dataclass(frozen=True)
class Clause:
    """All ``conditions`` hold → ``outcome``."""

    conditions: tuple[Condition, ...]
    outcome: str
    note: str = ""

    def mask(self, table: pd.DataFrame) -> np.ndarray:
        held = np.ones(len(table), dtype=bool)
        for condition in self.conditions:
            held &= condition.mask(table)
        return held

    def to_dict(self) -> dict[str, Any]:
        when: dict[str, Any] = {}
        for c in self.conditions:
            pair = [c.op, c.value if isinstance(c.value, str) else _plain_number(c.value)]
            if c.statistic not in when:
                when[c.statistic] = pair
            elif isinstance(when[c.statistic][0], str):
                when[c.statistic] = [when[c.statistic], pair]
            else:
                when[c.statistic].append(pair)
        out: dict[str, Any] = {"when": when, "outcome": self.outcome}
        if self.note:
            out["note"] = self.note
        return out


@dataclass(frozen=True)
class ConsensusRule:
    """An ordered list of clauses plus a fallback outcome; see the module docstring for the format."""

    name: str
    source: str
    clauses: tuple[Clause, ...]
    otherwise: str
    decided: tuple[str, ...]
    description: str = ""
    scale: tuple[int, int] | None = None
    agree: tuple[int, int] | None = None
    disagree: tuple[int, int] | None = None

    @property
    def outcomes(self) -> tuple[str, ...]:
        """Every outcome the rule can give, in clause order, ``otherwise`` last."""
        seen: dict[str, None] = {}
        for clause in self.clauses:
            seen.setdefault(clause.outcome, None)
        seen.setdefault(self.otherwise, None)
        return tuple(seen)

    @property
    def statistics(self) -> tuple[str, ...]:
        """The statistics the rule reads (compared ones included)."""
        names = [n for cl in self.clauses for c in cl.conditions
                 for n in (c.statistic, c.value) if isinstance(n, str)]
        return tuple(dict.fromkeys(names))

    def evaluate(self, items: pd.DataFrame) -> pd.Series:
        """Outcome of every row of ``items`` (vectorised: one boolean mask per clause, not a loop per item)."""
        missing = [s for s in self.statistics if s not in items.columns]
        if missing:
            raise RuleError(f"rule {self.name!r} needs column(s) {', '.join(missing)} that the table lacks")
        outcome = np.full(len(items), self.otherwise, dtype=object)
        open_ = np.ones(len(items), dtype=bool)
        for clause in self.clauses:
            hit = open_ & clause.mask(items)
            outcome[hit] = clause.outcome
            open_ &= ~hit
        return pd.Series(outcome, index=items.index, name="outcome", dtype=object)

    def to_dict(self) -> dict[str, Any]:
        """The rule in its JSON form (round-trips through :func:`load_rule`)."""
        out: dict[str, Any] = {"name": self.name, "source": self.source}
        if self.description:
            out["description"] = self.description
        for key in ("scale", "agree", "disagree"):
            value = getattr(self, key)
            if value is not None:
                out[key] = list(value)
        out["clauses"] = [c.to_dict() for c in self.clauses]
        out["otherwise"] = self.otherwise
        out["decided"] = list(self.decided)
        return out


def _plain_number(x: float) -> int | float:
    return int(x) if float(x).is_integer() else float(x)


def parse_conditions(when: Any, allowed: tuple[str, ...], where: str) -> tuple[Condition, ...]:
    """Parse a ``{"statistic": [op, value] | [[op, value], ...]}`` mapping; ``where`` names it in errors."""
    if not isinstance(when, Mapping) or not when:
        raise RuleError(f"{where}: 'when' must be an object with at least one condition, "
                        f'e.g. {{"agree_pct": [">=", 0.7]}}')
    out: list[Condition] = []
    if len(when) > MAX_CONDITIONS:
        raise RuleError(f"{where}: more than {MAX_CONDITIONS} conditions")
    for statistic, spec in when.items():
        if statistic not in allowed:
            raise RuleError(f"{where}: unknown statistic {statistic!r} (known: {', '.join(allowed)})")
        pairs = spec if (isinstance(spec, list) and spec and isinstance(spec[0], list)) else [spec]
        if len(out) + len(pairs) > MAX_CONDITIONS:
            raise RuleError(f"{where}: more than {MAX_CONDITIONS} conditions")
        for pair in pairs:
            if not isinstance(pair, list) or len(pair) != 2:
                raise RuleError(f"{where}: condition on {statistic!r} must be [operator, number], got {pair!r}")
            op, value = pair
            if op not in OPERATORS:
                raise RuleError(f"{where}: unknown operator {op!r} on {statistic!r} "
                                f"(use one of {', '.join(OPERATORS)})")
            if isinstance(value, str):
                if value not in allowed:
                    raise RuleError(f"{where}: {statistic!r} is compared with {value!r}, which is neither a number "
                                    f"nor a statistic (known: {', '.join(allowed)})")
                out.append(Condition(statistic, op, value))
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise RuleError(f"{where}: the value compared with {statistic!r} must be a finite number "
                                f"or a statistic's name, got {value!r}")
            out.append(Condition(statistic, op, float(value)))
    return tuple(out)


def _band(raw: Any, key: str, where: str) -> tuple[int, int] | None:
    if raw is None:
        return None
    if (not isinstance(raw, list) or len(raw) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in raw) or raw[0] > raw[1]):
        raise RuleError(f"{where}: {key!r} must be [low, high] with whole numbers, low <= high; got {raw!r}")
    return (raw[0], raw[1])


def parse_rule(data: Mapping[str, Any], default_name: str = "custom") -> ConsensusRule:
    """Validate a rule given as a mapping and build the :class:`ConsensusRule`."""
    if not isinstance(data, Mapping):
        raise RuleError(f"a consensus rule must be a JSON object, got {type(data).__name__}")
    name = data.get("name", default_name)
    if not isinstance(name, str) or not name.strip():
        raise RuleError("rule: 'name' must be a non-empty string")
    if len(name) > MAX_TEXT:
        raise RuleError(f"rule: 'name' is longer than {MAX_TEXT} characters")
    where = f"rule {name!r}"
    unknown = sorted(set(data) - _RULE_KEYS)
    if unknown:
        raise RuleError(f"{where}: unknown key(s) {', '.join(map(repr, unknown))} "
                        f"(allowed: {', '.join(sorted(_RULE_KEYS))})")
    source = data.get("source", "")
    description = data.get("description", "")
    if not isinstance(source, str) or not isinstance(description, str):
        raise RuleError(f"{where}: 'source' and 'description' must be strings")
    if max(len(source), len(description)) > MAX_TEXT:
        raise RuleError(f"{where}: 'source' and 'description' are at most {MAX_TEXT} characters each")
    if "otherwise" not in data:
        raise RuleError(f"{where}: missing 'otherwise' (the outcome when no clause holds)")
    otherwise = data["otherwise"]
    if not isinstance(otherwise, str) or not otherwise.strip():
        raise RuleError(f"{where}: 'otherwise' must be a non-empty string")
    raw_clauses = data.get("clauses")
    if not isinstance(raw_clauses, list):
        raise RuleError(f"{where}: 'clauses' must be a list of {{\"when\": ..., \"outcome\": ...}} objects")
    if len(raw_clauses) > MAX_CLAUSES:
        raise RuleError(f"{where}: more than {MAX_CLAUSES} clauses ({len(raw_clauses)}); the limit keeps every "
                        "page that shows or applies the rule fast")
    clauses: list[Clause] = []
    for i, raw in enumerate(raw_clauses, start=1):
        cwhere = f"{where}, clause {i}"
        if not isinstance(raw, Mapping):
            raise RuleError(f"{cwhere}: must be an object with 'when' and 'outcome'")
        extra = sorted(set(raw) - _CLAUSE_KEYS)
        if extra:
            raise RuleError(f"{cwhere}: unknown key(s) {', '.join(map(repr, extra))} (allowed: when, outcome, note)")
        outcome = raw.get("outcome")
        if not isinstance(outcome, str) or not outcome.strip():
            raise RuleError(f"{cwhere}: 'outcome' must be a non-empty string")
        note = raw.get("note", "")
        if not isinstance(note, str):
            raise RuleError(f"{cwhere}: 'note' must be a string")
        if max(len(outcome), len(note)) > MAX_TEXT:
            raise RuleError(f"{cwhere}: 'outcome' and 'note' are at most {MAX_TEXT} characters each")
        clauses.append(Clause(parse_conditions(raw.get("when"), RULE_STATISTICS, cwhere), outcome, note))
    possible = {c.outcome for c in clauses} | {otherwise}
    if "decided" in data:
        decided_raw = data["decided"]
        if not isinstance(decided_raw, list) or not all(isinstance(d, str) for d in decided_raw):
            raise RuleError(f"{where}: 'decided' must be a list of outcome names")
        strays = [d for d in decided_raw if d not in possible]
        if strays:
            raise RuleError(f"{where}: 'decided' names outcome(s) the rule never gives: {', '.join(strays)}")
        decided = tuple(dict.fromkeys(decided_raw))
    else:
        decided = tuple(dict.fromkeys(c.outcome for c in clauses if c.outcome != otherwise))
    return ConsensusRule(
        name=name, source=source, clauses=tuple(clauses), otherwise=otherwise, decided=decided,
        description=description, scale=_band(data.get("scale"), "scale", where),
        agree=_band(data.get("agree"), "agree", where), disagree=_band(data.get("disagree"), "disagree", where),
    )


_PRESET_DATA: tuple[dict[str, Any], ...] = (
    {
        "name": "mlm-2021",
        "source": "1+MG Maturity Level Model validation Delphi (B1MG project, EC grant 951724; two online rounds "
                  "from July 2021, 14 experts); rule as reported with the model (1+MG MLM User Guide, Zenodo "
                  "record 10066995, 2023)",
        "description": "validated at >= 86 % agreement, or >= 79 % with no disagreement; reformulated when "
                       "disagreement >= 7 % and panelists left suggestions; re-evaluated otherwise. Thresholds "
                       "sit half a point below the published whole percentages because those are rounded: with "
                       "14 panelists 12/14 = 85.7 % counts as 86 %, 11/14 = 78.6 % as 79 %, 1/14 = 7.1 % as 7 %.",
        "clauses": [
            {"when": {"agree_pct": [">=", 0.855]}, "outcome": "validated"},
            {"when": {"agree_pct": [">=", 0.785], "disagree_pct": ["==", 0]}, "outcome": "validated"},
            {"when": {"disagree_pct": [">=", 0.065], "n_comments": [">=", 1]}, "outcome": "reformulated"},
        ],
        "otherwise": "reevaluate",
        "decided": ["validated"],
    },
    {
        "name": "comet-70-15",
        "source": "COMET Handbook version 1.0 (Williamson et al. 2017, Trials 18(Suppl 3):280): GRADE-style "
                  "70/15 definition for core outcome sets on a 1-9 scale",
        "description": "consensus in: >= 70 % rate 7-9 and < 15 % rate 1-3; consensus out: >= 70 % rate 1-3 and "
                       "< 15 % rate 7-9; otherwise no consensus. For round-specific thresholds copy the rule and "
                       "add a 'round' condition to each clause.",
        "scale": [1, 9], "agree": [7, 9], "disagree": [1, 3],
        "clauses": [
            {"when": {"agree_pct": [">=", 0.70], "disagree_pct": ["<", 0.15]}, "outcome": "consensus_in"},
            {"when": {"disagree_pct": [">=", 0.70], "agree_pct": ["<", 0.15]}, "outcome": "consensus_out"},
        ],
        "otherwise": "no_consensus",
        "decided": ["consensus_in", "consensus_out"],
    },
    {
        "name": "median-iqr",
        "source": "von der Gracht 2012, Technological Forecasting & Social Change 79:1525-1536 (IQR <= 1 as "
                  "consensus on 4- and 5-point scales), with a median in the agree band",
        "description": "consensus when median >= 4 and IQR <= 1 on a 1-5 scale (quartiles by the configured method)",
        "scale": [1, 5],
        "clauses": [{"when": {"median": [">=", 4], "iqr": ["<=", 1]}, "outcome": "consensus"}],
        "otherwise": "no_consensus",
        "decided": ["consensus"],
    },
    {
        "name": "rand-ucla",
        "source": "Fitch et al. 2001, The RAND/UCLA Appropriateness Method User's Manual, RAND MR-1269: "
                  "median 7-9 appropriate, 1-3 inappropriate, without disagreement (DI = IPR/IPRAS <= 1)",
        "description": "appropriate: median >= 7 and DI <= 1; inappropriate: median <= 3 and DI <= 1; uncertain "
                       "otherwise (median 4-6, a median between bands such as 3.5 or 6.5, or disagreement)",
        "scale": [1, 9], "agree": [7, 9], "disagree": [1, 3],
        "clauses": [
            {"when": {"median": [">=", 7], "di": ["<=", 1]}, "outcome": "appropriate"},
            {"when": {"median": ["<=", 3], "di": ["<=", 1]}, "outcome": "inappropriate"},
        ],
        "otherwise": "uncertain",
        "decided": ["appropriate", "inappropriate"],
    },
)

_PRESET_DATA = _PRESET_DATA + (
    {
        "name": "apmo",
        "source": "Average Percent of Majority Opinions, Kapoor 1987 (PhD thesis, Plymouth Polytechnic), as "
                  "described by Cottam et al. 1999 and von der Gracht 2012 (Technol Forecast Soc Change 79:1525): "
                  "APMO = (majority agreements + majority disagreements) / total opinions expressed, over all "
                  "items of the round; an item whose agreement (or disagreement) exceeds it reaches consensus",
        "description": "consensus (agree): agree_pct > APMO and > 50 %; consensus (disagree): disagree_pct > APMO "
                       "and > 50 %; otherwise no consensus. APMO counts neutral answers among the opinions; use "
                       "apmo_excl_neutral in a copy of the rule to leave them out.",
        "clauses": [
            {"when": {"agree_pct": [[">", "apmo"], [">", 0.5]]}, "outcome": "consensus_agree"},
            {"when": {"disagree_pct": [[">", "apmo"], [">", 0.5]]}, "outcome": "consensus_disagree"},
        ],
        "otherwise": "no_consensus",
        "decided": ["consensus_agree", "consensus_disagree"],
    },
)

#: The preset rules by name, each citing its source.
PRESETS: Mapping[str, ConsensusRule] = MappingProxyType({d["name"]: parse_rule(d) for d in _PRESET_DATA})

DEFAULT_RULE = "mlm-2021"


def load_rule(rule: ConsensusRule | Mapping[str, Any] | str) -> ConsensusRule:
    """A rule from a preset name, a mapping, or an existing :class:`ConsensusRule`.

    Never a file: a rule stored with a study or typed into a form is data, and a string that is not a preset
    name is refused, not opened. Only the command line reads a rule file, through :func:`read_rule_file`.
    """
    if isinstance(rule, ConsensusRule):
        return rule
    if isinstance(rule, Mapping):
        return parse_rule(rule)
    if isinstance(rule, str) and rule in PRESETS:
        return PRESETS[rule]
    if isinstance(rule, (str, Path)):
        shown = str(rule)[:80]
        raise RuleError(f"unknown rule {shown!r}: not a preset ({', '.join(PRESETS)}); give a preset name or a "
                        "JSON object (a rule file is read only by `delphi analyse --rule FILE.json`)")
    raise RuleError(f"a rule must be a preset name or a mapping, not {type(rule).__name__}")


def read_rule_file(path: str | Path) -> ConsensusRule:
    """A rule from a JSON file (the command line's ``--rule FILE.json``); its name defaults to the file's stem."""
    path = Path(path)
    if not path.is_file():
        raise RuleError(f"unknown rule {str(path)!r}: not a preset ({', '.join(PRESETS)}) nor an existing JSON file")
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_RULE_FILE_BYTES + 1)
        if len(raw) > MAX_RULE_FILE_BYTES:
            raise RuleError(f"rule file {path}: larger than {MAX_RULE_FILE_BYTES // 1024} KiB")
        data = json.loads(raw.decode("utf-8"))
    except json.JSONDecodeError as exc:
        raise RuleError(f"rule file {path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    except RecursionError:
        raise RuleError(f"rule file {path}: nested too deeply to be a rule") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleError(f"rule file {path}: cannot be read ({exc})") from None
    return parse_rule(data, default_name=path.stem)


def rule_argument(text: str) -> ConsensusRule:
    """The command line's ``--rule``: a preset name, else a JSON file."""
    return PRESETS[text] if text in PRESETS else read_rule_file(text)
