"""Answering: parse and check one indicator's answer, upsert it (one row per assessment and indicator, never a
duplicate, never a silently lost write), individual levels in team mode, and the lead's agreed level.

The same functions serve the autosave endpoint (one indicator, JSON) and the Save button of a page without
JavaScript (every indicator of a domain, all or nothing).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select, update

from delphi.db import utcnow
from delphi.errors import DomainError, InvalidInput
from delphi.extensions import db
from delphi.models import User
from delphi.models.assessment import (
    Assessment,
    AssessmentAnswer,
    AssessmentMemberLevel,
    Confidence,
)
from delphi.services.assessments.lifecycle import IndicatorNode, require_open
from delphi.upsert import upsert

MAX_TEXT = 20_000
MAX_LINKS = 20
MAX_LINK_LENGTH = 2_000

# Which answer fields a page may change. Team mode: the level is each member's own until the lead agrees one;
# "not applicable" is an agreed answer too. The lead's consensus form also carries the target (it must not fall
# below the agreed level).
SOLO_FIELDS = frozenset({"current_level", "target_level", "target_date", "confidence", "evidence", "links",
                         "not_applicable", "na_reason"})
TEAM_FIELDS = frozenset({"target_level", "target_date", "confidence", "evidence", "links"})
CONSENSUS_FIELDS = frozenset({"current_level", "not_applicable", "na_reason", "agreed_note", "target_level"})
FIELD_LABELS = {
    "current_level": "Current level", "target_level": "Target level", "target_date": "Target date",
    "confidence": "Confidence", "evidence": "Evidence", "links": "Links", "not_applicable": "Not applicable",
    "na_reason": "Reason", "agreed_note": "Note", "my_level": "Your level", "my_comment": "Your comment",
    "revision": "Revision",
}


class AnswerInvalid(InvalidInput):
    """Bad input for one field of one indicator; nothing was stored."""

    def __init__(self, message: str, *, field: str | None = None, indicator: IndicatorNode | None = None):
        super().__init__(message)
        self.field = field
        self.indicator = indicator


class AnswerConflict(DomainError):
    def __init__(self, indicator: IndicatorNode, who: str | None):
        super().__init__(f"{indicator.code} was changed by {who or 'someone else'} after you opened this page; "
                         "nothing was saved. Reload to see their answer (or save again to overwrite it).")
        self.indicator = indicator


@dataclass(frozen=True)
class AnswerInput:
    """One indicator's answer as submitted (every field: a missing key means empty)."""

    current_level: int | None = None
    target_level: int | None = None
    target_date: date | None = None
    confidence: Confidence | None = None
    evidence: str = ""
    links: tuple[str, ...] = ()
    not_applicable: bool = False
    na_reason: str = ""
    agreed_note: str = ""
    my_level: int | None = None
    my_comment: str = ""
    revision: int | None = None  # the revision the person started from; None: overwrite whatever is there


# --------------------------------------------------------------------------------------------------------------
# Parsing: every message says what was wrong and what is accepted.

TRUE = {"1", "true", "on", "yes", "y"}
FALSE = {"", "0", "false", "off", "no", "n"}


def _text(raw: Mapping[str, Any], key: str) -> str:
    value = raw.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise AnswerInvalid(f"{FIELD_LABELS[key]} must be text.", field=key)
    value = value.replace("\r\n", "\n").strip()
    if len(value) > MAX_TEXT:
        raise AnswerInvalid(f"{FIELD_LABELS[key]} is too long ({len(value)} characters; at most {MAX_TEXT}).",
                            field=key)
    return value


def _level(raw: Mapping[str, Any], key: str) -> int | None:
    value = raw.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        value = None
    elif isinstance(value, int):
        pass
    elif isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    else:
        value = None
    if value is None or not 1 <= value <= 5:
        shown = raw.get(key)
        raise AnswerInvalid(f"{FIELD_LABELS[key]} must be a whole number from 1 to 5 (got {shown!r}); "
                            "nothing was saved.", field=key)
    return value


def _flag(raw: Mapping[str, Any], key: str) -> bool:
    value = raw.get(key)
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in TRUE | FALSE:
        return value.strip().lower() in TRUE
    raise AnswerInvalid(f"{FIELD_LABELS[key]} must be true or false (got {value!r}).", field=key)


def _date(raw: Mapping[str, Any], key: str) -> date | None:
    value = raw.get(key)
    if value is None or value == "":
        return None
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise AnswerInvalid(f"{FIELD_LABELS[key]} must be a date written as YYYY-MM-DD, e.g. 2027-06-30 "
                            f"(got {value!r}).", field=key) from None


def _confidence(raw: Mapping[str, Any]) -> Confidence | None:
    value = raw.get("confidence")
    if value is None or value == "":
        return None
    try:
        return Confidence(str(value).strip().lower())
    except ValueError:
        raise AnswerInvalid(f"Confidence must be low, medium or high (got {value!r}).", field="confidence") from None


def clean_link(link: str) -> str:
    link = link.strip()
    parts = urlsplit(link)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or any(c.isspace() for c in link):
        raise AnswerInvalid(f"{link[:80]!r} is not a web link: each link must start with http:// or https:// "
                            "(one per line).", field="links")
    if len(link) > MAX_LINK_LENGTH:
        raise AnswerInvalid(f"A link is too long (at most {MAX_LINK_LENGTH} characters).", field="links")
    return link


def _links(raw: Mapping[str, Any]) -> tuple[str, ...]:
    value = raw.get("links")
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        items = value.splitlines()
    elif isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        items = list(value)
    else:
        raise AnswerInvalid("Links must be text, one link per line.", field="links")
    links = tuple(dict.fromkeys(clean_link(v) for v in items if v.strip()))
    if len(links) > MAX_LINKS:
        raise AnswerInvalid(f"At most {MAX_LINKS} links per indicator (got {len(links)}).", field="links")
    return links


def _revision(raw: Mapping[str, Any]) -> int | None:
    value = raw.get("revision")
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    raise AnswerInvalid("The page's revision marker is damaged; reload the page.", field="revision")


def parse(raw: Mapping[str, Any]) -> AnswerInput:
    """Parse one indicator's submitted fields (JSON values or form strings); raises AnswerInvalid."""
    return AnswerInput(
        current_level=_level(raw, "current_level"), target_level=_level(raw, "target_level"),
        target_date=_date(raw, "target_date"), confidence=_confidence(raw), evidence=_text(raw, "evidence"),
        links=_links(raw), not_applicable=_flag(raw, "not_applicable"), na_reason=_text(raw, "na_reason"),
        agreed_note=_text(raw, "agreed_note"), my_level=_level(raw, "my_level"),
        my_comment=_text(raw, "my_comment"), revision=_revision(raw))


# --------------------------------------------------------------------------------------------------------------
# Checking the answer as it would be stored (new fields merged over the stored ones)

@dataclass(frozen=True)
class AnswerState:
    current_level: int | None = None
    target_level: int | None = None
    target_date: date | None = None
    confidence: Confidence | None = None
    evidence: str = ""
    links: tuple[str, ...] = ()
    not_applicable: bool = False
    na_reason: str = ""
    agreed_note: str = ""

    @property
    def is_empty(self) -> bool:
        return self == AnswerState()

    @classmethod
    def of(cls, row: AssessmentAnswer | None) -> AnswerState:
        if row is None:
            return cls()
        return cls(current_level=row.current_level, target_level=row.target_level, target_date=row.target_date,
                   confidence=row.confidence, evidence=row.evidence or "", links=tuple(row.links or ()),
                   not_applicable=row.not_applicable, na_reason=row.na_reason or "",
                   agreed_note=row.agreed_note or "")


def check(state: AnswerState, *, reference_date: date | None, team_mode: bool = False) -> None:
    """The rules across fields; the database holds the same ones as check constraints."""
    if state.not_applicable and (state.current_level is not None or state.target_level is not None):
        what = "an agreed level" if team_mode else "a level"
        raise AnswerInvalid(f"An indicator marked not applicable cannot also have {what} or a target: clear the "
                            "levels or untick 'Not applicable'.", field="not_applicable")
    if state.not_applicable and not state.na_reason:
        raise AnswerInvalid("Say why this indicator does not apply to your healthcare system (the reason is "
                            "part of the record).", field="na_reason")
    if (state.current_level is not None and state.target_level is not None
            and state.target_level < state.current_level):
        current = "agreed level" if team_mode else "current level"
        raise AnswerInvalid(f"The target level ({state.target_level}) is below the {current} "
                            f"({state.current_level}): a target is where you want to be, so raise it or clear it.",
                            field="target_level")
    if state.target_date is not None and reference_date is not None and state.target_date < reference_date:
        raise AnswerInvalid(f"The target date ({state.target_date.isoformat()}) is before the assessment's reference "
                            f"date ({reference_date.isoformat()}).", field="target_date")


# --------------------------------------------------------------------------------------------------------------
# Saving

@dataclass(frozen=True)
class SaveResult:
    indicator_id: int
    revision: int
    answered: bool
    saved_at: datetime | None
    stored: bool  # False when an empty answer was submitted for an indicator without one (nothing to store)


def _answer_row(assessment: Assessment, indicator: IndicatorNode) -> AssessmentAnswer | None:
    return db.session.scalar(select(AssessmentAnswer).where(
        AssessmentAnswer.assessment_id == assessment.id, AssessmentAnswer.indicator_id == indicator.id)
        .execution_options(populate_existing=True))


def _merge(stored: AnswerState, given: AnswerInput, fields: frozenset[str]) -> AnswerState:
    return replace(stored, **{f: getattr(given, f) for f in fields})


def validate(assessment: Assessment, indicator: IndicatorNode, given: AnswerInput, fields: frozenset[str]) -> None:
    """Check without writing (the page-save checks every indicator before it writes any)."""
    row = _answer_row(assessment, indicator)
    stored = AnswerState.of(row)
    state = _merge(stored, given, fields)
    try:
        check(state, reference_date=assessment.reference_date, team_mode=assessment.team_mode)
    except AnswerInvalid as error:
        error.indicator = indicator
        raise
    if given.revision is not None and state != stored and given.revision != (row.revision if row else 0):
        who = row.updated_by.name if row is not None and row.updated_by is not None else None
        raise AnswerConflict(indicator, who)


def save(assessment: Assessment, indicator: IndicatorNode, given: AnswerInput, *, fields: frozenset[str],
         by: User) -> SaveResult:
    """Upsert the team answer of one indicator with the given fields; other fields keep their stored values.

    The row is created with INSERT … ON CONFLICT DO NOTHING, then changed by an UPDATE guarded by the revision the
    person started from: two first saves never make two rows, and a stale page never overwrites a newer answer.
    """
    require_open(assessment)
    row = _answer_row(assessment, indicator)
    stored = AnswerState.of(row)
    state = _merge(stored, given, fields)
    try:
        check(state, reference_date=assessment.reference_date, team_mode=assessment.team_mode)
    except AnswerInvalid as error:
        error.indicator = indicator
        raise
    expected = given.revision if given.revision is not None else (row.revision if row else 0)
    if row is None and state.is_empty:
        return SaveResult(indicator.id, 0, False, None, stored=False)
    if row is not None and state == stored:  # nothing changes: no new revision, no conflict
        return SaveResult(indicator.id, row.revision, _answered(state), row.updated_at, stored=True)
    now = utcnow()
    if row is None:
        db.session.execute(upsert(AssessmentAnswer.__table__, {
            "assessment_id": assessment.id, "indicator_id": indicator.id}, {
            "evidence": "", "links": [], "not_applicable": False, "na_reason": "", "agreed_note": "", "revision": 0,
            "updated_at": now, "updated_by_id": by.id}, update=False))
    values: dict[str, Any] = {
        "current_level": state.current_level, "target_level": state.target_level, "target_date": state.target_date,
        "confidence": state.confidence, "evidence": state.evidence, "links": list(state.links),
        "not_applicable": state.not_applicable, "na_reason": state.na_reason, "agreed_note": state.agreed_note,
        "revision": AssessmentAnswer.revision + 1, "updated_at": now, "updated_by_id": by.id}
    if "current_level" in fields and assessment.team_mode:
        values.update(agreed_at=now, agreed_by_id=by.id)
    changed = db.session.execute(
        update(AssessmentAnswer)
        .where(AssessmentAnswer.assessment_id == assessment.id, AssessmentAnswer.indicator_id == indicator.id,
               AssessmentAnswer.revision == expected)
        .values(**values).execution_options(synchronize_session=False))
    if changed.rowcount != 1:
        fresh = _answer_row(assessment, indicator)
        raise AnswerConflict(indicator, fresh.updated_by.name if fresh and fresh.updated_by else None)
    if row is not None:
        db.session.expire(row)
    return SaveResult(indicator.id, expected + 1, _answered(state), now, stored=True)


def _answered(state: AnswerState) -> bool:
    return state.current_level is not None or state.not_applicable


def save_my_level(assessment: Assessment, indicator: IndicatorNode, given: AnswerInput, *, by: User) -> bool:
    """Upsert one team member's individual level and comment (team mode). Returns whether a row is stored."""
    require_open(assessment)
    if not assessment.team_mode:
        raise InvalidInput("Individual levels are only used in team mode.")
    key = (AssessmentMemberLevel.assessment_id == assessment.id, AssessmentMemberLevel.indicator_id == indicator.id,
           AssessmentMemberLevel.user_id == by.id)
    existing = db.session.execute(select(AssessmentMemberLevel.level, AssessmentMemberLevel.comment)
                                  .where(*key)).first()
    if existing is None and given.my_level is None and not given.my_comment:
        return False
    if existing is not None and tuple(existing) == (given.my_level, given.my_comment):
        return True
    now = utcnow()
    db.session.execute(upsert(AssessmentMemberLevel.__table__, {
        "assessment_id": assessment.id, "indicator_id": indicator.id, "user_id": by.id}, {
        "level": given.my_level, "comment": given.my_comment, "updated_at": now}, update=False))
    db.session.execute(update(AssessmentMemberLevel).where(*key)
                       .values(level=given.my_level, comment=given.my_comment, updated_at=now)
                       .execution_options(synchronize_session=False))
    return True


class PageInvalid(InvalidInput):
    """Several indicators of one page were refused; nothing was stored. problems: indicator id → (field, message)."""

    def __init__(self, problems: dict[int, tuple[str | None, str]]):
        n = len(problems)
        super().__init__(f"{n} {'answer needs' if n == 1 else 'answers need'} correcting; nothing was saved.")
        self.problems = problems


def save_page(assessment: Assessment, items: list[tuple[IndicatorNode, AnswerInput]], *, fields: frozenset[str],
              by: User, with_my_level: bool = False) -> list[SaveResult]:
    """Save several indicators at once, all or nothing: every answer is checked before any is written."""
    require_open(assessment)
    problems: dict[int, tuple[str | None, str]] = {}
    for indicator, given in items:
        try:
            validate(assessment, indicator, given, fields)
        except AnswerInvalid as error:
            problems[indicator.id] = (error.field, error.message)
        except AnswerConflict as error:
            problems[indicator.id] = ("conflict", error.message)
    if problems:
        raise PageInvalid(problems)
    results = []
    for indicator, given in items:
        results.append(save(assessment, indicator, given, fields=fields, by=by))
        if with_my_level:
            save_my_level(assessment, indicator, given, by=by)
    return results


# --------------------------------------------------------------------------------------------------------------
# Reading

def answers(assessment: Assessment) -> dict[int, AssessmentAnswer]:
    """indicator_id → the team answer (one query)."""
    return {a.indicator_id: a for a in db.session.scalars(
        select(AssessmentAnswer).where(AssessmentAnswer.assessment_id == assessment.id))}


def my_levels(assessment: Assessment, user: User) -> dict[int, AssessmentMemberLevel]:
    return {m.indicator_id: m for m in db.session.scalars(select(AssessmentMemberLevel).where(
        AssessmentMemberLevel.assessment_id == assessment.id, AssessmentMemberLevel.user_id == user.id))}


def member_levels(assessment: Assessment, indicator_ids: list[int] | None = None) -> list[AssessmentMemberLevel]:
    query = select(AssessmentMemberLevel).where(AssessmentMemberLevel.assessment_id == assessment.id)
    if indicator_ids is not None:
        query = query.where(AssessmentMemberLevel.indicator_id.in_(indicator_ids))
    return list(db.session.scalars(query))
