"""Pre-filling a re-rated item with the expert's previous answer (protocol `prefill_previous`, default off).

"Your round-1 answer, kept unless you change it": the page shows the previous answer chosen; it is stored in the
new round, marked `carried`, only when the expert acts on the round — saves the page or submits. So an expert who
never opens round 2 has nothing in it and is not a respondent (one definition of a respondent: protocols), and
the report and data package can say how many answers were carried rather than given again.

Only items whose wording did not change since the previous round are pre-filled: an answer to an old wording is
not an answer to a revised one.
"""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select

from delphi.db import utcnow
from delphi.extensions import db
from delphi.models import Panelist, Rating, RatingEvent, Round, RoundItem
from delphi.upsert import upsert


def enabled(rnd: Round) -> bool:
    return bool(rnd.study.protocol.get("prefill_previous")) and rnd.number > 1


def _previous(rnd: Round) -> Round | None:
    return next((r for r in rnd.study.rounds if r.number == rnd.number - 1), None)


def carried(rnd: Round, panelist: Panelist, item_ids: Iterable[int] | None = None) -> dict[int, dict[str, int | None]]:
    """{item id: {question: previous value}} for the questions the expert has not answered in this round yet."""
    previous = _previous(rnd)
    if not enabled(rnd) or previous is None:
        return {}
    # previous_wording is a JSON column: "no revision" may be stored as JSON null, so it is tested in Python.
    query = select(RoundItem.item_id, RoundItem.previous_wording).where(RoundItem.round_id == rnd.id)
    if item_ids is not None:
        query = query.where(RoundItem.item_id.in_(list(item_ids)))
    unchanged = [item_id for item_id, before in db.session.execute(query) if not before]
    keys = {q["key"] for q in rnd.study.protocol["questions"]}
    now = {(i, q) for i, q in db.session.execute(select(Rating.item_id, Rating.question).where(
        Rating.round_id == rnd.id, Rating.panelist_id == panelist.id))}
    out: dict[int, dict[str, int | None]] = {}
    for item_id, question, value in db.session.execute(
            select(Rating.item_id, Rating.question, Rating.value).where(
                Rating.round_id == previous.id, Rating.panelist_id == panelist.id,
                Rating.item_id.in_(unchanged))):
        if question in keys and (item_id, question) not in now:
            out.setdefault(item_id, {})[question] = value
    return out


def keep(rnd: Round, panelist: Panelist, item_ids: Iterable[int] | None = None) -> int:
    """Store the carried answers (of the given items, or all) in this round, marked carried; returns how many."""
    answers = carried(rnd, panelist, item_ids)
    previous = _previous(rnd)
    # A kept answer keeps the language it was given in.
    given_in = {(i, q): language for i, q, language in db.session.execute(
        select(Rating.item_id, Rating.question, Rating.language).where(
            Rating.round_id == previous.id, Rating.panelist_id == panelist.id))} if answers else {}
    now = utcnow()
    n = 0
    for item_id, values in answers.items():
        for question, value in values.items():
            language = given_in.get((item_id, question), "")
            db.session.execute(upsert(Rating, {"round_id": rnd.id, "panelist_id": panelist.id, "item_id": item_id,
                                               "question": question},
                                      {"value": value, "updated_at": now, "carried": True,
                                       "language": language}, update=False))
            db.session.add(RatingEvent(round_id=rnd.id, panelist_id=panelist.id, item_id=item_id,
                                       question=question, value=value, language=language, carried=True,
                                       given_at=now))
            n += 1
    return n


def count(rnd: Round) -> int:
    """How many answers of the round were carried over unchanged (for the report and the data package)."""
    return db.session.scalar(select(func.count(Rating.id)).where(Rating.round_id == rnd.id,
                                                                 Rating.carried.is_(True))) or 0
