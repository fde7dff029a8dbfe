"""Demo data for `flask delphi seed-demo`: accounts for every role (idempotent)."""
from __future__ import annotations

from sqlalchemy import select

from delphi.extensions import db
from delphi.models import Organisation, OrganisationRole, PlatformRole, User
from delphi.services import accounts, organisations

DEMO_PASSWORD = "demo-password-1"

ADMIN = ("admin@demo.delphi", "Ada Admin")
ORGANISER = ("organiser@demo.delphi", "Olga Organiser")
EXPERTS = [(f"expert{i}@demo.delphi", name) for i, name in
           enumerate(["Emma Expert", "Erik Expert", "Elena Expert", "Emil Expert", "Eva Expert"], start=1)]
ASSESSORS = [("lead@demo.delphi", "Lea Lead", OrganisationRole.LEAD),
             ("assessor@demo.delphi", "Arno Assessor", OrganisationRole.ASSESSOR)]
DEMO_ORGANISATION = "Demoland (national healthcare system)"


def _person(email: str, name: str) -> User:
    user = accounts.find_by_email(email)
    if user is None:
        user = accounts.create_user(email, name, DEMO_PASSWORD)
    return user


def seed() -> list[tuple[str, str, str]]:
    """Create what is missing and return (role, e-mail, password) for every demo login."""
    admin = _person(*ADMIN)
    accounts.grant_role(admin, PlatformRole.ADMIN)
    organiser = _person(*ORGANISER)
    accounts.grant_role(organiser, PlatformRole.ORGANISER, by=admin)
    experts = [_person(email, name) for email, name in EXPERTS]

    org = db.session.scalar(select(Organisation).where(Organisation.name == DEMO_ORGANISATION))
    if org is None:
        org = organisations.create(DEMO_ORGANISATION, country="Demoland", by=admin)
    for email, name, role in ASSESSORS:
        organisations.add_member(org, _person(email, name), role, by=admin)

    _seed_later_stages(organiser, experts)

    logins = [("admin", ADMIN[0], DEMO_PASSWORD), ("organiser", ORGANISER[0], DEMO_PASSWORD)]
    logins += [("expert", email, DEMO_PASSWORD) for email, _ in EXPERTS]
    logins += [(f"assessor ({role.value})", email, DEMO_PASSWORD) for email, _, role in ASSESSORS]
    return logins


def _seed_later_stages(organiser: User, experts: list[User]) -> None:
    """Frameworks, studies and assessments add their demo content here as they land."""
