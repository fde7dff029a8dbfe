"""Demo content: one finished self-assessment of the shipped 1+MG MLM, so a newcomer sees results at once, and
five fictitious peer organisations with a published benchmark edition, so the benchmark page has figures.

seed() and seed_benchmark() are idempotent (they look things up by name) and only flush; the caller commits.
"""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from delphi.extensions import db
from delphi.models import Organisation, User
from delphi.models.assessment import ActionStatus, Assessment, Confidence
from delphi.services.accounts import organisations
from delphi.services.assessments import actions, answers, benchmark, lifecycle
from delphi.services.frameworks import versions
from delphi.services.assessments.answers import SOLO_FIELDS, AnswerInput

DEMO_TITLE = "National baseline (demo)"
DEMO_REFERENCE_DATE = date(2024, 12, 31)

# A plausible, fixed profile: level per domain code (one per indicator, cycled) and how far the target reaches.
PROFILE = {
    "I": [3, 2, 3], "II": [2, 1, 2, 2, 1], "III": [3, 3, 4, 2, 3, 3, 2, 4, 3, 3, 2],
    "IV": [2, 2, 1], "V": [2, 3, 2, 1, 2, 2, 3], "VI": [3, 2, 2, 3, 1],
    "VII": [3, 4, 2, 3, 2, 3], "VIII": [2, 3, 2, 1, 2, 3, 2, 2, 1],
}


def seed(organisation: Organisation, lead: User, assessor: User) -> None:
    """Create the finished demo assessment of organisation if it is missing (lead and assessor form the team)."""
    existing = db.session.scalar(select(Assessment.id).where(Assessment.organisation_id == organisation.id,
                                                             Assessment.title == DEMO_TITLE))
    if existing is not None:
        return
    version = versions.ensure_shipped()
    assessment = lifecycle.create(
        organisation, version, title=DEMO_TITLE,
        scope="Genomic medicine in the national healthcare system (demo data, not a real assessment).",
        reference_date=DEMO_REFERENCE_DATE, team_user_ids=[lead.id, assessor.id], by=lead)
    tree = lifecycle.tree(version)
    confidences = [Confidence.HIGH, Confidence.MEDIUM, Confidence.MEDIUM, Confidence.LOW]
    gaps: list[tuple[int, int]] = []
    for d in tree.domains:
        levels = PROFILE.get(d.code, [2])
        for n, ind in enumerate(d.indicators):
            current = levels[n % len(levels)]
            target = min(5, current + (2 if current <= 2 and n % 2 == 0 else 1))
            answers.save(assessment, ind, AnswerInput(
                current_level=current, target_level=target,
                target_date=DEMO_REFERENCE_DATE + timedelta(days=365 * (target - current + 1)),
                confidence=confidences[n % len(confidences)],
                evidence=f"Demo evidence for {ind.code}: national strategy documents and expert interviews."),
                fields=SOLO_FIELDS, by=lead if n % 2 == 0 else assessor)
            if target - current >= 2:
                gaps.append((ind.id, target - current))
    for n, (indicator_id, _gap) in enumerate(gaps[:4]):
        actions.add(
            assessment, tree, indicator_id=indicator_id, by=lead,
            description="Draft and adopt a national work plan with funding and monitoring for this area (demo).",
            owner="Ministry of Health" if n % 2 == 0 else "National genomics platform",
            due_date=DEMO_REFERENCE_DATE + timedelta(days=270 + 90 * n),
            status=[ActionStatus.IN_PROGRESS, ActionStatus.OPEN, ActionStatus.DONE, ActionStatus.OPEN][n])
    lifecycle.finalise(assessment, by=lead)


PEERS = ["Demo peer region North", "Demo peer region South", "Demo peer region East", "Demo peer region West",
         "Demo peer region Centre"]


def seed_benchmark(own: Organisation, by: User) -> None:
    """Opt the demo organisation in, give five peers (no logins) a finalised assessment each, and publish the
    first benchmark edition if there is none: enough organisations for k = 5 others."""
    version = versions.ensure_shipped()
    if benchmark.latest_edition(version.id) is not None:
        return
    own.benchmark_opt_in = True
    tree = lifecycle.tree(version)
    for shift, name in enumerate(PEERS, start=1):
        peer = db.session.scalar(select(Organisation).where(Organisation.name == name))
        if peer is None:
            peer = organisations.create(name, country="Demoland", by=by)
        peer.benchmark_opt_in = True
        if db.session.scalar(select(Assessment.id).where(Assessment.organisation_id == peer.id)) is not None:
            continue
        assessment = lifecycle.create(peer, version, title=f"{name} baseline (demo)",
                                      reference_date=DEMO_REFERENCE_DATE, by=by)
        for n, ind in enumerate(tree.indicators):
            level = 1 + (n * shift + shift) % 5
            answers.save(assessment, ind, AnswerInput(current_level=level, target_level=min(5, level + 1)),
                         fields=SOLO_FIELDS, by=by)
        lifecycle.finalise(assessment, by=by)
    db.session.flush()
    benchmark.publish_edition(version, by=by)
