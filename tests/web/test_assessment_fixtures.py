"""Builders shared by the self-assessment tests (this module holds no tests).

Everything goes through the services, inside an application context, and commits — as a route would.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date

from tests.conftest import PASSWORD


def add_member(app, org_name: str, email: str, role: str = "assessor", name: str | None = None) -> int:
    """Create the organisation if needed and a user who is a member of it; returns the user id."""
    from sqlalchemy import select

    from delphi.extensions import db
    from delphi.models import Organisation, OrganisationRole
    from delphi.services.accounts import organisations, users

    with app.app_context():
        org = db.session.scalar(select(Organisation).where(Organisation.name == org_name))
        if org is None:
            org = organisations.create(org_name)
        user = users.find_by_email(email) or users.create_user(email, name or email.split("@")[0].title(),
                                                                     PASSWORD)
        organisations.add_member(org, user, OrganisationRole(role))
        db.session.commit()
        return user.id


def org_id(app, name: str) -> int:
    from sqlalchemy import select

    from delphi.extensions import db
    from delphi.models import Organisation

    with app.app_context():
        return db.session.scalar(select(Organisation.id).where(Organisation.name == name))


def start(app, org_name: str, lead_email: str, *, title: str = "Baseline", reference_date: date = date(2024, 6, 30),
          team: tuple[str, ...] = (), team_mode: bool = False, version_ref: str | None = None,
          opt_in: bool | None = None) -> int:
    """Start an assessment of org_name on the shipped MLM (or version_ref); returns its id."""
    from sqlalchemy import select

    from delphi.extensions import db
    from delphi.models import Organisation
    from delphi.services.accounts import users
    from delphi.services.assessments import lifecycle
    from delphi.services.frameworks import versions

    with app.app_context():
        org = db.session.scalar(select(Organisation).where(Organisation.name == org_name))
        version = versions.get_version(version_ref) if version_ref else versions.ensure_shipped()
        lead = users.find_by_email(lead_email)
        team_ids = [lead.id] + [users.find_by_email(e).id for e in team]
        a = lifecycle.create(org, version, title=title, reference_date=reference_date, team_user_ids=team_ids,
                               team_mode=team_mode, by=lead)
        if opt_in is not None:
            org.benchmark_opt_in = opt_in
        db.session.commit()
        return a.id


Levels = Callable[[int, str], "int | None"]


def fill(app, assessment_id: int, by_email: str, level: Levels = lambda n, code: 1 + n % 5,
         target: Callable[[int, int | None], int | None] | None = lambda n, cur: min(5, (cur or 1) + 1),
         finalise: bool = False, only: int | None = None, skip: int = 0) -> None:
    """Answer the indicators (all, or the first `only`, leaving the first `skip` alone) with level(n, code) and
    target(n, current)."""
    from delphi.extensions import db
    from delphi.models.assessment import Assessment
    from delphi.services.accounts import users
    from delphi.services.assessments import answers, lifecycle
    from delphi.services.assessments.answers import CONSENSUS_FIELDS, SOLO_FIELDS, AnswerInput

    with app.app_context():
        a = db.session.get(Assessment, assessment_id)
        by = users.find_by_email(by_email)
        tree = lifecycle.tree(a.version)
        fields = CONSENSUS_FIELDS if a.team_mode else SOLO_FIELDS
        for n, ind in enumerate(tree.indicators):
            if only is not None and n >= only:
                break
            if n < skip:
                continue
            cur = level(n, ind.code)
            given = AnswerInput(current_level=cur, target_level=target(n, cur) if target and cur else None,
                                not_applicable=cur is None, na_reason="Not relevant here" if cur is None else "")
            answers.save(a, ind, given, fields=fields, by=by)
        if finalise:
            lifecycle.finalise(a, by=by)
        db.session.commit()


def indicator_ids(app, assessment_id: int) -> list[int]:
    from delphi.extensions import db
    from delphi.models.assessment import Assessment
    from delphi.services.assessments import lifecycle

    with app.app_context():
        a = db.session.get(Assessment, assessment_id)
        return [i.id for i in lifecycle.tree(a.version).indicators]


def add_action(app, assessment_id: int, by_email: str, description: str = "Write the national plan") -> int:
    from delphi.extensions import db
    from delphi.models.assessment import Assessment
    from delphi.services.accounts import users
    from delphi.services.assessments import actions, lifecycle

    with app.app_context():
        a = db.session.get(Assessment, assessment_id)
        tree = lifecycle.tree(a.version)
        action = actions.add(a, tree, indicator_id=tree.indicators[0].id, description=description,
                                        owner="Ministry", by=users.find_by_email(by_email))
        db.session.commit()
        return action.id


def page_urls(assessment_id: int, org: int) -> list[str]:
    """Every GET page and export of one assessment and its organisation."""
    a = f"/assessor/assessments/{assessment_id}"
    return [f"/assessor/organisations/{org}", f"/assessor/organisations/{org}/progress",
            f"/assessor/organisations/{org}/assessments/new", a, f"{a}/settings", f"{a}/domains/1",
            f"{a}/domains/8", f"{a}/domains/1/consensus", f"{a}/results", f"{a}/actions", f"{a}/benchmark",
            f"{a}/export.pdf", f"{a}/export.xlsx", f"{a}/export.json"]


def post_urls(assessment_id: int, org: int, indicator_id: int, action_id: int) -> list[str]:
    """Every state-changing endpoint of one assessment and its organisation."""
    a = f"/assessor/assessments/{assessment_id}"
    return [f"/assessor/organisations/{org}/benchmark", f"/assessor/organisations/{org}/assessments/new",
            f"{a}/settings", f"{a}/finalise", f"{a}/delete", f"{a}/domains/1", f"{a}/domains/1/consensus",
            f"{a}/indicators/{indicator_id}/answer", f"{a}/actions", f"{a}/actions/{action_id}",
            f"{a}/actions/{action_id}/delete"]
