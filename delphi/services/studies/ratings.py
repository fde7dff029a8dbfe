"""Experts' answers: autosave of ratings and comments, submission, and the long table for the statistics."""
from __future__ import annotations

from typing import Any

import pandas as pd
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select

from delphi.db import utcnow
from delphi.errors import InvalidInput
from delphi.extensions import db
from delphi.models import (Comment, FrameworkVersion, Item, Panelist, Participation, Rating, RatingEvent, Round,
                           RoundItem, Study)
from delphi.services.studies import carry, panel
from delphi.services.studies.round_lock import RoundNotOpen, claim_for_write
from delphi.upsert import upsert

MAX_COMMENT = 5000
UNABLE = "unable"


def _in_round(rnd: Round, item_id: int) -> bool:
    return db.session.scalar(select(RoundItem.id).where(RoundItem.round_id == rnd.id,
                                                        RoundItem.item_id == item_id)) is not None


def parse_answer(questions: list[dict[str, Any]], key: str, raw: Any) -> int | None:
    """A rating from form or JSON input: an integer on the question's scale, or None for 'unable to rate'."""
    q = next((q for q in questions if q["key"] == key), None)
    if q is None:
        raise InvalidInput(_("Unknown question '%(key)s'.", key=key))
    if raw == UNABLE:
        if not q.get("allow_unable"):
            raise InvalidInput(_("'Unable to rate' is not offered for this question."))
        return None
    if isinstance(raw, bool):  # JSON true/false are not points of a scale (int(True) would be 1)
        raise InvalidInput(_("'%(value)s' is not a rating; choose a point from 1 to %(points)s.", value=raw,
                             points=q["points"]))
    try:
        value = int(raw)
    except (TypeError, ValueError, OverflowError):
        raise InvalidInput(_("'%(value)s' is not a rating; choose a point from 1 to %(points)s.", value=raw,
                             points=q["points"])) from None
    if isinstance(raw, float) and raw != value:
        raise InvalidInput(_("'%(value)s' is not a whole point of the scale.", value=raw))
    if not 1 <= value <= q["points"]:
        raise InvalidInput(_("%(value)s is outside the scale 1–%(points)s.", value=value, points=q["points"]))
    return value


def save(rnd: Round, panelist: Panelist, item_id: int, *, ratings: dict[str, Any] | None = None,
         comment: str | None = None) -> None:
    """Upsert an expert's ratings and/or comment for one item; refused once the round is closed."""
    if not claim_for_write(rnd.id):
        raise RoundNotOpen(rnd.number)
    panel.require_active(panelist)
    if not _in_round(rnd, item_id):
        raise InvalidInput(_("This item is not rated in this round."))
    questions = rnd.study.protocol["questions"]
    values = {key: parse_answer(questions, key, raw) for key, raw in (ratings or {}).items()}
    now = utcnow()
    key = {"round_id": rnd.id, "panelist_id": panelist.id, "item_id": item_id}
    for question, value in values.items():
        db.session.execute(upsert(Rating, {**key, "question": question},
                                  {"value": value, "updated_at": now, "carried": False,
                                   "language": panelist.language}))
        db.session.add(RatingEvent(**key, question=question, value=value, language=panelist.language, given_at=now))
    if comment is not None:
        text = comment.strip()
        if len(text) > MAX_COMMENT:
            raise InvalidInput(_("A comment can have at most %(max)s characters.", max=MAX_COMMENT))
        if text:
            db.session.execute(upsert(Comment, key, {"text": text, "updated_at": now, "language": panelist.language}))
        else:
            db.session.execute(Comment.__table__.delete().where(
                Comment.round_id == rnd.id, Comment.panelist_id == panelist.id, Comment.item_id == item_id))
    db.session.execute(upsert(Participation, {"round_id": rnd.id, "panelist_id": panelist.id},
                                        {"started_at": now}, update=False))


def answers(rnd: Round, panelist: Panelist) -> tuple[dict[int, dict[str, int | None]], dict[int, str]]:
    """The expert's own ratings {item_id: {question: value}} and comments {item_id: text} in a round."""
    rated: dict[int, dict[str, int | None]] = {}
    for item_id, question, value in db.session.execute(
            select(Rating.item_id, Rating.question, Rating.value)
            .where(Rating.round_id == rnd.id, Rating.panelist_id == panelist.id)):
        rated.setdefault(item_id, {})[question] = value
    comments = dict(db.session.execute(select(Comment.item_id, Comment.text).where(
        Comment.round_id == rnd.id, Comment.panelist_id == panelist.id)).all())
    return rated, comments


def missing(rnd: Round, panelist: Panelist) -> list[str]:
    """Item codes (with the reason) that still block submission: unanswered questions, required comments."""
    rated, comments = answers(rnd, panelist)
    keys = [q["key"] for q in rnd.study.protocol["questions"]]
    low = rnd.study.protocol.get("comment_required_at_or_below")
    problems = []
    for ri in rnd.round_items:
        given = rated.get(ri.item_id, {})
        if any(k not in given for k in keys):
            problems.append(_("%(code)s: not rated", code=ri.item.code))
        elif low is not None and any(v is not None and v <= low for v in given.values()) \
                and not comments.get(ri.item_id):
            problems.append(_("%(code)s: a comment is required with a rating of %(low)s or lower", code=ri.item.code,
                              low=low))
    return problems


def submit(rnd: Round, panelist: Panelist) -> None:
    if not claim_for_write(rnd.id):
        raise RoundNotOpen(rnd.number)
    panel.require_active(panelist)
    carry.keep(rnd, panelist)  # previous answers shown as "kept unless you change it" are kept now
    problems = missing(rnd, panelist)
    if problems:
        raise InvalidInput(ngettext("%(num)d item(s) still need an answer before you can submit, e.g. %(examples)s.",
                                    "%(num)d item(s) still need an answer before you can submit, e.g. %(examples)s.",
                                    len(problems), examples="; ".join(problems[:3])))
    part = db.session.scalar(select(Participation).where(Participation.round_id == rnd.id,
                                                         Participation.panelist_id == panelist.id))
    part.submitted_at = utcnow()


def count_rated_items(rnd: Round, panelist: Panelist) -> int:
    """Items for which every question has an answer."""
    n_questions = len(rnd.study.protocol["questions"])
    per_item = (select(Rating.item_id).where(Rating.round_id == rnd.id, Rating.panelist_id == panelist.id)
                .group_by(Rating.item_id).having(func.count(Rating.id) >= n_questions).subquery())
    return db.session.scalar(select(func.count()).select_from(per_item)) or 0


def only_counted(query, answers, *, submitted: bool | None = None, withdrawn: bool | None = None):
    """A query of answers (Rating or RatingEvent rows, joined to their Panelist) filtered as protocols.counted
    says: by submission of the round (True: only those who submitted, False: only the others) and by withdrawal."""
    if submitted is not None:
        did_submit = select(Participation.id).where(
            Participation.round_id == answers.round_id, Participation.panelist_id == answers.panelist_id,
            Participation.submitted_at.is_not(None)).exists()
        query = query.where(did_submit if submitted else ~did_submit)
    if withdrawn is not None:
        query = query.where(Panelist.withdrawn_at.is_not(None) if withdrawn else Panelist.withdrawn_at.is_(None))
    return query


def frame(study_id: int, up_to_round: int | None = None, *, submitted: bool | None = None,
          withdrawn: bool | None = None) -> pd.DataFrame:
    """All ratings of a study as the long table `delphi analyse` reads (pseudonyms, never names).

    Columns: round, item, panelist, question, rating (empty = unable to rate), comment, group, language (the
    language the item was shown in, BCP 47; only when some rating was given in another language than the source).
    submitted: True keeps only the ratings of panelists who submitted that round, False only the others'.
    withdrawn: False leaves out the panelists who have withdrawn, True keeps only them.
    """
    query = (select(Round.number.label("round"), Item.code.label("item"), Panelist.pseudonym.label("panelist"),
                    Rating.question, Rating.value.label("rating"), Comment.text.label("comment"),
                    Panelist.stakeholder_group.label("group"), Rating.language)
             .join(Round, Round.id == Rating.round_id)
             .join(Item, Item.id == Rating.item_id)
             .join(Panelist, Panelist.id == Rating.panelist_id)
             .outerjoin(Comment, (Comment.round_id == Rating.round_id) & (Comment.item_id == Rating.item_id)
                        & (Comment.panelist_id == Rating.panelist_id))
             .where(Round.study_id == study_id)
             .order_by(Round.number, Item.position, Panelist.pseudonym, Rating.question))
    if up_to_round is not None:
        query = query.where(Round.number <= up_to_round)
    rows = db.session.execute(only_counted(query, Rating, submitted=submitted, withdrawn=withdrawn)).all()
    df = pd.DataFrame(rows, columns=["round", "item", "panelist", "question", "rating", "comment", "group",
                                     "language"])
    df["rating"] = df["rating"].astype("Int64")
    df["comment"] = df["comment"].fillna("")
    if (df["group"].fillna("") == "").all():
        df = df.drop(columns=["group"])  # no stakeholder groups recorded: no per-group tables
    source = db.session.scalar(select(FrameworkVersion.source_language).join(
        Study, Study.framework_version_id == FrameworkVersion.id).where(Study.id == study_id)) or "en"
    df["language"] = df["language"].replace("", source)  # '' = given before languages were recorded: the source
    if (df["language"] == source).all():
        df = df.drop(columns=["language"])  # every rating in the source language: nothing to tell apart
    return df
