"""Progress: an organisation's assessments over time, compared indicator by indicator.

Indicators are matched by their code, which is stable within a framework; across framework versions an
indicator whose statement or level descriptions changed is marked, and so is one that exists in only some of
the versions compared (its level is then not comparable and no change is computed).
"""
from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from delphi.extensions import db
from delphi.models import FrameworkVersion, Organisation
from delphi.models.assessment import Assessment, AssessmentAnswer, AssessmentStatus
from delphi.services.assessments import charts
from delphi.services.assessments import lifecycle
from delphi.services.assessments.lifecycle import IndicatorNode, Tree

METHOD = _l("Indicators are matched by code. Change: the level in the latest assessment minus the level in the one "
             "before it (both must have a level). Domain lines: the mean of the domain's indicator levels in each "
             "assessment, not applicable left out — a reading aid, not an official score.")


@dataclass(frozen=True)
class Column:
    assessment: Assessment
    version_ref: str
    label: str  # e.g. "2024-03-31"


@dataclass(frozen=True)
class Cell:
    present: bool  # the indicator exists in this assessment's framework version
    level: int | None
    not_applicable: bool

    @property
    def text(self) -> str:
        if not self.present:
            return _("not in version")
        if self.not_applicable:
            return _("N/A")
        return str(self.level) if self.level is not None else "–"


@dataclass(frozen=True)
class Row:
    code: str
    statement: str
    domain_code: str
    cells: tuple[Cell, ...]
    change: int | None  # latest minus previous, when both have a level and the wording did not change
    reworded_in: tuple[str, ...]  # version refs in which the wording differs from the version before
    only_in: tuple[str, ...]  # when the indicator is missing from some versions: the versions it is in

    @property
    def first_to_last(self) -> int | None:
        levels = [c.level for c in self.cells if c.level is not None]
        return levels[-1] - levels[0] if len(levels) >= 2 else None


@dataclass(frozen=True)
class Progress:
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    domain_means: tuple[tuple[str, str, tuple[float | None, ...]], ...]  # (code, title, mean per column)
    chart: charts.LineChart | None
    improved: int
    declined: int
    unchanged: int
    mixed_versions: bool
    language: str = ""  # the tag the statements and titles are shown in (the newest assessment's)


def candidates(org: Organisation, *, include_in_progress: bool) -> list[Assessment]:
    query = select(Assessment).where(Assessment.organisation_id == org.id)
    if not include_in_progress:
        query = query.where(Assessment.status == AssessmentStatus.FINALISED)
    return list(db.session.scalars(query.order_by(Assessment.reference_date, Assessment.id)))


def _wording(node: IndicatorNode) -> tuple[str, tuple[str, ...]]:
    return node.statement, node.levels


def compare(selected: Sequence[Assessment]) -> Progress:
    """Compare the given assessments (oldest first); a fixed number of queries per framework version.

    Wording is compared in each version's source language (a translation is no rewording); statements and domain
    titles are shown in the newest assessment's language, where a version has it."""
    selected = sorted(selected, key=lambda a: (a.reference_date, a.id))
    shown_in = selected[-1].language if selected else ""
    trees: dict[int, Tree] = {}
    shown: dict[int, Tree] = {}
    for a in selected:
        if a.version_id not in trees:
            version = db.session.get(FrameworkVersion, a.version_id)
            trees[a.version_id] = lifecycle.tree(version, levels=True)
            shown[a.version_id] = lifecycle.tree(version, language=shown_in) if shown_in else trees[a.version_id]
    answers: dict[int, dict[int, AssessmentAnswer]] = {a.id: {} for a in selected}
    if selected:
        for ans in db.session.scalars(select(AssessmentAnswer).where(
                AssessmentAnswer.assessment_id.in_([a.id for a in selected]))):
            answers[ans.assessment_id][ans.indicator_id] = ans
    columns = tuple(Column(a, trees[a.version_id].ref, a.reference_date.isoformat()) for a in selected)

    # Row order: the newest version's order, then codes found only in older versions.
    codes: dict[str, IndicatorNode] = {}
    for a in reversed(selected):
        for node in shown[a.version_id].indicators:
            codes.setdefault(node.code, node)
    refs_in_order = list(dict.fromkeys(trees[a.version_id].ref for a in selected))
    rows = []
    improved = declined = unchanged = 0
    for code, node in codes.items():
        cells, nodes = [], []
        for a in selected:
            n = trees[a.version_id].by_code.get(code)
            nodes.append(n)
            if n is None:
                cells.append(Cell(False, None, False))
                continue
            ans = answers[a.id].get(n.id)
            cells.append(Cell(True, ans.current_level if ans else None, bool(ans and ans.not_applicable)))
        reworded = []
        for i in range(1, len(selected)):
            prev, cur = nodes[i - 1], nodes[i]
            if prev is not None and cur is not None and selected[i - 1].version_id != selected[i].version_id \
                    and _wording(prev) != _wording(cur):
                ref = trees[selected[i].version_id].ref
                if ref not in reworded:
                    reworded.append(ref)
        present_refs = list(dict.fromkeys(trees[a.version_id].ref for a, n in zip(selected, nodes) if n is not None))
        only_in = tuple(present_refs) if len(present_refs) < len(refs_in_order) else ()
        change = None
        if len(cells) >= 2 and cells[-1].level is not None and cells[-2].level is not None:
            last_reworded = (nodes[-1] is not None and nodes[-2] is not None
                             and _wording(nodes[-1]) != _wording(nodes[-2]))
            if not last_reworded:
                change = cells[-1].level - cells[-2].level
                if change > 0:
                    improved += 1
                elif change < 0:
                    declined += 1
                else:
                    unchanged += 1
        rows.append(Row(code=code, statement=node.statement, domain_code=node.domain_code, cells=tuple(cells),
                        change=change, reworded_in=tuple(reworded), only_in=only_in))

    # Domain means per column, by domain code (titles from the newest version).
    domain_titles: dict[str, str] = {}
    for a in reversed(selected):
        for d in shown[a.version_id].domains:
            domain_titles.setdefault(d.code, d.title)
    means = []
    for d_code, d_title in domain_titles.items():
        per_column: list[float | None] = []
        for a in selected:
            levels = [ans.current_level for node in trees[a.version_id].indicators if node.domain_code == d_code
                      for ans in [answers[a.id].get(node.id)] if ans is not None and ans.current_level is not None
                      and not ans.not_applicable]
            per_column.append(round(statistics.fmean(levels), 2) if levels else None)
        means.append((d_code, d_title, tuple(per_column)))
    chart = None
    if selected:
        chart = charts.timeline([a.reference_date for a in selected], [c.label for c in columns],
                                [(code, f"{code} {title}", values) for code, title, values in means])
    return Progress(columns=columns, rows=tuple(rows), domain_means=tuple(means), chart=chart, improved=improved,
                    declined=declined, unchanged=unchanged, mixed_versions=len(refs_in_order) > 1,
                    language=shown[selected[-1].version_id].language if selected else "")
