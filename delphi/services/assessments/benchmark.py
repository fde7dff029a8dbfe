"""The anonymous benchmark: an assessment's levels against the median and the highest level of participants.

Participants are organisations that opted in (Organisation.benchmark_opt_in); each contributes its latest
finalised assessment per framework version (latest reference date, then latest finalisation). Nothing is shown
for a version with fewer than MIN_ORGANISATIONS participants, nor for an indicator with fewer than
MIN_ORGANISATIONS levels (not applicable answers are left out). No organisation is ever named: only the
figures leave this module.
"""
from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select

from delphi.extensions import db
from delphi.models import Organisation
from delphi.models.assessment import Assessment, AssessmentAnswer, AssessmentStatus
from delphi.services.assessments import charts
from delphi.services.assessments.lifecycle import DomainNode, IndicatorNode, Tree

MIN_ORGANISATIONS = 3

METHOD = (f"Participants: organisations that opted in to the benchmark; each counts with its latest finalised "
          f"assessment on this framework version. Median: the middle level among participants (the mean of the two "
          f"middle levels when their number is even); highest: the highest level any participant reached. Indicators "
          f"marked not applicable are left out. Figures are shown only when at least {MIN_ORGANISATIONS} "
          f"organisations contributed, and no organisation is named.")


@dataclass(frozen=True)
class BenchmarkRow:
    node: IndicatorNode
    own: int | None
    own_na: bool
    median: float | None  # None when fewer than MIN_ORGANISATIONS levels
    highest: int | None
    count: int  # number of participant levels (shown only when >= MIN_ORGANISATIONS)

    @property
    def versus_median(self) -> float | None:
        if self.own is None or self.median is None:
            return None
        return self.own - self.median


@dataclass(frozen=True)
class BenchmarkDomain:
    node: DomainNode
    rows: tuple[BenchmarkRow, ...]
    chart: charts.RadarChart | charts.BarChart


@dataclass(frozen=True)
class Benchmark:
    available: bool
    version_ref: str
    participants: int | None  # None unless available (no hint of how close a small group is)
    domains: tuple[BenchmarkDomain, ...] = ()
    includes_own: bool = False

    @property
    def rows(self) -> tuple[BenchmarkRow, ...]:
        return tuple(r for d in self.domains for r in d.rows)


def contributing_assessments(version_id: int) -> dict[int, int]:
    """organisation id → the id of its contributing assessment on this version (opted-in organisations only)."""
    rows = db.session.execute(
        select(Assessment.organisation_id, Assessment.id, Assessment.reference_date, Assessment.finalised_at)
        .join(Organisation, Organisation.id == Assessment.organisation_id)
        .where(Assessment.version_id == version_id, Assessment.status == AssessmentStatus.FINALISED,
               Organisation.benchmark_opt_in.is_(True))).all()
    latest: dict[int, tuple] = {}
    for org_id, assessment_id, ref_date, finalised_at in rows:
        key = (ref_date, finalised_at, assessment_id)
        if org_id not in latest or key > latest[org_id]:
            latest[org_id] = key
    return {org_id: key[2] for org_id, key in latest.items()}


def _median(values: list[int]) -> float:
    return float(statistics.median(values))


def for_assessment(assessment: Assessment, tree: Tree, answers: Mapping[int, AssessmentAnswer]) -> Benchmark:
    contributions = contributing_assessments(tree.version_id)
    if len(contributions) < MIN_ORGANISATIONS:
        return Benchmark(available=False, version_ref=tree.ref, participants=None)
    levels: dict[int, list[int]] = {}
    for indicator_id, level in db.session.execute(
            select(AssessmentAnswer.indicator_id, AssessmentAnswer.current_level)
            .where(AssessmentAnswer.assessment_id.in_(list(contributions.values())),
                   AssessmentAnswer.current_level.is_not(None), AssessmentAnswer.not_applicable.is_(False))):
        levels.setdefault(indicator_id, []).append(level)
    domains = []
    for d in tree.domains:
        rows = []
        for node in d.indicators:
            values = levels.get(node.id, [])
            enough = len(values) >= MIN_ORGANISATIONS
            own = answers.get(node.id)
            rows.append(BenchmarkRow(
                node=node, own=own.current_level if own else None, own_na=bool(own and own.not_applicable),
                median=_median(values) if enough else None, highest=max(values) if enough else None,
                count=len(values) if enough else 0))
        chart = charts.radar([r.node.code for r in rows], [r.node.statement for r in rows], [
            ("current", "Your level", [r.own for r in rows]),
            ("median", "Median", [r.median for r in rows]),
            ("highest", "Highest", [r.highest for r in rows])])
        domains.append(BenchmarkDomain(d, tuple(rows), chart))
    return Benchmark(available=True, version_ref=tree.ref, participants=len(contributions),
                     domains=tuple(domains), includes_own=assessment.organisation_id in contributions)
