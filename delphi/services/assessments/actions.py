"""The action plan: steps linked to indicators, each shown with the gap it is meant to close.

The plan stays editable after the assessment is finalised: its actions are carried out (and their statuses
tracked) after the levels are frozen, until the next assessment measures the effect.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from delphi.db import utcnow
from delphi.errors import InvalidInput
from delphi.extensions import db
from delphi.models import User
from delphi.models.assessment import ActionStatus, Assessment, AssessmentAction, AssessmentAnswer
from delphi.services.accounts import audit
from delphi.services.assessments.lifecycle import IndicatorNode, Tree

DESCRIPTION_MAX = 5_000
OWNER_MAX = 200


@dataclass(frozen=True)
class ActionView:
    action: AssessmentAction
    indicator: IndicatorNode
    current: int | None
    target: int | None

    @property
    def gap(self) -> int | None:
        if self.current is None or self.target is None:
            return None
        return self.target - self.current

    @property
    def overdue(self) -> bool:
        return (self.action.due_date is not None and self.action.status != ActionStatus.DONE
                and self.action.due_date < date.today())


def _fields(tree: Tree, indicator_id: int, description: str, owner: str,
            status: ActionStatus | str) -> tuple[IndicatorNode, str, str, ActionStatus]:
    indicator = tree.by_id.get(indicator_id)
    if indicator is None:
        raise InvalidInput(_("Choose one of this framework version's indicators for the action."))
    description = (description or "").strip()
    if not description:
        raise InvalidInput(_("Describe the action (what will be done)."))
    if len(description) > DESCRIPTION_MAX:
        raise InvalidInput(_("The description is too long (at most %(max)s characters).", max=DESCRIPTION_MAX))
    owner = (owner or "").strip()
    if len(owner) > OWNER_MAX:
        raise InvalidInput(_("The owner is too long (at most %(max)s characters).", max=OWNER_MAX))
    try:
        status = ActionStatus(status)
    except ValueError:
        raise InvalidInput(_("Status must be open, in progress or done.")) from None
    return indicator, description, owner, status


def add(assessment: Assessment, tree: Tree, *, indicator_id: int, description: str, owner: str = "",
        due_date: date | None = None, status: ActionStatus | str = ActionStatus.OPEN, by: User) -> AssessmentAction:
    indicator, description, owner, status = _fields(tree, indicator_id, description, owner, status)
    action = AssessmentAction(assessment_id=assessment.id, indicator_id=indicator.id, description=description,
                              owner=owner, due_date=due_date, status=status, created_by_id=by.id)
    db.session.add(action)
    db.session.flush()
    audit.record(by, "add_action", "assessment", assessment.id,
                 after={"action_id": action.id, "indicator": indicator.code, "status": status.value})
    return action


def change(action: AssessmentAction, tree: Tree, *, indicator_id: int, description: str, owner: str,
           due_date: date | None, status: ActionStatus | str, by: User) -> None:
    indicator, description, owner, status = _fields(tree, indicator_id, description, owner, status)
    before = {"indicator_id": action.indicator_id, "status": action.status.value}
    action.indicator_id = indicator.id
    action.description = description
    action.owner = owner
    action.due_date = due_date
    action.status = status
    action.updated_at = utcnow()
    db.session.flush()
    audit.record(by, "change_action", "assessment", action.assessment_id, before=before,
                 after={"action_id": action.id, "indicator_id": indicator.id, "status": status.value})


def remove(action: AssessmentAction, *, by: User) -> None:
    audit.record(by, "remove_action", "assessment", action.assessment_id,
                 before={"action_id": action.id, "description": action.description[:200]})
    db.session.delete(action)
    db.session.flush()


def get(assessment: Assessment, action_id: int) -> AssessmentAction | None:
    """The action only if it belongs to this assessment (an id from another one is 'not found')."""
    return db.session.scalar(select(AssessmentAction).where(
        AssessmentAction.id == action_id, AssessmentAction.assessment_id == assessment.id))


def plan(assessment: Assessment, tree: Tree, answers: dict[int, AssessmentAnswer] | None = None) -> list[ActionView]:
    """Every action with the gap of its indicator, in framework order then due date."""
    if answers is None:
        answers = {a.indicator_id: a for a in db.session.scalars(
            select(AssessmentAnswer).where(AssessmentAnswer.assessment_id == assessment.id))}
    actions = db.session.scalars(select(AssessmentAction).where(AssessmentAction.assessment_id == assessment.id))
    order = {ind.id: n for n, ind in enumerate(tree.indicators)}
    views = []
    for action in actions:
        indicator = tree.by_id.get(action.indicator_id)
        if indicator is None:
            continue
        answer = answers.get(action.indicator_id)
        views.append(ActionView(action, indicator, answer.current_level if answer else None,
                                answer.target_level if answer else None))
    views.sort(key=lambda v: (order[v.indicator.id], v.action.due_date or date.max, v.action.id))
    return views
