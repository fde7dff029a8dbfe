"""Bringing people in: organisers (by an admin) and assessors of an organisation."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from delphi.models import Organisation, OrganisationRole, PlatformRole, User
from delphi.services.accounts import organisations, users


def invite_organiser(email: str, name: str, by: User | None) -> User:
    user, created = users.get_or_create_user(email, name)
    users.grant_role(user, PlatformRole.ORGANISER, by=by)
    if created:
        users.send_invitation(user, by, _l("to organise Delphi studies on the Delphi platform"))
    return user


def invite_assessor(org: Organisation, email: str, name: str, role: OrganisationRole, by: User | None) -> User:
    user, created = users.get_or_create_user(email, name)
    organisations.add_member(org, user, role, by=by)
    if created:
        users.send_invitation(user, by, _l("to assess the genomic-medicine maturity of %(organisation)s",
                                            organisation=org.name))
    return user
