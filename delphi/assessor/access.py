"""Permission-checking loaders for self-assessments.

An organisation's assessments are visible to its members and to platform admins only: everyone else gets 404
(never 403, so that ids cannot be probed). Members who may see but not do something (a non-lead finalising,
a non-team member answering) get 403. Templates receive the same Access object, so a page never shows a
button the route would refuse.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort
from flask_login import current_user
from sqlalchemy import select

from delphi.extensions import db
from delphi.models import Organisation, OrganisationMember, OrganisationRole
from delphi.models.assessment import Assessment, AssessmentStatus, AssessmentTeamMember
from delphi.permissions import load_organisation_for_member
from delphi.services.assessments import language


@dataclass(frozen=True)
class OrgAccess:
    organisation: Organisation
    member: OrganisationMember | None

    @property
    def is_lead(self) -> bool:
        return self.member is not None and self.member.role == OrganisationRole.LEAD


@dataclass(frozen=True)
class Access:
    assessment: Assessment
    member: OrganisationMember | None  # None for an admin who is not a member
    on_team: bool

    @property
    def is_lead(self) -> bool:
        return self.member is not None and self.member.role == OrganisationRole.LEAD

    @property
    def is_open(self) -> bool:
        return self.assessment.status == AssessmentStatus.IN_PROGRESS

    @property
    def can_answer(self) -> bool:
        return self.is_open and (self.on_team or self.is_lead)

    @property
    def can_plan(self) -> bool:  # the action plan stays live after finalisation
        return self.on_team or self.is_lead


def load_organisation(organisation_id: int) -> OrgAccess:
    org, member = load_organisation_for_member(organisation_id)
    return OrgAccess(org, member)


def load_assessment(assessment_id: int) -> Access:
    """The assessment if the current user belongs to its organisation (or is an admin), else 404."""
    assessment = db.session.get(Assessment, assessment_id)
    if assessment is None:
        abort(404)
    member = db.session.scalar(select(OrganisationMember).where(
        OrganisationMember.organisation_id == assessment.organisation_id,
        OrganisationMember.user_id == current_user.id))
    if member is None and not current_user.is_admin:
        abort(404)
    on_team = member is not None and db.session.scalar(select(AssessmentTeamMember.id).where(
        AssessmentTeamMember.assessment_id == assessment.id,
        AssessmentTeamMember.user_id == current_user.id)) is not None
    return Access(assessment, member, on_team)


def require(allowed: bool) -> None:
    """403 for a member who may see the page but not do this."""
    if not allowed:
        abort(403)


def page_context(acc: Access, **extra: Any) -> dict[str, Any]:
    """What every page of one assessment renders with: the access, the assessment and its organisation, and how
    its framework texts are marked: `flang` (' lang="de"' on an element holding only framework text, '' when the
    reader's interface is in that language) and `ftext` (a framework text inside interface text)."""
    a = acc.assessment
    chosen = language.effective(a.version, a.language)
    tree = extra.get("tree")
    tag = tree.language if tree is not None else chosen
    return {"acc": acc, "assessment": a, "organisation": a.organisation,
            "flang": language.attribute(tag), "ftext": lambda text: language.text(text, tag),
            "framework_language": language.name(chosen), **extra}
