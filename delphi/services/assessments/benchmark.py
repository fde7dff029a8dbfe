"""The anonymous benchmark, published as editions so that no participant can rebuild another's levels.

A live benchmark over everyone leaked: with three organisations, one's own levels plus the median and the highest
gave the other two's exact levels; with four, two successive assessments by the attacker (all 1, then all 5)
gave the other three's. So (docs/SECURITY.md, "The benchmark"):

- an administrator (or `flask delphi publish-benchmarks` on a schedule) publishes an *edition*: the levels of
  every opted-in organisation's latest finalised assessment on a version, frozen (models/benchmark.py);
- a viewer's figures come from the latest edition's *other* contributors, never their own organisation, so their
  own answers are not in what they see and changing them and looking again tells them nothing;
- only an organisation that contributed to that edition (and still opts in) sees it, and only when at least k
  other organisations contributed (BENCHMARK_MIN_ORGANISATIONS, default 5, never below 3); an indicator is
  shown only with at least k other levels; the count is shown as "at least k", never exactly.
"""
from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select

from delphi.db import utcnow
from delphi.errors import InvalidInput
from delphi.extensions import db
from delphi.models import FrameworkVersion, Organisation, User, VersionStatus
from delphi.models.assessment import Assessment, AssessmentAnswer, AssessmentStatus
from delphi.models.benchmark import BenchmarkContributor, BenchmarkEdition, BenchmarkLevel
from delphi.services.accounts import audit
from delphi.services.assessments import charts
from delphi.services.assessments.lifecycle import DomainNode, IndicatorNode, Tree

FLOOR = 3  # never fewer other organisations than this, whatever the setting
DEFAULT_MIN = 5


def min_organisations() -> int:
    """k: the fewest *other* organisations a viewer's pool may have (setting BENCHMARK_MIN_ORGANISATIONS)."""
    return max(FLOOR, int(current_app.config.get("BENCHMARK_MIN_ORGANISATIONS", DEFAULT_MIN)))


def method_text(k: int) -> str:
    return _("Published editions: an administrator publishes the benchmark from time to time; each edition freezes "
             "the latest finalised assessment of every organisation that opted in. You see the median (the mean of "
             "the two middle levels when their number is even) and the highest level of the other organisations in "
             "the latest edition — yours is never among them — and only when at least %(k)s others contributed; an "
             "indicator is shown only with at least %(k)s levels. Indicators marked not applicable are left out. No "
             "organisation is named, and the number of organisations is given only as “at least %(k)s”.", k=k)


HISTORY = 3  # the organisation's own earlier finalised assessments shown beside the benchmark


def domain_method_text(k: int) -> str:
    return _("Domains: each organisation's domain level is the mean of its levels on the domain's indicators (not "
             "applicable and unanswered left out); the median and the highest are taken over the other "
             "organisations' domain levels, shown only when at least %(k)s of them have one.", k=k)


@dataclass(frozen=True)
class BenchmarkRow:
    node: IndicatorNode
    own: int | None
    own_na: bool
    median: float | None  # None when fewer than k other levels
    highest: int | None
    earlier: tuple[int | None, ...] = ()  # the organisation's own earlier levels, oldest first (Benchmark.history)

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
    own_mean: float | None = None  # this assessment's domain level (mean of its levels)
    median_mean: float | None = None  # of the other organisations' domain levels (None under k)
    highest_mean: float | None = None
    earlier_means: tuple[float | None, ...] = ()


@dataclass(frozen=True)
class Benchmark:
    available: bool
    version_ref: str
    at_least: int  # k: shown as "at least k other organisations"
    reason: str = ""  # why nothing is shown (when not available)
    edition: int | None = None
    published_at: datetime | None = None
    domains: tuple[BenchmarkDomain, ...] = ()
    history: tuple[tuple[str, str], ...] = ()  # (title, reference date) of the earlier assessments shown
    domain_chart: charts.RadarChart | charts.BarChart | None = None

    @property
    def rows(self) -> tuple[BenchmarkRow, ...]:
        return tuple(r for d in self.domains for r in d.rows)

    @property
    def method(self) -> str:
        return method_text(self.at_least)

    @property
    def domain_method(self) -> str:
        return domain_method_text(self.at_least)


def contributing_assessments(version_id: int) -> dict[int, int]:
    """organisation id → the id of its contributing assessment on this version (opted-in organisations only):
    its latest finalised one (latest reference date, then latest finalisation)."""
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


def latest_edition(version_id: int) -> BenchmarkEdition | None:
    return db.session.scalar(select(BenchmarkEdition).where(BenchmarkEdition.version_id == version_id)
                             .order_by(BenchmarkEdition.number.desc()).limit(1))


def publish_edition(version: FrameworkVersion, *, by: User | None) -> BenchmarkEdition:
    """Freeze the current contributions into a new edition. Refused unless every contributor would see at least
    k others (k + 1 contributors), since an edition nobody may see protects nothing and only leaks by its date."""
    k = min_organisations()
    contributions = contributing_assessments(version.id)
    if len(contributions) < k + 1:
        raise InvalidInput(ngettext(
            "%(num)d organisation(s) contribute to the benchmark of %(version)s; an edition needs at least "
            "%(needed)s, so that each sees at least %(k)s others. Nothing was published.",
            "%(num)d organisation(s) contribute to the benchmark of %(version)s; an edition needs at least "
            "%(needed)s, so that each sees at least %(k)s others. Nothing was published.",
            len(contributions), version=version.ref, needed=k + 1, k=k))
    number = (db.session.scalar(select(func.max(BenchmarkEdition.number))
                                .where(BenchmarkEdition.version_id == version.id)) or 0) + 1
    edition = BenchmarkEdition(version_id=version.id, number=number, published_at=utcnow(),
                               published_by_id=by.id if by else None, min_organisations=k)
    db.session.add(edition)
    db.session.flush()
    db.session.add_all(BenchmarkContributor(edition_id=edition.id, organisation_id=org_id)
                       for org_id in contributions)
    org_of = {assessment_id: org_id for org_id, assessment_id in contributions.items()}
    for assessment_id, indicator_id, level in db.session.execute(
            select(AssessmentAnswer.assessment_id, AssessmentAnswer.indicator_id, AssessmentAnswer.current_level)
            .where(AssessmentAnswer.assessment_id.in_(list(org_of)), AssessmentAnswer.current_level.is_not(None),
                   AssessmentAnswer.not_applicable.is_(False))):
        db.session.add(BenchmarkLevel(edition_id=edition.id, organisation_id=org_of[assessment_id],
                                      indicator_id=indicator_id, level=level))
    db.session.flush()
    audit.record(by, "publish_benchmark", "framework_version", version.id,
                 after={"edition": number, "contributors": len(contributions), "min_organisations": k})
    return edition


def _contributor_ids(edition: BenchmarkEdition) -> set[int]:
    return set(db.session.scalars(select(BenchmarkContributor.organisation_id)
                                  .where(BenchmarkContributor.edition_id == edition.id)))


@dataclass(frozen=True)
class VersionStatusRow:
    version: FrameworkVersion
    contributors: int  # now (the administrator may see the exact number)
    latest: BenchmarkEdition | None
    latest_contributors: int
    changed: bool  # contributions differ from the latest edition's


def overview() -> list[VersionStatusRow]:
    """For the administrator: every released version with contributions, and its latest edition."""
    out = []
    for version in db.session.scalars(select(FrameworkVersion).where(FrameworkVersion.status ==
                                                                     VersionStatus.RELEASED)):
        contributions = contributing_assessments(version.id)
        latest = latest_edition(version.id)
        if not contributions and latest is None:
            continue
        in_latest = _contributor_ids(latest) if latest else set()
        out.append(VersionStatusRow(version, len(contributions), latest, len(in_latest),
                                    changed=latest is None or _changed(version.id, latest)))
    return out


def _frozen_assessments(edition: BenchmarkEdition) -> dict[int, int]:
    """What an edition froze, comparable with contributing_assessments: organisation id → levels' fingerprint."""
    levels: dict[int, list[tuple[int, int]]] = {}
    for org_id, indicator_id, level in db.session.execute(
            select(BenchmarkLevel.organisation_id, BenchmarkLevel.indicator_id, BenchmarkLevel.level)
            .where(BenchmarkLevel.edition_id == edition.id)):
        levels.setdefault(org_id, []).append((indicator_id, level))
    return {org_id: hash(tuple(sorted(v))) for org_id, v in levels.items()}


def publish_due(*, by: User | None = None) -> list[tuple[FrameworkVersion, BenchmarkEdition | None, str]]:
    """The scheduled run: a new edition for every released version whose contributions changed since its latest
    edition, where enough organisations contribute. Returns (version, edition or None, what happened)."""
    out = []
    for row in overview():
        if row.latest is not None and not row.changed:  # overview() compared them already
            out.append((row.version, None, "unchanged since the latest edition"))  # for the command line
            continue
        try:
            out.append((row.version, publish_edition(row.version, by=by), "published"))
        except InvalidInput as exc:
            out.append((row.version, None, exc.message))
    return out


def _changed(version_id: int, edition: BenchmarkEdition) -> bool:
    now = contributing_assessments(version_id)
    if set(now) != _contributor_ids(edition):
        return True
    current: dict[int, list[tuple[int, int]]] = {}
    org_of = {a: o for o, a in now.items()}
    for assessment_id, indicator_id, level in db.session.execute(
            select(AssessmentAnswer.assessment_id, AssessmentAnswer.indicator_id, AssessmentAnswer.current_level)
            .where(AssessmentAnswer.assessment_id.in_(list(org_of)), AssessmentAnswer.current_level.is_not(None),
                   AssessmentAnswer.not_applicable.is_(False))):
        current.setdefault(org_of[assessment_id], []).append((indicator_id, level))
    return {o: hash(tuple(sorted(v))) for o, v in current.items()} != _frozen_assessments(edition)


def _median(values: list[int]) -> float:
    return float(statistics.median(values))


def _unavailable(tree: Tree, k: int, reason: str, edition: BenchmarkEdition | None = None) -> Benchmark:
    return Benchmark(available=False, version_ref=tree.ref, at_least=k, reason=reason,
                     edition=edition.number if edition else None,
                     published_at=edition.published_at if edition else None)


def for_assessment(assessment: Assessment, tree: Tree, answers: Mapping[int, AssessmentAnswer]) -> Benchmark:
    """The assessment's levels beside the latest edition's other organisations (never its own)."""
    edition = latest_edition(tree.version_id)
    k = max(min_organisations(), edition.min_organisations if edition else 0)
    if edition is None:
        return _unavailable(tree, k, _("No benchmark edition has been published for this framework version yet."))
    org = assessment.organisation
    contributors = _contributor_ids(edition)
    if not org.benchmark_opt_in or org.id not in contributors:
        return _unavailable(tree, k, _("Only organisations that contributed to the current edition see it: opt in "
                                       "and finalise an assessment of this version, and your organisation is part "
                                       "of the next edition."), edition)
    if len(contributors - {org.id}) < k:
        return _unavailable(tree, k, _("Fewer than %(k)s other organisations contributed to the current edition.",
                                       k=k), edition)
    levels: dict[int, list[int]] = {}
    by_org: dict[int, dict[int, int]] = {}
    for org_id, indicator_id, level in db.session.execute(
            select(BenchmarkLevel.organisation_id, BenchmarkLevel.indicator_id, BenchmarkLevel.level)
            .where(BenchmarkLevel.edition_id == edition.id, BenchmarkLevel.organisation_id != org.id)):
        levels.setdefault(indicator_id, []).append(level)
        by_org.setdefault(org_id, {})[indicator_id] = level
    earlier = earlier_assessments(assessment)
    your_level, median, highest = _("Your level"), _("Median"), _("Highest")
    yours_then = _("Yours, %(date)s", date=earlier[-1][0].reference_date.isoformat()) if earlier else ""
    domains = []
    for d in tree.domains:
        rows = []
        for node in d.indicators:
            values = levels.get(node.id, [])
            enough = len(values) >= k
            own = answers.get(node.id)
            rows.append(BenchmarkRow(node=node, own=own.current_level if own else None,
                                     own_na=bool(own and own.not_applicable),
                                     median=_median(values) if enough else None,
                                     highest=max(values) if enough else None,
                                     earlier=tuple(levels_of.get(node.id) for _a, levels_of in earlier)))
        series = [("current", your_level, [r.own for r in rows]), ("median", median, [r.median for r in rows]),
                  ("highest", highest, [r.highest for r in rows])]
        if earlier:  # the latest earlier assessment of the organisation, as a fourth line
            series.append(("earlier", yours_then, [r.earlier[-1] for r in rows]))
        chart = charts.radar([r.node.code for r in rows], [r.node.statement for r in rows], series)
        ids = [node.id for node in d.indicators]
        others = [m for m in (_mean([levels_of.get(i) for i in ids]) for levels_of in by_org.values())
                  if m is not None]
        enough = len(others) >= k
        domains.append(BenchmarkDomain(
            d, tuple(rows), chart, own_mean=_mean([r.own for r in rows]),
            median_mean=float(statistics.median(others)) if enough else None,
            highest_mean=max(others) if enough else None,
            earlier_means=tuple(_mean([levels_of.get(i) for i in ids]) for _a, levels_of in earlier)))
    domain_series = [("current", your_level, [d.own_mean for d in domains]),
                     ("median", median, [d.median_mean for d in domains]),
                     ("highest", highest, [d.highest_mean for d in domains])]
    if earlier:
        domain_series.append(("earlier", yours_then, [d.earlier_means[-1] for d in domains]))
    return Benchmark(available=True, version_ref=tree.ref, at_least=k, edition=edition.number,
                     published_at=edition.published_at, domains=tuple(domains),
                     history=tuple((a.title, a.reference_date.isoformat()) for a, _levels in earlier),
                     domain_chart=charts.radar([d.node.code for d in domains], [d.node.title for d in domains],
                                               domain_series))


def _mean(values: list[int | float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(sum(present) / len(present), 2) if present else None


def earlier_assessments(assessment: Assessment) -> list[tuple[Assessment, dict[int, int]]]:
    """The organisation's own finalised assessments on the same version dated before this one (the latest
    HISTORY, oldest first), each with its levels: its own data, so no privacy rule limits them."""
    earlier = list(db.session.scalars(
        select(Assessment).where(Assessment.organisation_id == assessment.organisation_id,
                                 Assessment.version_id == assessment.version_id, Assessment.id != assessment.id,
                                 Assessment.status == AssessmentStatus.FINALISED,
                                 Assessment.reference_date < assessment.reference_date)
        .order_by(Assessment.reference_date.desc(), Assessment.id.desc()).limit(HISTORY)))[::-1]
    if not earlier:
        return []
    levels: dict[int, dict[int, int]] = {a.id: {} for a in earlier}
    for assessment_id, indicator_id, level in db.session.execute(
            select(AssessmentAnswer.assessment_id, AssessmentAnswer.indicator_id, AssessmentAnswer.current_level)
            .where(AssessmentAnswer.assessment_id.in_(list(levels)), AssessmentAnswer.current_level.is_not(None),
                   AssessmentAnswer.not_applicable.is_(False))):
        levels[assessment_id][indicator_id] = level
    return [(a, levels[a.id]) for a in earlier]
