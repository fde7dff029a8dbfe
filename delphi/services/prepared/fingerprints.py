"""Digests of everything a study's or an assessment's outputs read: equal digests, equal outputs.

A digest covers whole rows rather than an "updated at" stamp, so no writer can forget to bump one. The rows that
stop changing when a round closes (its ratings and comments) enter as a count and a latest-change stamp while the
round is open; everything else is read in full, which for the 1+MG MLM with 500 panelists is a few thousand small
rows (milliseconds), against seconds for the PDF it guards.
"""
from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import Select, Text, cast, func, select

from delphi.extensions import db
from delphi.models import (
    Assessment,
    AssessmentAction,
    AssessmentAnswer,
    AssessmentMemberLevel,
    AssessmentTeamMember,
    BenchmarkEdition,
    Comment,
    Domain,
    FrameworkTranslation,
    FrameworkVersion,
    GlossaryTerm,
    Indicator,
    Item,
    ItemDecision,
    Level,
    Organisation,
    Panelist,
    Participation,
    Rating,
    Round,
    RoundItem,
    RoundStatus,
    Study,
    Subdomain,
    User,
)


def _feed(h: Any, query: Select) -> None:
    for row in db.session.execute(query):
        h.update("\x1f".join("\x00" if v is None else v if isinstance(v, str) else repr(v) for v in row).encode()
                 + b"\x1e")
    h.update(b"\x1d")


# Columns written once and never again, entered by their length: a round's statistics (megabytes of JSON for
# the MLM with 500 panelists) are stored when it closes (studies/rounds.close), with closed_at beside them.
WRITTEN_ONCE = {"rounds": {"results"}}


def _rows(model: Any, *where: Any) -> Select:
    """Every column of the rows, as the database's text: no value is decoded in Python (1,500 participations
    carry 4,500 timestamps)."""
    once = WRITTEN_ONCE.get(model.__tablename__, set())
    columns = [func.length(cast(c, Text)) if c.name in once else cast(c, Text) for c in model.__table__.columns]
    return select(*columns).where(*where).order_by(model.__table__.c.id)


def _framework(h: Any, version_id: int) -> None:
    """A version's whole content: a draft is edited between rounds (a released one is frozen, but cheap too)."""
    _feed(h, _rows(FrameworkVersion, FrameworkVersion.id == version_id))
    for model in (Domain, Subdomain, Indicator, Level, GlossaryTerm):
        _feed(h, _rows(model, model.version_id == version_id))


def study(study_id: int, salt: str = "") -> str:
    h = hashlib.blake2b(salt.encode(), digest_size=32)
    rounds = select(Round.id).where(Round.study_id == study_id)
    _feed(h, _rows(Study, Study.id == study_id))
    for model in (Round, Item, Panelist):
        _feed(h, _rows(model, model.study_id == study_id))
    for model in (RoundItem, ItemDecision, Participation):
        _feed(h, _rows(model, model.round_id.in_(rounds)))
    open_rounds = select(Round.id).where(Round.study_id == study_id, Round.status == RoundStatus.OPEN)
    _feed(h, select(Rating.round_id, func.count(Rating.id), func.count(Rating.value), func.sum(Rating.value),
                    func.max(Rating.id), func.max(Rating.updated_at))
          .where(Rating.round_id.in_(open_rounds)).group_by(Rating.round_id).order_by(Rating.round_id))
    _feed(h, select(Comment.round_id, func.count(Comment.id), func.sum(func.length(Comment.text)),
                    func.max(Comment.id), func.max(Comment.updated_at))
          .where(Comment.round_id.in_(open_rounds)).group_by(Comment.round_id).order_by(Comment.round_id))
    version_ids = db.session.execute(select(Study.framework_version_id, Study.base_version_id,
                                            Study.released_version_id).where(Study.id == study_id)).one_or_none()
    for version_id in sorted({v for v in (version_ids or ()) if v is not None}):
        _framework(h, version_id)
    return h.hexdigest()


def assessment(assessment_id: int, salt: str = "") -> str:
    h = hashlib.blake2b(salt.encode(), digest_size=32)
    row = db.session.execute(select(Assessment.organisation_id, Assessment.version_id, Assessment.language)
                             .where(Assessment.id == assessment_id)).one_or_none()
    if row is None:
        return h.hexdigest()
    org_id, version_id, language = row
    _feed(h, _rows(Assessment, Assessment.id == assessment_id))
    for model in (AssessmentAnswer, AssessmentMemberLevel, AssessmentTeamMember, AssessmentAction):
        _feed(h, _rows(model, model.assessment_id == assessment_id))
    _feed(h, _rows(Organisation, Organisation.id == org_id))
    # The report names the team and compares with the organisation's other assessments and the benchmark edition.
    members = select(AssessmentTeamMember.user_id).where(AssessmentTeamMember.assessment_id == assessment_id)
    _feed(h, select(User.id, User.name).where(User.id.in_(members)).order_by(User.id))
    _feed(h, select(Assessment.id, Assessment.status, Assessment.updated_at, Assessment.title)
          .where(Assessment.organisation_id == org_id).order_by(Assessment.id))
    _feed(h, select(BenchmarkEdition.id).where(BenchmarkEdition.version_id == version_id)
          .order_by(BenchmarkEdition.id))
    _framework(h, version_id)
    # Its texts in the assessment's language (the language itself is in the assessment's row): a released
    # version's translations are frozen, but a digest that reads them needs no such promise.
    _feed(h, _rows(FrameworkTranslation, FrameworkTranslation.version_id == version_id,
                   FrameworkTranslation.language == language))
    return h.hexdigest()
