"""The rules across one answer's fields, as the answer would be stored (the database holds the same ones as check
constraints). Every rule names the fields it reads, so that a save can refuse the one the person changed and keep
the others."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _

from delphi.models.assessment import AssessmentAnswer, Confidence
from delphi.services.assessments.answer_input import AnswerInvalid


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

    @property
    def answered(self) -> bool:
        return self.current_level is not None or self.not_applicable

    @classmethod
    def of(cls, row: AssessmentAnswer | None) -> AnswerState:
        if row is None:
            return cls()
        return cls(current_level=row.current_level, target_level=row.target_level, target_date=row.target_date,
                   confidence=row.confidence, evidence=row.evidence or "", links=tuple(row.links or ()),
                   not_applicable=row.not_applicable, na_reason=row.na_reason or "",
                   agreed_note=row.agreed_note or "")


def violations(state: AnswerState, *, reference_date: date | None, team_mode: bool = False) -> list[AnswerInvalid]:
    """Every rule the state breaks, in the order a person would fix them."""
    found = []
    if state.not_applicable and (state.current_level is not None or state.target_level is not None):
        found.append(AnswerInvalid(
            _("An indicator marked not applicable cannot also have an agreed level or a target: clear the levels or "
              "untick 'Not applicable'.") if team_mode else
            _("An indicator marked not applicable cannot also have a level or a target: clear the levels or untick "
              "'Not applicable'."), field="not_applicable",
            involves=("not_applicable", "current_level", "target_level")))
    if state.not_applicable and not state.na_reason:
        found.append(AnswerInvalid(_("Say why this indicator does not apply to your healthcare system (the reason "
                                     "is part of the record)."), field="na_reason",
                                   involves=("na_reason", "not_applicable")))
    if (state.current_level is not None and state.target_level is not None
            and state.target_level < state.current_level):
        levels = {"target": state.target_level, "current": state.current_level}
        found.append(AnswerInvalid(
            _("The target level (%(target)s) is below the agreed level (%(current)s): a target is where you want to "
              "be, so raise it or clear it.", **levels) if team_mode else
            _("The target level (%(target)s) is below the current level (%(current)s): a target is where you want to "
              "be, so raise it or clear it.", **levels), field="target_level",
            involves=("target_level", "current_level")))
    if state.target_date is not None and reference_date is not None and state.target_date < reference_date:
        found.append(AnswerInvalid(_("The target date (%(target)s) is before the assessment's reference date "
                                     "(%(reference)s).", target=state.target_date.isoformat(),
                                     reference=reference_date.isoformat()), field="target_date"))
    return found


def check(state: AnswerState, *, reference_date: date | None, team_mode: bool = False) -> None:
    """Raise the first broken rule."""
    found = violations(state, reference_date=reference_date, team_mode=team_mode)
    if found:
        raise found[0]
