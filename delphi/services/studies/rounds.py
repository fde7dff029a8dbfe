"""Rounds: opening (with the wording snapshot), deadlines, progress, and a close that loses no rating.

Concurrency: every rating write first takes the round "for writing" (round_lock.claim_for_write). Close is a
guarded UPDATE ... WHERE status = 'open', which therefore waits for every in-flight rating transaction, and after
it no rating can claim the round. The statistics are computed in the same transaction, after the UPDATE, so they see
every rating that was accepted — and only those.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from delphi.db import utcnow
from delphi.errors import InvalidInput
from delphi.extensions import db
from delphi.models import (
    Panelist,
    Participation,
    Rating,
    Round,
    RoundItem,
    RoundStatus,
    Study,
    StudyStatus,
    User,
)
from delphi.services.accounts import audit
from delphi.services.frameworks import translations, versions
from delphi.services.prepared import store as prepared
from delphi.services.studies import design, languages, panel, results
from delphi.services.studies import items as study_items
from delphi.services.studies.round_lock import RoundNotOpen


def open_round(study: Study, deadline: datetime, *, by: User) -> Round:
    """Open round 1 (locking the protocol) or the next round with the active items, worded as in the draft."""
    design.require_live(study)
    if deadline.tzinfo is None:
        deadline = deadline.replace(tzinfo=timezone.utc)
    if deadline <= utcnow():
        raise InvalidInput(_("The deadline must be in the future."))
    if study.status == StudyStatus.FINISHED:
        raise InvalidInput(_("The study has ended; no new round can open."))
    previous = study.current_round
    if previous is not None and previous.is_open:
        raise InvalidInput(_("Round %(number)s is still open; close it first.", number=previous.number))
    number = previous.number + 1 if previous else 1
    if number > study.protocol["max_rounds"]:
        raise InvalidInput(_("The protocol allows at most %(max)s rounds.", max=study.protocol["max_rounds"]))
    if not study.panelists:
        raise InvalidInput(_("Add experts to the panel before opening a round."))
    doc = versions.to_document(study.framework_version)
    languages.require_ready(study, doc)
    if number == 1:
        design.build_items(study, doc)
        design.lock_protocol(study)
    items = study_items.items_for_next_round(study)
    if previous is not None:
        undecided = results.undecided_without_decision(previous)
        if undecided:
            raise InvalidInput(_("Decide on every item of round %(number)s first (%(count)s without a decision, "
                                 "e.g. %(example)s).", number=previous.number, count=len(undecided),
                                 example=undecided[0]))
    if not items:
        raise InvalidInput(_("No item is left to rate: every item is decided. End the study instead."))
    rnd = Round(number=number, status=RoundStatus.OPEN, deadline=deadline)
    study.rounds.append(rnd)
    db.session.flush()
    last_wording = _last_wording(previous) if previous else {}
    docs = languages.documents(study, doc)  # the same items in each other language offered
    for position, item in enumerate(items, 1):
        text = design.wording(item, doc)
        if text is None:
            raise InvalidInput(_("Item %(code)s no longer exists in the draft; drop it first.", code=item.code))
        before = last_wording.get(item.id)
        # Revised = its source wording changed (a translation fix alone is no new question to the panel).
        revised = before and languages.source_part(before) != text
        if docs:
            text["translations"] = languages.translated_wordings(item, docs)
            if revised and (same := languages.unchanged_translations(before, text)):
                raise InvalidInput(_("Item %(code)s was revised, but its %(language)s translation still reads as in "
                                     "round %(number)s: import the translation of the new wording first.",
                                     code=item.code, language=translations.language_name(same[0]),
                                     number=previous.number))
        db.session.add(RoundItem(round_id=rnd.id, item_id=item.id, position=position, wording=text,
                                 previous_wording=before if revised else None))
    db.session.flush()
    db.session.refresh(rnd, ["round_items"])
    told = panel.announce_round(rnd, by=by)
    audit.record(by, "open_round", "study", study.id,
                 after={"round": number, "deadline": deadline.isoformat(), "items": len(items), "told": told})
    return rnd


def _last_wording(rnd: Round) -> dict[int, dict]:
    return {ri.item_id: ri.wording for ri in rnd.round_items}


def extend(rnd: Round, deadline: datetime, *, by: User) -> None:
    if deadline.tzinfo is None:
        deadline = deadline.replace(tzinfo=timezone.utc)
    if not rnd.is_open:
        raise RoundNotOpen(rnd.number)
    if deadline <= rnd.deadline:
        raise InvalidInput(_("The new deadline must be later than the current one."))
    before = rnd.deadline.isoformat()
    rnd.deadline = deadline
    audit.record(by, "extend_round", "round", rnd.id, before={"deadline": before},
                 after={"deadline": deadline.isoformat()})


def close(rnd: Round, *, by: User | None) -> None:
    """Close an open round and store its statistics; a second closer gets RoundNotOpen."""
    claimed = db.session.execute(
        update(Round).where(Round.id == rnd.id, Round.status == RoundStatus.OPEN)
        .values(status=RoundStatus.CLOSED, closed_at=utcnow(), closed_by_id=by.id if by else None))
    if claimed.rowcount != 1:
        raise RoundNotOpen(rnd.number)
    db.session.refresh(rnd)
    rnd.results = results.compute(rnd)
    db.session.flush()
    audit.record(by, "close_round", "round", rnd.id, after={"round": rnd.number})
    prepared.prepare_soon("study", rnd.study_id)  # its report and data package, for the organiser


def close_due(now: datetime | None = None) -> list[Round]:
    """Close every open round whose deadline has passed (for cron: `flask delphi close-due-rounds`)."""
    now = now or utcnow()
    due = db.session.scalars(select(Round).where(Round.status == RoundStatus.OPEN, Round.deadline <= now)).all()
    closed = []
    for rnd in due:
        try:
            close(rnd, by=None)
            closed.append(rnd)
        except RoundNotOpen:
            continue  # someone closed it by hand meanwhile
    return closed


def progress(rnd: Round) -> dict:
    """Counts for the organiser's live view: no individual's ratings, only totals."""
    panel = db.session.scalar(select(func.count(Panelist.id)).where(Panelist.study_id == rnd.study_id)) or 0
    started = db.session.scalar(select(func.count(Participation.id)).where(Participation.round_id == rnd.id)) or 0
    completed = db.session.scalar(select(func.count(Participation.id)).where(
        Participation.round_id == rnd.id, Participation.submitted_at.is_not(None))) or 0
    per_item = dict(db.session.execute(
        select(Rating.item_id, func.count(func.distinct(Rating.panelist_id)))
        .where(Rating.round_id == rnd.id).group_by(Rating.item_id)).all())
    return {"panel": panel, "started": started, "completed": completed, "per_item": per_item,
            "items": len(rnd.round_items)}


def default_deadline(days: int = 14) -> datetime:
    return (utcnow() + timedelta(days=days)).replace(second=0, microsecond=0)



