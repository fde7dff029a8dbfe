"""Who may do what: role predicates for views and templates, and permission-checking loaders."""
from __future__ import annotations

from dataclasses import dataclass
from functools import wraps
from typing import Callable

from flask import abort
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from delphi.extensions import db
from delphi.models import Organisation, OrganisationMember, User


@dataclass(frozen=True)
class RoleLanding:
    key: str
    label: str
    endpoint: str


def landings_for(user: User) -> list[RoleLanding]:
    """Every role this person holds, in navigation order (a person may hold several)."""
    from delphi.services.accounts import memberships

    result: list[RoleLanding] = []
    if user.is_organiser:
        result.append(RoleLanding("organiser", _l("Organise"), "organiser.index"))
    if memberships.is_expert(user):
        result.append(RoleLanding("expert", _l("My Delphi rounds"), "expert.index"))
    if memberships.organisations_of(user):
        result.append(RoleLanding("assessor", _l("Self-assessment"), "assessor.index"))
    if user.is_admin:
        result.append(RoleLanding("admin", _l("Administration"), "admin.index"))
    return result


def require(predicate: Callable[[User], bool]):
    """Decorator: 403 unless the logged-in user satisfies predicate (login is checked first)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                from flask import current_app

                return current_app.login_manager.unauthorized()
            if not predicate(current_user):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def is_admin(user: User) -> bool:
    return user.is_admin


def is_organiser(user: User) -> bool:
    return user.is_organiser


def load_organisation_for_member(organisation_id: int) -> tuple[Organisation, OrganisationMember | None]:
    """The organisation if the current user is a member (admins see all), else 404 (not 403: no probing)."""
    org = db.session.get(Organisation, organisation_id)
    if org is None:
        abort(404)
    member = db.session.scalar(select(OrganisationMember).where(
        OrganisationMember.organisation_id == org.id, OrganisationMember.user_id == current_user.id))
    if member is None and not current_user.is_admin:
        abort(404)
    return org, member


def load_study_for_organiser(study_id: int):
    """The study if the current user organises it (or is admin), else 404: another study's existence is hidden."""
    from delphi.models import Study
    from delphi.services.studies import design

    study = db.session.get(Study, study_id)
    if study is None or not current_user.is_authenticated or not design.is_organiser_of(current_user, study):
        abort(404)
    return study


def load_round_for_organiser(round_id: int):
    from delphi.models import Round

    rnd = db.session.get(Round, round_id)
    if rnd is None:
        abort(404)
    load_study_for_organiser(rnd.study_id)
    return rnd


def panelist_of(study_id: int):
    from delphi.models import Panelist

    if not current_user.is_authenticated:
        return None
    return db.session.scalar(select(Panelist).where(Panelist.study_id == study_id,
                                                    Panelist.user_id == current_user.id))


def load_study_for_expert(study_id: int):
    """(study, panelist) if the current user sits on its panel, else 404."""
    from delphi.models import Study

    study = db.session.get(Study, study_id)
    panelist = panelist_of(study_id) if study else None
    if panelist is None:
        abort(404)
    return study, panelist


def load_round_for_expert(round_id: int):
    """(round, panelist) if the current user is on the round's panel, else 404."""
    from delphi.models import Round

    rnd = db.session.get(Round, round_id)
    panelist = panelist_of(rnd.study_id) if rnd else None
    if panelist is None:
        abort(404)
    return rnd, panelist
