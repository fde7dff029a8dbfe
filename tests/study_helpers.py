"""Builders for study tests: a study on the shipped 1+MG MLM draft with a small panel and open round."""
from __future__ import annotations

from datetime import timedelta

from delphi.db import utcnow
from delphi.extensions import db
from delphi.models import PlatformRole, Study
from delphi.services.accounts import users
from delphi.services.frameworks import versions
from delphi.services.studies import design, panel, ratings, rounds

ORGANISER = "olga@example.org"


def organiser():
    user = users.find_by_email(ORGANISER)
    if user is None:
        user = users.create_user(ORGANISER, "Olga Organiser", "correct-horse-battery")
        users.grant_role(user, PlatformRole.ORGANISER)
    return user


def make_study(n_experts: int = 5, kinds: tuple[str, ...] = ("indicator",), domains: int | None = None,
               title: str = "MLM validation", by=None) -> Study:
    """A study rating the given kinds; with consented experts expert1..n@example.org (password as PASSWORD)."""
    org = by or organiser()
    shipped = versions.ensure_shipped()
    study = design.create(title, shipped, by=org)
    protocol = dict(study.protocol)
    protocol["rated_kinds"] = list(kinds)
    design.set_protocol(study, protocol, by=org)
    for i in range(1, n_experts + 1):
        email = f"expert{i}@example.org"
        existing = users.find_by_email(email)
        if existing is None:
            users.create_user(email, f"Expert {i}", "correct-horse-battery")
        p = panel.add(study, email, f"Expert {i}", by=org, stakeholder_group="clinician" if i % 2 else "policy")
        panel.consent(p, None)
    db.session.flush()
    return study


def open_first_round(study: Study):
    return rounds.open_round(study, utcnow() + timedelta(days=7), by=organiser())


def rate_all(rnd, values_by_expert: dict[str, int] | None = None, comment: str | None = None) -> None:
    """Every panelist rates every item of the round; values_by_expert maps pseudonym → rating (default 3)."""
    for p in rnd.study.panelists:
        value = (values_by_expert or {}).get(p.pseudonym, 3)
        for ri in rnd.round_items:
            ratings.save(rnd, p, ri.item_id, ratings={"agreement": value}, comment=comment)


def closed_study(app, n_experts: int = 3) -> int:
    """A committed study on the 8 domains whose round 1 every expert rated (3) and the organiser closed."""
    with app.app_context():
        study = make_study(n_experts=n_experts, kinds=("domain",))
        rnd = open_first_round(study)
        rate_all(rnd)
        rounds.close(rnd, by=organiser())
        db.session.commit()
        return study.id
