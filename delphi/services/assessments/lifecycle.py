"""Self-assessments: start, configure, list, finalise, delete; benchmark opt-in; the framework tree they use.

Answers live in assessment_answers.py, the action plan in assessment_actions.py, the computed results in
assessment_results.py. Services flush and never commit: the route commits once.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import case, delete, func, select, update

from delphi.db import utcnow
from delphi.errors import DomainError, InvalidInput
from delphi.extensions import db
from delphi.models import (
    Domain,
    FrameworkVersion,
    GlossaryTerm,
    Indicator,
    Level,
    Organisation,
    OrganisationMember,
    Subdomain,
    User,
    VersionStatus,
)
from delphi.models.assessment import (
    Assessment,
    AssessmentAnswer,
    AssessmentMemberLevel,
    AssessmentStatus,
    AssessmentTeamMember,
)
from delphi.services.accounts import audit
from delphi.services.assessments import language as languages
from delphi.services.prepared import store as prepared

TITLE_MAX = 200


class AssessmentFinalised(DomainError):
    """Any change to a finalised assessment (the database refuses it too)."""

    def __init__(self, assessment: Assessment | None = None):
        if assessment is not None and assessment.finalised_at is not None:
            message = _("This assessment was finalised on %(date)s and is read-only; nothing was changed. Start a new "
                        "assessment to record a later state.", date=f"{assessment.finalised_at:%Y-%m-%d}")
        else:
            message = _("This assessment was finalised and is read-only; nothing was changed. Start a new assessment "
                        "to record a later state.")
        super().__init__(message)


# --------------------------------------------------------------------------------------------------------------
# The framework version as plain values: two or three queries, whatever the number of indicators.

@dataclass(frozen=True)
class IndicatorNode:
    id: int
    code: str
    statement: str
    guidance: str | None
    domain_index: int  # 1-based position of its domain (the answering page number)
    domain_code: str
    subdomain_code: str
    subdomain_title: str
    levels: tuple[str, ...] = ()  # the five level descriptions, when loaded


@dataclass(frozen=True)
class DomainNode:
    id: int
    index: int  # 1-based
    code: str
    title: str
    indicators: tuple[IndicatorNode, ...]

    @property
    def subdomains(self) -> list[tuple[str, str, list[IndicatorNode]]]:
        groups: list[tuple[str, str, list[IndicatorNode]]] = []
        for ind in self.indicators:
            if not groups or groups[-1][0] != ind.subdomain_code:
                groups.append((ind.subdomain_code, ind.subdomain_title, []))
            groups[-1][2].append(ind)
        return groups


@dataclass(frozen=True)
class Tree:
    version_id: int
    ref: str
    name: str
    source: str
    generic_levels: tuple[str, ...]
    domains: tuple[DomainNode, ...]
    glossary: tuple[tuple[str, str], ...] = ()
    checksum: str | None = None
    language: str = ""  # the BCP 47 tag of the framework texts (a text without a translation keeps its source's)

    @cached_property
    def indicators(self) -> tuple[IndicatorNode, ...]:
        return tuple(i for d in self.domains for i in d.indicators)

    @cached_property
    def by_id(self) -> dict[int, IndicatorNode]:
        return {i.id: i for i in self.indicators}

    @cached_property
    def by_code(self) -> dict[str, IndicatorNode]:
        return {i.code: i for i in self.indicators}

    def domain(self, index: int) -> DomainNode | None:
        return self.domains[index - 1] if 1 <= index <= len(self.domains) else None

    def generic_level(self, level: int) -> str:
        return self.generic_levels[level - 1] if len(self.generic_levels) >= level else ""


def tree(version: FrameworkVersion, *, levels: bool = False, glossary: bool = False,
         language: str | None = None) -> Tree:
    """The version's domains and indicators in order (levels and glossary on request), with its texts in
    `language` where a translation exists (None or '' = the source language; one more query otherwise).

    Every page, the PDF and the workbook of an assessment read this tree, so translating here translates them all;
    no tree is kept beyond a call (no cache to key by language). The name stays as written: it cites the release."""
    language, targets = languages.targets(version, language)

    def text(key: str, source: str | None) -> str | None:
        target = targets.get(key, "")  # a blank target is no translation (framework/translations.translate)
        return target if source and target.strip() else source

    rows = db.session.execute(
        select(Domain.id, Domain.code, Domain.title, Subdomain.code, Subdomain.title,
               Indicator.id, Indicator.code, Indicator.statement, Indicator.guidance)
        .select_from(Indicator)
        .join(Subdomain, Indicator.subdomain_id == Subdomain.id)
        .join(Domain, Subdomain.domain_id == Domain.id)
        .where(Indicator.version_id == version.id)
        .order_by(Domain.position, Domain.id, Subdomain.position, Subdomain.id, Indicator.position, Indicator.id)
    ).all()
    codes: dict[int, str] = {}
    level_texts: dict[int, list[str]] = {}
    if levels:
        codes = {row[5]: row[6] for row in rows}
        for ind_id, n, description in db.session.execute(
                select(Level.indicator_id, Level.level, Level.description)
                .where(Level.version_id == version.id).order_by(Level.indicator_id, Level.level)):
            level_texts.setdefault(ind_id, []).append(
                text(f"indicator.{codes.get(ind_id)}.level.{n}", description))
    domains: list[DomainNode] = []
    current: list = []  # [domain_id, code, title, indicators]
    for d_id, d_code, d_title, s_code, s_title, i_id, i_code, statement, guidance in rows:
        if not current or current[0] != d_id:
            if current:
                domains.append(DomainNode(current[0], len(domains) + 1, current[1], current[2], tuple(current[3])))
            current = [d_id, d_code, text(f"domain.{d_code}.title", d_title), []]
        current[3].append(IndicatorNode(
            id=i_id, code=i_code, statement=text(f"indicator.{i_code}.statement", statement),
            guidance=text(f"indicator.{i_code}.guidance", guidance), domain_index=len(domains) + 1,
            domain_code=d_code, subdomain_code=s_code, subdomain_title=text(f"subdomain.{s_code}.title", s_title),
            levels=tuple(level_texts.get(i_id, ()))))
    if current:
        domains.append(DomainNode(current[0], len(domains) + 1, current[1], current[2], tuple(current[3])))
    terms: tuple[tuple[str, str], ...] = ()
    if glossary:
        terms = tuple((term, definition) for term, definition in db.session.execute(
            select(GlossaryTerm.term, GlossaryTerm.definition).where(GlossaryTerm.version_id == version.id)
            .order_by(GlossaryTerm.position, GlossaryTerm.id)).all())
        terms = languages.glossary(terms, targets)
    generic = tuple(text(f"generic_level.{n}", level) or "" for n, level in enumerate(version.generic_levels or (), 1))
    return Tree(version_id=version.id, ref=version.ref, name=version.name, source=version.source,
                generic_levels=generic, domains=tuple(domains), glossary=terms, checksum=version.checksum,
                language=language)


# --------------------------------------------------------------------------------------------------------------
# Life cycle

def assessable_versions() -> list[FrameworkVersion]:
    """Released framework versions, newest first within each framework (retired ones are not offered)."""
    return list(db.session.scalars(
        select(FrameworkVersion).where(FrameworkVersion.status == VersionStatus.RELEASED)
        .order_by(FrameworkVersion.framework_id, FrameworkVersion.released_at.desc(), FrameworkVersion.id.desc())))


def members_of(org: Organisation) -> list[OrganisationMember]:
    return list(db.session.scalars(
        select(OrganisationMember).join(User, OrganisationMember.user_id == User.id)
        .where(OrganisationMember.organisation_id == org.id).order_by(User.name, User.id)))


def _clean_title(title: str) -> str:
    title = (title or "").strip()
    if not title:
        raise InvalidInput(_("An assessment needs a title, e.g. 'National baseline 2025'."))
    if len(title) > TITLE_MAX:
        raise InvalidInput(_("The title is too long (%(length)s characters; at most %(max)s).", length=len(title),
                             max=TITLE_MAX))
    return title


def _team_users(org: Organisation, user_ids: Iterable[int]) -> list[int]:
    wanted = list(dict.fromkeys(int(u) for u in user_ids))
    if not wanted:
        return []
    members = set(db.session.scalars(select(OrganisationMember.user_id).where(
        OrganisationMember.organisation_id == org.id, OrganisationMember.user_id.in_(wanted))))
    strangers = [u for u in wanted if u not in members]
    if strangers:
        raise InvalidInput(_("The team can only include members of the organisation."))
    return wanted


def create(org: Organisation, version: FrameworkVersion, *, title: str, scope: str = "",
           reference_date: date, team_user_ids: Sequence[int] = (), team_mode: bool = False,
           language: str = "", by: User | None) -> Assessment:
    """Start an assessment of org on a released framework version, its texts in `language` ('' = the source)."""
    if version.status != VersionStatus.RELEASED:
        raise InvalidInput(_("%(version)s is not a released framework version; assessments use released ones.",
                             version=version.ref))
    if not isinstance(reference_date, date):
        raise InvalidInput(_("An assessment needs a reference date (the date the levels describe)."))
    language = languages.clean(version, language)
    assessment = Assessment(organisation_id=org.id, version_id=version.id, title=_clean_title(title),
                            scope=(scope or "").strip(), reference_date=reference_date, team_mode=bool(team_mode),
                            language=language, status=AssessmentStatus.IN_PROGRESS,
                            created_by_id=by.id if by else None)
    db.session.add(assessment)
    db.session.flush()
    for uid in _team_users(org, team_user_ids):
        db.session.add(AssessmentTeamMember(assessment_id=assessment.id, user_id=uid))
    db.session.flush()
    audit.record(by, "start_assessment", "assessment", assessment.id,
                 after={"organisation_id": org.id, "version": version.ref, "title": assessment.title,
                        "reference_date": reference_date.isoformat(), "team_mode": assessment.team_mode,
                        "language": language})
    return assessment


def require_open(assessment: Assessment) -> None:
    if assessment.status != AssessmentStatus.IN_PROGRESS:
        raise AssessmentFinalised(assessment)


def update_settings(assessment: Assessment, *, title: str, scope: str, reference_date: date,
                    team_user_ids: Sequence[int], team_mode: bool, language: str | None = None,
                    by: User | None) -> None:
    """Change an open assessment's settings (language None: keep it); a refused value changes nothing."""
    require_open(assessment)
    language = assessment.language if language is None else languages.clean(assessment.version, language)
    title = _clean_title(title)
    wanted = _team_users(assessment.organisation, team_user_ids)
    before = {"title": assessment.title, "scope": assessment.scope,
              "reference_date": assessment.reference_date.isoformat(), "team_mode": assessment.team_mode,
              "team": sorted(m.user_id for m in assessment.team), "language": assessment.language}
    assessment.title = title
    assessment.scope = (scope or "").strip()
    assessment.reference_date = reference_date
    assessment.team_mode = bool(team_mode)
    assessment.language = language
    assessment.updated_at = utcnow()
    db.session.execute(delete(AssessmentTeamMember).where(
        AssessmentTeamMember.assessment_id == assessment.id, AssessmentTeamMember.user_id.not_in(wanted or [0])))
    present = set(db.session.scalars(select(AssessmentTeamMember.user_id).where(
        AssessmentTeamMember.assessment_id == assessment.id)))
    for uid in wanted:
        if uid not in present:
            db.session.add(AssessmentTeamMember(assessment_id=assessment.id, user_id=uid))
    db.session.flush()
    db.session.expire(assessment, ["team"])
    audit.record(by, "update_assessment", "assessment", assessment.id, before=before,
                 after={"title": assessment.title, "scope": assessment.scope,
                        "reference_date": reference_date.isoformat(), "team_mode": assessment.team_mode,
                        "team": sorted(wanted), "language": language})


def delete_assessment(assessment: Assessment, *, by: User | None) -> None:
    """Delete an assessment still in progress (a finalised one is the organisation's record and stays)."""
    require_open(assessment)
    audit.record(by, "delete_assessment", "assessment", assessment.id,
                 before={"title": assessment.title, "organisation_id": assessment.organisation_id})
    db.session.delete(assessment)
    db.session.flush()


@dataclass(frozen=True)
class Completion:
    answered: int
    total: int
    per_domain: dict[int, tuple[int, int]] = field(default_factory=dict)  # domain index -> (answered, total)

    @property
    def complete(self) -> bool:
        return self.total > 0 and self.answered >= self.total

    @property
    def percent(self) -> int:
        return round(100 * self.answered / self.total) if self.total else 0


def completion(assessment: Assessment, tree_: Tree) -> Completion:
    """How many indicators have a level (the agreed one in team mode) or are marked not applicable."""
    answered_ids = set(db.session.scalars(select(AssessmentAnswer.indicator_id).where(
        AssessmentAnswer.assessment_id == assessment.id,
        (AssessmentAnswer.current_level.is_not(None)) | AssessmentAnswer.not_applicable)))
    per_domain = {d.index: (sum(1 for i in d.indicators if i.id in answered_ids), len(d.indicators))
                  for d in tree_.domains}
    return Completion(answered=sum(a for a, _ in per_domain.values()), total=len(tree_.indicators),
                      per_domain=per_domain)


def member_completion(assessment: Assessment, tree_: Tree, user: User) -> Completion:
    """Team mode: how many indicators this member has given an individual level (their own progress, beside the
    team's agreed progress of completion())."""
    rated = set(db.session.scalars(select(AssessmentMemberLevel.indicator_id).where(
        AssessmentMemberLevel.assessment_id == assessment.id, AssessmentMemberLevel.user_id == user.id,
        AssessmentMemberLevel.level.is_not(None))))
    per_domain = {d.index: (sum(1 for i in d.indicators if i.id in rated), len(d.indicators)) for d in tree_.domains}
    return Completion(answered=sum(a for a, _ in per_domain.values()), total=len(tree_.indicators),
                      per_domain=per_domain)


def unanswered(assessment: Assessment, tree_: Tree) -> list[IndicatorNode]:
    answered_ids = set(db.session.scalars(select(AssessmentAnswer.indicator_id).where(
        AssessmentAnswer.assessment_id == assessment.id,
        (AssessmentAnswer.current_level.is_not(None)) | AssessmentAnswer.not_applicable)))
    return [i for i in tree_.indicators if i.id not in answered_ids]


def finalise(assessment: Assessment, *, by: User | None) -> None:
    """Freeze a complete assessment; a second finaliser (or a race) gets AssessmentFinalised."""
    require_open(assessment)
    missing = unanswered(assessment, tree(assessment.version))
    if missing:
        sample = ", ".join(i.code for i in missing[:5]) + (" …" if len(missing) > 5 else "")
        raise InvalidInput(ngettext("%(num)d indicator has no level yet (%(sample)s). Give each a level or mark it "
                                    "not applicable with a reason, then finalise.",
                                    "%(num)d indicators have no level yet (%(sample)s). Give each a level or mark it "
                                    "not applicable with a reason, then finalise.", len(missing), sample=sample))
    now = utcnow()
    claimed = db.session.execute(
        update(Assessment).where(Assessment.id == assessment.id, Assessment.status == AssessmentStatus.IN_PROGRESS)
        .values(status=AssessmentStatus.FINALISED, finalised_at=now, finalised_by_id=by.id if by else None,
                updated_at=now)
        .execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        raise AssessmentFinalised(assessment)
    db.session.expire(assessment)
    audit.record(by, "finalise_assessment", "assessment", assessment.id, after={"finalised_at": now.isoformat()})
    prepared.prepare_soon("assessment", assessment.id)  # the report PDF the team will download


def set_benchmark_opt_in(org: Organisation, opt_in: bool, *, by: User | None) -> None:
    before = org.benchmark_opt_in
    org.benchmark_opt_in = bool(opt_in)
    db.session.flush()
    audit.record(by, "benchmark_opt_in", "organisation", org.id, before={"benchmark_opt_in": before},
                 after={"benchmark_opt_in": org.benchmark_opt_in})


# --------------------------------------------------------------------------------------------------------------
# Lists

@dataclass(frozen=True)
class AssessmentSummary:
    assessment: Assessment
    answered: int
    total: int

    @property
    def percent(self) -> int:
        return round(100 * self.answered / self.total) if self.total else 0


def for_organisation(org: Organisation) -> list[AssessmentSummary]:
    """The organisation's assessments, newest reference date first, with their completion (three queries)."""
    assessments = list(db.session.scalars(
        select(Assessment).where(Assessment.organisation_id == org.id)
        .order_by(Assessment.reference_date.desc(), Assessment.id.desc())))
    if not assessments:
        return []
    ids = [a.id for a in assessments]
    answered = dict(db.session.execute(
        select(AssessmentAnswer.assessment_id,
               func.sum(case(((AssessmentAnswer.current_level.is_not(None)) | AssessmentAnswer.not_applicable, 1),
                             else_=0)))
        .where(AssessmentAnswer.assessment_id.in_(ids)).group_by(AssessmentAnswer.assessment_id)).all())
    versions = {a.version_id for a in assessments}
    totals = dict(db.session.execute(
        select(Indicator.version_id, func.count(Indicator.id)).where(Indicator.version_id.in_(versions))
        .group_by(Indicator.version_id)).all())
    return [AssessmentSummary(a, int(answered.get(a.id) or 0), int(totals.get(a.version_id) or 0))
            for a in assessments]

