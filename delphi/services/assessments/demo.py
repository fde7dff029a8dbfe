"""Demo content: one finished self-assessment of the shipped 1+MG MLM, so a newcomer sees results at once.

seed() is idempotent (it looks the assessment up by title) and only flushes; the caller commits.
"""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from delphi.extensions import db
from delphi.models import Organisation, User
from delphi.models.assessment import ActionStatus, Assessment, Confidence
from delphi.services.assessments import actions, answers, lifecycle
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
