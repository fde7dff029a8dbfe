"""Demo data for `flask delphi seed-demo`: accounts for every role (idempotent)."""
from __future__ import annotations

from sqlalchemy import select

from delphi.extensions import db
from delphi.models import Organisation, OrganisationRole, PlatformRole, User
from delphi.services.accounts import organisations, users

DEMO_PASSWORD = "demo-password-1"

ADMIN = ("admin@demo.delphi", "Ada Admin")
ORGANISER = ("organiser@demo.delphi", "Olga Organiser")
EXPERTS = [(f"expert{i}@demo.delphi", name) for i, name in
           enumerate(["Emma Expert", "Erik Expert", "Elena Expert", "Emil Expert", "Eva Expert"], start=1)]
ASSESSORS = [("lead@demo.delphi", "Lea Lead", OrganisationRole.LEAD),
             ("assessor@demo.delphi", "Arno Assessor", OrganisationRole.ASSESSOR)]
DEMO_ORGANISATION = "Demoland (national healthcare system)"


def _person(email: str, name: str) -> User:
    user = users.find_by_email(email)
    if user is None:
        user = users.create_user(email, name, DEMO_PASSWORD)
    return user


def seed() -> list[tuple[str, str, str]]:
    """Create what is missing and return (role, e-mail, password) for every demo login."""
    admin = _person(*ADMIN)
    users.grant_role(admin, PlatformRole.ADMIN)
    organiser = _person(*ORGANISER)
    users.grant_role(organiser, PlatformRole.ORGANISER, by=admin)
    experts = [_person(email, name) for email, name in EXPERTS]

    org = db.session.scalar(select(Organisation).where(Organisation.name == DEMO_ORGANISATION))
    if org is None:
        org = organisations.create(DEMO_ORGANISATION, country="Demoland", by=admin)
    assessors = [_person(email, name) for email, name, _ in ASSESSORS]
    for user, (_, _, role) in zip(assessors, ASSESSORS):
        organisations.add_member(org, user, role, by=admin)

    _seed_later_stages(organiser, experts)
    from delphi.services.frameworks import versions
    from delphi.services.operations import mlm_archive

    mlm_archive.seed(organiser, versions.ensure_shipped(by=organiser))
    from delphi.services.assessments import demo

    demo.seed(org, assessors[0], assessors[1])
    demo.seed_benchmark(org, admin)

    logins = [("admin", ADMIN[0], DEMO_PASSWORD), ("organiser", ORGANISER[0], DEMO_PASSWORD)]
    logins += [("expert", email, DEMO_PASSWORD) for email, _ in EXPERTS]
    logins += [(f"assessor ({role.value})", email, DEMO_PASSWORD) for email, _, role in ASSESSORS]
    return logins


DEMO_STUDY = "1+MG MLM revision — demo Delphi"


def _seed_later_stages(organiser: User, experts: list[User]) -> None:
    """The shipped 1+MG MLM, and a demo study with round 1 open so experts and the organiser can click through."""
    from datetime import timedelta

    from delphi.db import utcnow
    from delphi.models import Study
    from delphi.services.frameworks import versions
    from delphi.services.studies import design, panel, rounds

    shipped = versions.ensure_shipped(by=organiser)
    if db.session.scalar(select(Study).where(Study.title == DEMO_STUDY)) is None:
        study = design.create(DEMO_STUDY, shipped, by=organiser,
                               aims="Re-validate the wording of the 1+MG MLM indicators and their levels.")
        groups = ["clinician", "policy maker", "researcher", "patient advocate", "clinician"]
        for user, group in zip(experts, groups):
            p = panel.add(study, user.email, user.name, by=organiser, stakeholder_group=group, country="Demoland")
            p.invited_at = utcnow()
            panel.consent(p, None)
        rounds.open_round(study, (utcnow() + timedelta(days=14)).replace(second=0, microsecond=0), by=organiser)
    if db.session.scalar(select(Study).where(Study.title == DEMO_REALTIME)) is None:
        _seed_realtime(shipped, organiser, experts)


DEMO_REALTIME = "1+MG MLM domains — demo real-time Delphi"


def _seed_realtime(shipped, organiser: User, experts: list[User]) -> None:
    """A real-time study of the eight domains: four experts have answered (one changed their mind), so live
    feedback and the organiser's convergence have something to show; the fifth has not answered yet."""
    from datetime import timedelta

    from delphi.db import utcnow
    from delphi.services.studies import design, panel, ratings, rounds

    study = design.create(DEMO_REALTIME, shipped, by=organiser,
                          aims="Agree on the eight domains in one open round: each expert sees the panel's answers "
                               "once they have given theirs, and may change them until the study closes.")
    design.set_protocol(study, {**study.protocol, "rated_kinds": ["domain"], "mode": "realtime"}, by=organiser)
    panelists = []
    for user in experts:
        p = panel.add(study, user.email, user.name, by=organiser, country="Demoland")
        p.invited_at = utcnow()
        panel.consent(p, None)
        panelists.append(p)
    rnd = rounds.open_round(study, (utcnow() + timedelta(days=21)).replace(second=0, microsecond=0), by=organiser)
    answers = [[3, 3, 2, 3, 3, 2, 3, 3], [3, 2, 2, 3, 3, 3, 3, 2], [2, 3, 1, 3, 2, 3, 3, 3], [3, 3, 3, 2, 3, 3, 2, 3]]
    items = [ri.item_id for ri in rnd.round_items]
    for p, values in zip(panelists, answers):
        for item_id, value in zip(items, values):
            ratings.save(rnd, p, item_id, ratings={"agreement": value})
    ratings.save(rnd, panelists[2], items[2], ratings={"agreement": 2},
                 comment="On reflection: the domain is right, its title could name legislation first.")
