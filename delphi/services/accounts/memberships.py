"""Which studies and organisations a person belongs to (roles are memberships)."""
from __future__ import annotations

from sqlalchemy import select

from delphi.extensions import db
from delphi.models import Organisation, OrganisationMember, User


def organisations_of(user: User) -> list[Organisation]:
    return list(db.session.scalars(
        select(Organisation).join(OrganisationMember).where(OrganisationMember.user_id == user.id)
        .order_by(Organisation.name)))


def is_expert(user: User) -> bool:
    """True when the person sits on at least one study panel."""
    from delphi.models import Panelist

    return db.session.scalar(select(Panelist.id).where(Panelist.user_id == user.id).limit(1)) is not None
