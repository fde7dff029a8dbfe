"""Organisations (healthcare systems) and their assessor members."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from delphi.errors import InvalidInput
from delphi.extensions import db
from delphi.models import Organisation, OrganisationMember, OrganisationRole, User
from delphi.services.accounts import audit


def create(name: str, country: str | None = None, region: str | None = None, by: User | None = None) -> Organisation:
    name = name.strip()
    if not name:
        raise InvalidInput(_("An organisation needs a name."))
    if db.session.scalar(select(Organisation).where(Organisation.name == name)):
        raise InvalidInput(_("An organisation called '%(name)s' already exists.", name=name))
    org = Organisation(name=name, country=(country or "").strip() or None, region=(region or "").strip() or None)
    db.session.add(org)
    db.session.flush()
    audit.record(by, "create_organisation", "organisation", org.id, after={"name": name})
    return org


def add_member(org: Organisation, user: User, role: OrganisationRole, by: User | None = None) -> OrganisationMember:
    member = db.session.scalar(select(OrganisationMember).where(
        OrganisationMember.organisation_id == org.id, OrganisationMember.user_id == user.id))
    if member is None:
        member = OrganisationMember(organisation_id=org.id, user_id=user.id, role=role)
        db.session.add(member)
    else:
        member.role = role
    db.session.flush()
    audit.record(by, "add_member", "organisation", org.id, after={"user_id": user.id, "role": role.value})
    return member
