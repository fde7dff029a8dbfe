"""Results of one assessment: per-indicator profile first, then per-domain summaries that say how they are computed.

The MLM publishes no official domain or overall score, so every aggregate here carries its method in words
(METHODS) and the pages and exports print it next to the number.
"""
from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from delphi import i18n
from delphi.models.assessment import AssessmentAnswer, Confidence
from delphi.services.assessments import charts
from delphi.services.assessments.lifecycle import DomainNode, IndicatorNode, Tree

STRENGTH_MIN = 4  # adopted by national or regional healthcare systems, or beyond
WEAKNESS_MAX = 2  # ad hoc, or defined at local level only
SHARE_THRESHOLD = 3

# Lazy: read in the reader's language (str() them for JSON or a spreadsheet).
METHODS = {
    "levels": _l("Each indicator is placed at one level from 1 to 5 (in team mode: the level the team agreed). "
                 "Indicators marked not applicable are left out of every figure."),
    "median": _l("Median: the middle value of the domain's indicator levels (the mean of the two middle values "
                 "when their number is even)."),
    "mean": _l("Mean: the arithmetic mean of the domain's indicator levels, rounded to 2 decimals. Levels are "
               "ordinal, so read the mean as a rough summary only."),
    "share": _l("Share at level %(level)s+: the number of indicators at level %(level)s or above (documented, "
                "functional and monitored) divided by the number of indicators with a level.", level=SHARE_THRESHOLD),
    "gap": _l("Gap: target level minus current level, for indicators with both."),
    "strengths": _l("Strengths: indicators at level %(strong)s or 5. Weaknesses: indicators at level 1 or %(weak)s.",
                    strong=STRENGTH_MIN, weak=WEAKNESS_MAX),
    "official": _l("The model has no official aggregate score: the per-indicator levels are the result; these "
                   "summaries only help to read them."),
}


@dataclass(frozen=True)
class IndicatorResult:
    node: IndicatorNode
    current: int | None
    target: int | None
    not_applicable: bool
    confidence: Confidence | None
    target_date: date | None
    na_reason: str = ""

    @property
    def answered(self) -> bool:
        return self.current is not None or self.not_applicable

    @property
    def gap(self) -> int | None:
        if self.current is None or self.target is None:
            return None
        return self.target - self.current

    @property
    def level_label(self) -> str:
        if self.not_applicable:
            return _("N/A")
        return str(self.current) if self.current is not None else "–"


@dataclass(frozen=True)
class Summary:
    indicators: int
    answered: int
    not_applicable: int
    rated: int  # with a level
    median: float | None
    mean: float | None
    share_3plus: float | None  # 0..1
    median_target: float | None
    mean_gap: float | None
    lowest: int | None
    highest: int | None


@dataclass(frozen=True)
class DomainResult:
    node: DomainNode
    items: tuple[IndicatorResult, ...]
    summary: Summary
    chart: charts.RadarChart | charts.BarChart


@dataclass(frozen=True)
class Results:
    domains: tuple[DomainResult, ...]
    overall: Summary
    items: tuple[IndicatorResult, ...]
    gaps: tuple[IndicatorResult, ...]  # gap > 0, largest first
    reached: int  # indicators with target == current
    without_target: int  # rated indicators without a target
    strengths: tuple[IndicatorResult, ...]
    weaknesses: tuple[IndicatorResult, ...]

    @property
    def complete(self) -> bool:
        return all(i.answered for i in self.items)


def _round(v: float | None, digits: int = 2) -> float | None:
    return None if v is None else round(v, digits)


def summarise(items: tuple[IndicatorResult, ...] | list[IndicatorResult]) -> Summary:
    levels = [i.current for i in items if i.current is not None and not i.not_applicable]
    targets = [i.target for i in items if i.target is not None]
    gaps = [i.gap for i in items if i.gap is not None]
    return Summary(
        indicators=len(items), answered=sum(1 for i in items if i.answered),
        not_applicable=sum(1 for i in items if i.not_applicable), rated=len(levels),
        median=float(statistics.median(levels)) if levels else None,
        mean=_round(statistics.fmean(levels)) if levels else None,
        share_3plus=(sum(1 for v in levels if v >= SHARE_THRESHOLD) / len(levels)) if levels else None,
        median_target=float(statistics.median(targets)) if targets else None,
        mean_gap=_round(statistics.fmean(gaps)) if gaps else None,
        lowest=min(levels) if levels else None, highest=max(levels) if levels else None)


def indicator_results(tree: Tree, answers: Mapping[int, AssessmentAnswer]) -> tuple[IndicatorResult, ...]:
    out = []
    for node in tree.indicators:
        a = answers.get(node.id)
        if a is None:
            out.append(IndicatorResult(node, None, None, False, None, None))
        else:
            out.append(IndicatorResult(node, a.current_level, a.target_level, a.not_applicable, a.confidence,
                                       a.target_date, a.na_reason or ""))
    return tuple(out)


def domain_chart(node: DomainNode, items: tuple[IndicatorResult, ...], *, with_target: bool = True):
    series = [("current", _("Current"), [i.current for i in items])]
    if with_target and any(i.target is not None for i in items):
        series.append(("target", _("Target"), [i.target for i in items]))
    return charts.radar([i.node.code for i in items], [i.node.statement for i in items], series)


def compute(tree: Tree, answers: Mapping[int, AssessmentAnswer]) -> Results:
    items = indicator_results(tree, answers)
    by_domain: dict[int, list[IndicatorResult]] = {}
    for item in items:
        by_domain.setdefault(item.node.domain_index, []).append(item)
    domains = []
    for node in tree.domains:
        d_items = tuple(by_domain.get(node.index, ()))
        domains.append(DomainResult(node, d_items, summarise(d_items), domain_chart(node, d_items)))
    order = {item.node.id: n for n, item in enumerate(items)}
    gaps = sorted((i for i in items if (i.gap or 0) > 0), key=lambda i: (-(i.gap or 0), order[i.node.id]))
    strengths = sorted((i for i in items if i.current is not None and i.current >= STRENGTH_MIN),
                       key=lambda i: (-(i.current or 0), order[i.node.id]))
    weaknesses = sorted((i for i in items if i.current is not None and i.current <= WEAKNESS_MAX),
                        key=lambda i: (i.current or 0, order[i.node.id]))
    return Results(
        domains=tuple(domains), overall=summarise(items), items=items, gaps=tuple(gaps),
        reached=sum(1 for i in items if i.gap == 0),
        without_target=sum(1 for i in items if i.current is not None and i.target is None),
        strengths=tuple(strengths), weaknesses=tuple(weaknesses))


def fmt(value: float | None, digits: int = 2) -> str:
    """A figure for people: '–' when missing, no trailing zeros (3.0 → 3, 2.50 → 2.5), the locale's decimal sign
    (2,5 in German)."""
    if value is None:
        return "–"
    return format_decimal(value, "0." + "#" * digits if digits else "0")


def percent(value: float | None) -> str:
    """A share as the locale writes a percentage: '60%' in English, '60 %' in German."""
    return i18n.percent(value, empty="–")


# --------------------------------------------------------------------------------------------------------------
# Team mode: the spread of individual levels that the lead reads before recording the agreed level.

DISAGREEMENT = 2  # members whose levels differ by this much or more should talk before agreeing


@dataclass(frozen=True)
class Spread:
    count: int
    lowest: int | None
    median: float | None
    highest: int | None
    members: tuple[tuple[str, int | None, str], ...]  # (name, level, comment), by level then name

    @property
    def differs(self) -> bool:
        return self.count >= 2 and (self.highest or 0) - (self.lowest or 0) >= DISAGREEMENT


def spreads(levels, names: Mapping[int, str]) -> dict[int, Spread]:
    """indicator id → spread of the team's individual levels (rows of AssessmentMemberLevel)."""
    grouped: dict[int, list] = {}
    former = _("former member")
    for row in levels:
        grouped.setdefault(row.indicator_id, []).append(row)
    out = {}
    for indicator_id, rows in grouped.items():
        values = [r.level for r in rows if r.level is not None]
        members = tuple(sorted(((names.get(r.user_id, former), r.level, r.comment or "") for r in rows),
                               key=lambda m: (m[1] is None, m[1] or 0, m[0])))
        out[indicator_id] = Spread(
            count=len(values), lowest=min(values) if values else None,
            median=float(statistics.median(values)) if values else None,
            highest=max(values) if values else None, members=members)
    return out
