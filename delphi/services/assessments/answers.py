"""Answering: upsert one indicator's answer field by field (one row per assessment and indicator, never a
duplicate, never a silently lost write), individual levels in team mode, and the lead's agreed level.

A save changes only the fields the person changed. Each field carries its own revision (AssessmentAnswer
.field_revisions), so a save conflicts only on a field someone else changed since the person's page was drawn —
and then shows both versions and lets the person choose. A field refused by a rule is kept out and the others are
saved. A member's individual level lives in its own table and never waits on the shared fields.

The same functions serve the autosave endpoint (one indicator, JSON) and the Save button of a page without
JavaScript (every indicator of a domain, in one transaction).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from functools import reduce
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from delphi.db import utcnow
from delphi.errors import DomainError, InvalidInput
from delphi.extensions import db
from delphi.models import User
from delphi.models.assessment import Assessment, AssessmentAnswer, AssessmentMemberLevel
from delphi.services.assessments.answer_input import (
    CONSENSUS_FIELDS,
    FIELD_LABELS,
    OWN_FIELDS,
    SHARED_FIELDS,
    SOLO_FIELDS,
    TEAM_FIELDS,
    AnswerInput,
    AnswerInvalid,
    clean_link,
    fingerprint,
    form_value,
    parse,
)
from delphi.services.assessments.answer_rules import AnswerState, check, violations
from delphi.services.assessments.lifecycle import IndicatorNode, require_open
from delphi.upsert import upsert

__all__ = ["CONSENSUS_FIELDS", "FIELD_LABELS", "OWN_FIELDS", "SHARED_FIELDS", "SOLO_FIELDS", "TEAM_FIELDS",
           "AnswerConflict", "AnswerInput", "AnswerInvalid", "AnswerState", "FieldConflict", "Refusal", "SaveResult",
           "answers", "check", "clean_link", "field_values", "fingerprint", "fingerprints", "form_value",
           "member_levels", "my_last_saves", "my_levels", "parse", "save", "save_answer", "save_my_level",
           "save_page"]

WRITE_ATTEMPTS = 3  # a guarded UPDATE that loses a race is planned again from the fresh row


# The fields as a sentence names them ("… after you opened this page (target level, evidence)").
FIELD_NAMES = {
    "current_level": _l("current level"), "target_level": _l("target level"), "target_date": _l("target date"),
    "confidence": _l("confidence"), "evidence": _l("evidence"), "links": _l("links"),
    "not_applicable": _l("not applicable"), "na_reason": _l("reason"), "agreed_note": _l("note"),
    "my_level": _l("your level"), "my_comment": _l("your comment"), "revision": _l("revision"),
}


def _and(names: list[str]) -> str:
    """"Ana and Lena" (and so on for more)."""
    return reduce(lambda first, second: _("%(first)s and %(second)s", first=first, second=second), names)


class AnswerConflict(DomainError):
    def __init__(self, indicator: IndicatorNode, who: str | None, fields: tuple[str, ...] = ()):
        names = ", ".join(str(FIELD_NAMES[f]) for f in fields)
        who = who or _("someone else")
        super().__init__(
            _("%(code)s was changed by %(who)s after you opened this page (%(fields)s): your version and theirs are "
              "shown; choose which to keep.", code=indicator.code, who=who, fields=names) if names else
            _("%(code)s was changed by %(who)s after you opened this page: your version and theirs are shown; "
              "choose which to keep.", code=indicator.code, who=who))
        self.indicator = indicator
        self.fields = fields


@dataclass(frozen=True)
class Refusal:
    """A field that was not saved: `field` the one refused, `at` the field its message is about."""

    field: str
    at: str
    message: str
    value: Any  # the refused value as the page shows it


@dataclass(frozen=True)
class FieldConflict:
    """Someone else changed this field since the person's page: both versions, as the page shows them."""

    field: str
    mine: Any
    theirs: Any
    by: str | None
    revision: int  # the answer's revision now: saving mine from it overwrites theirs knowingly


@dataclass(frozen=True)
class SaveResult:
    indicator_id: int
    revision: int
    answered: bool
    saved_at: datetime | None  # when this person's save was written (None: nothing to write)
    stored: bool  # False when an empty answer was submitted for an indicator without one (nothing to store)
    saved: tuple[str, ...] = ()
    refused: tuple[Refusal, ...] = ()
    conflicts: tuple[FieldConflict, ...] = ()

    def conflict(self, indicator: IndicatorNode) -> AnswerConflict | None:
        if not self.conflicts:
            return None
        who = sorted({c.by or _("someone else") for c in self.conflicts})
        return AnswerConflict(indicator, _and(who), tuple(c.field for c in self.conflicts))


# --------------------------------------------------------------------------------------------------------------
# Saving

def _answer_row(assessment: Assessment, indicator: IndicatorNode) -> AssessmentAnswer | None:
    return db.session.scalar(select(AssessmentAnswer).where(
        AssessmentAnswer.assessment_id == assessment.id, AssessmentAnswer.indicator_id == indicator.id)
        .execution_options(populate_existing=True))


def _field_revision(row: AssessmentAnswer | None, name: str) -> int:
    entry = (row.field_revisions or {}).get(name) if row is not None else None
    return int(entry.get("revision", 0)) if isinstance(entry, dict) else 0


def _changed_by(row: AssessmentAnswer | None, name: str) -> str | None:
    entry = (row.field_revisions or {}).get(name) if row is not None else None
    user_id = entry.get("by") if isinstance(entry, dict) else None
    user = db.session.get(User, user_id) if user_id else (row.updated_by if row is not None else None)
    return user.name if user is not None else None


@dataclass
class _Plan:
    stored: AnswerState
    changes: dict[str, Any]
    refused: list[Refusal]
    conflicts: list[FieldConflict]


def _plan(assessment: Assessment, row: AssessmentAnswer | None, given: AnswerInput, fields: frozenset[str]) -> _Plan:
    """Which fields this save changes, which it refuses, and which conflict with someone else's change."""
    stored = AnswerState.of(row)
    plan = _Plan(stored, {}, [], [])
    for name in sorted(fields & SHARED_FIELDS):
        if not given.gives(name):
            continue
        if name in given.invalid:
            error = given.invalid[name]
            plan.refused.append(Refusal(name, error.field or name, error.message, given.raw.get(name)))
            continue
        mine, theirs = getattr(given, name), getattr(stored, name)
        if name in given.unresolved:
            choice = given.choices.get(name)
            if choice == "theirs":
                continue
            if choice != "mine":  # the page showed the conflict and no choice came back: change nothing
                if mine != theirs:
                    plan.conflicts.append(FieldConflict(name, form_value(name, mine), form_value(name, theirs),
                                                        _changed_by(row, name), row.revision if row else 0))
                continue
        elif name in given.was and fingerprint(name, mine) == given.was[name]:
            continue  # the page showed this value and the person left it alone
        if mine == theirs:
            continue
        base = given.base(name)
        if base is not None and _field_revision(row, name) > base:
            plan.conflicts.append(FieldConflict(name, form_value(name, mine), form_value(name, theirs),
                                                _changed_by(row, name), row.revision if row else 0))
            continue
        plan.changes[name] = mine
    # Rules across fields: refuse the changed field a broken rule names (or reads), keep the rest.
    while plan.changes:
        broken = [v for v in violations(replace(stored, **plan.changes), reference_date=assessment.reference_date,
                                        team_mode=assessment.team_mode) if set(v.involves) & plan.changes.keys()]
        if not broken:
            break
        rule = broken[0]
        culprit = rule.field if rule.field in plan.changes else next(f for f in rule.involves if f in plan.changes)
        value = plan.changes.pop(culprit)
        plan.refused.append(Refusal(culprit, rule.field or culprit, rule.message,
                                    given.raw.get(culprit, form_value(culprit, value))))
    return plan


def _write(assessment: Assessment, indicator: IndicatorNode, row: AssessmentAnswer | None, changes: dict[str, Any],
           by: User, now: datetime) -> int | None:
    """The guarded UPDATE of the changed fields; the new revision, or None when someone wrote in between."""
    if row is None:
        db.session.execute(upsert(AssessmentAnswer.__table__, {
            "assessment_id": assessment.id, "indicator_id": indicator.id}, {
            "evidence": "", "links": [], "not_applicable": False, "na_reason": "", "agreed_note": "", "revision": 0,
            "field_revisions": {}, "updated_at": now, "updated_by_id": by.id}, update=False))
    read = row.revision if row is not None else 0
    revision = read + 1
    revisions = dict(row.field_revisions or {}) if row is not None else {}
    revisions.update({f: {"revision": revision, "by": by.id, "at": now.isoformat()} for f in changes})
    values: dict[str, Any] = {f: (list(v) if f == "links" else v) for f, v in changes.items()}
    values.update(revision=revision, field_revisions=revisions, updated_at=now, updated_by_id=by.id)
    if assessment.team_mode and changes.keys() & {"current_level", "not_applicable"}:
        values.update(agreed_at=now, agreed_by_id=by.id)
    changed = db.session.execute(
        update(AssessmentAnswer)
        .where(AssessmentAnswer.assessment_id == assessment.id, AssessmentAnswer.indicator_id == indicator.id,
               AssessmentAnswer.revision == read)
        .values(**values).execution_options(synchronize_session=False))
    return revision if changed.rowcount == 1 else None


def save_answer(assessment: Assessment, indicator: IndicatorNode, given: AnswerInput, *, fields: frozenset[str],
                by: User, with_my_level: bool = False, strict: bool = False) -> SaveResult:
    """Save the fields of one indicator the person changed; the result names what was saved, refused and in conflict.

    The row is created with INSERT … ON CONFLICT DO NOTHING, then changed by an UPDATE guarded by the revision just
    read: two first saves never make two rows, and a write in between makes the save plan again from the fresh row.
    strict: all or nothing (raise AnswerInvalid or AnswerConflict, write nothing) for the services' own callers.
    """
    require_open(assessment)
    now = utcnow()
    for _attempt in range(WRITE_ATTEMPTS):
        row = _answer_row(assessment, indicator)
        plan = _plan(assessment, row, given, fields)
        if strict and plan.refused:
            first = plan.refused[0]
            raise AnswerInvalid(first.message, field=first.at, indicator=indicator)
        if strict and plan.conflicts:
            raise AnswerConflict(indicator, plan.conflicts[0].by, tuple(c.field for c in plan.conflicts))
        if not plan.changes:
            revision, written = (row.revision if row is not None else 0), False
            break
        revision = _write(assessment, indicator, row, plan.changes, by, now)
        if revision is not None:
            written = True
            break
    else:
        raise AnswerConflict(indicator, None)
    if row is not None:
        db.session.expire(row)
    state = replace(plan.stored, **plan.changes)
    saved, refused = tuple(sorted(plan.changes)), list(plan.refused)
    if with_my_level:
        mine_saved, mine_refused = _save_my_level(assessment, indicator, given, by=by, now=now)
        saved += mine_saved
        refused += mine_refused
    return SaveResult(indicator.id, revision, state.answered, now if saved else None,
                      stored=row is not None or written, saved=saved, refused=tuple(refused),
                      conflicts=tuple(plan.conflicts))


def save(assessment: Assessment, indicator: IndicatorNode, given: AnswerInput, *, fields: frozenset[str],
         by: User) -> SaveResult:
    """All or nothing: the given fields, or AnswerInvalid / AnswerConflict and nothing written."""
    return save_answer(assessment, indicator, given, fields=fields, by=by, strict=True)


def _save_my_level(assessment: Assessment, indicator: IndicatorNode, given: AnswerInput, *, by: User,
                   now: datetime) -> tuple[tuple[str, ...], list[Refusal]]:
    """Upsert one team member's individual level and comment (team mode), the fields given: never a shared one."""
    if not assessment.team_mode:
        raise InvalidInput(_("Individual levels are only used in team mode."))
    refused = [Refusal(f, given.invalid[f].field or f, given.invalid[f].message, given.raw.get(f))
               for f in sorted(OWN_FIELDS) if given.gives(f) and f in given.invalid]
    key = (AssessmentMemberLevel.assessment_id == assessment.id, AssessmentMemberLevel.indicator_id == indicator.id,
           AssessmentMemberLevel.user_id == by.id)
    existing = db.session.execute(select(AssessmentMemberLevel.level, AssessmentMemberLevel.comment)
                                  .where(*key)).first()
    old = {"my_level": existing[0], "my_comment": existing[1]} if existing is not None else {
        "my_level": None, "my_comment": ""}
    new = dict(old)
    for f in OWN_FIELDS:
        if given.gives(f) and f not in given.invalid and not (
                f in given.was and fingerprint(f, getattr(given, f)) == given.was[f]):
            new[f] = getattr(given, f)
    changed = tuple(sorted(f for f in OWN_FIELDS if new[f] != old[f]))
    if not changed:
        return (), refused
    db.session.execute(upsert(AssessmentMemberLevel.__table__, {
        "assessment_id": assessment.id, "indicator_id": indicator.id, "user_id": by.id}, {
        "level": new["my_level"], "comment": new["my_comment"], "updated_at": now}, update=False))
    db.session.execute(update(AssessmentMemberLevel).where(*key)
                       .values(level=new["my_level"], comment=new["my_comment"], updated_at=now)
                       .execution_options(synchronize_session=False))
    return changed, refused


def save_my_level(assessment: Assessment, indicator: IndicatorNode, given: AnswerInput, *, by: User) -> bool:
    """A team member's individual level and comment alone (the given ones); returns whether anything changed."""
    require_open(assessment)
    changed = _save_my_level(assessment, indicator, given, by=by, now=utcnow())[0]
    return bool(changed)


def save_page(assessment: Assessment, items: list[tuple[IndicatorNode, AnswerInput]], *, fields: frozenset[str],
              by: User, with_my_level: bool = False) -> list[SaveResult]:
    """Save several indicators at once (one transaction), each field by field: what is valid is saved, what is
    refused or in conflict is reported per indicator."""
    require_open(assessment)
    return [save_answer(assessment, indicator, given, fields=fields, by=by, with_my_level=with_my_level)
            for indicator, given in items]


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


def field_values(answer: AssessmentAnswer | None) -> dict[str, Any]:
    """The shared fields of a stored answer as the page shows them."""
    state = AnswerState.of(answer)
    return {f: form_value(f, getattr(state, f)) for f in sorted(SHARED_FIELDS)}


def fingerprints(answer: AssessmentAnswer | None, mine: AssessmentMemberLevel | None) -> dict[str, str]:
    """What a page shows, field by field, as fingerprints it sends back (see AnswerInput.was)."""
    state = AnswerState.of(answer)
    found = {f: fingerprint(f, getattr(state, f)) for f in SHARED_FIELDS}
    found.update(my_level=fingerprint("my_level", mine.level if mine else None),
                 my_comment=fingerprint("my_comment", mine.comment if mine else ""))
    return found


def my_last_saves(assessment: Assessment, user: User) -> dict[int, datetime]:
    """indicator_id → when this person last saved something of it (their level, or a shared field)."""
    last: dict[int, datetime] = {m.indicator_id: m.updated_at for m in my_levels(assessment, user).values()}
    for answer in answers(assessment).values():
        for entry in (answer.field_revisions or {}).values():
            if isinstance(entry, dict) and entry.get("by") == user.id and entry.get("at"):
                at = datetime.fromisoformat(entry["at"])
                if answer.indicator_id not in last or at > last[answer.indicator_id]:
                    last[answer.indicator_id] = at
    return last
