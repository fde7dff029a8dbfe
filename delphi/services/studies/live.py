"""Live feedback in a real-time or hybrid round (issue 18): beside every item an expert has answered, the group's
current answers (distribution, median, IQR, agreement), the others' rationales and the expert's own earlier
answers, refreshed while they rate.

Why polling rather than server-sent events: a poll is one short request like the autosave, served by the same
sync workers, through any proxy, and holding nothing while an expert reads. An event stream holds a worker (or
a thread) per watching expert for as long as the page is open; 200 experts would need 200. The page asks every
few seconds (protocol live.refresh_seconds) with If-None-Match, and a round where nothing changed answers 304
after one indexed query (`etag`, over the page's items only).

The aggregates are computed once per round state and kept per process (`_CACHE`): 200 experts polling a round
that changes once a second compute them once a second, not 200 times. What an expert may see follows the
protocol: an item's answers only once at least live.min_answers experts gave one (so no single answer is shown),
and by default only after the expert's own first answer (against anchoring, Gordon & Pease 2006).
"""
from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import func, select, text

from delphi.extensions import db
from delphi.models import Comment, Panelist, Rating, RatingEvent, Round, RoundItem
from delphi.services.studies import protocols, ratings, results
from delphi.stats.descriptive import quantiles_from_counts

_CACHE: OrderedDict[tuple[int, tuple], dict[int, dict[str, Any]]] = OrderedDict()
_CACHE_MAX = 64
# One indexed query tells whether anything an expert could see changed: the last answer, the comments.
_STATE = text("SELECT (SELECT max(id) FROM rating_events WHERE round_id = :r), "
              "(SELECT count(*) FROM comments WHERE round_id = :r), "
              "(SELECT max(updated_at) FROM comments WHERE round_id = :r)")


@dataclass(frozen=True)
class Settings:
    min_answers: int
    after_own_answer: bool
    refresh_seconds: int


def settings(protocol: dict[str, Any]) -> Settings:
    live = protocol.get("live") or {}
    return Settings(max(protocols.MIN_LIVE_ANSWERS, int(live.get("min_answers", 3))),
                    bool(live.get("after_own_answer", True)), int(live.get("refresh_seconds", 3)))


def is_live(rnd: Round) -> bool:
    return rnd.is_open and protocols.is_live(rnd.study.protocol)


def state(round_id: int) -> tuple:
    return tuple(str(v) for v in db.session.execute(_STATE, {"r": round_id}).one())


def in_round(round_id: int, item_ids: list[int]) -> list[int]:
    """The given items that the round rates, in the order given (ids only: no object is loaded)."""
    present = set(db.session.scalars(select(RoundItem.item_id).where(RoundItem.round_id == round_id,
                                                                     RoundItem.item_id.in_(item_ids or [-1]))))
    return [i for i in item_ids if i in present]


def etag(round_id: int, item_ids: list[int], panelist: Panelist, language: str) -> str:
    """Changes when an answer or comment on one of these items changes (anyone's: the expert's own answers are
    among them), or the expert's language does. Per page, not per round: in a round where someone answers every
    second, the pages of other items still get their 304."""
    ids = item_ids or [-1]
    last, comments, changed = db.session.execute(
        select(select(func.max(RatingEvent.id)).where(RatingEvent.round_id == round_id,
                                                     RatingEvent.item_id.in_(ids)).scalar_subquery(),
               select(func.count(Comment.id)).where(Comment.round_id == round_id,
                                                    Comment.item_id.in_(ids)).scalar_subquery(),
               select(func.max(Comment.updated_at)).where(Comment.round_id == round_id,
                                                          Comment.item_id.in_(ids)).scalar_subquery())).one()
    key = "|".join(map(str, (round_id, ",".join(map(str, item_ids)), last, comments, changed, panelist.id,
                             language)))
    return hashlib.sha256(key.encode()).hexdigest()[:20]


def _aggregates(rnd: Round) -> dict[int, dict[str, Any]]:
    """{item id: {"questions": {key: figures}, "comments": [(shuffle key, comment id, author, text, language)]}}
    for the round as it is now, from the cache when nothing changed."""
    key = (rnd.id, state(rnd.id))
    cached = _CACHE.get(key)
    if cached is not None:
        _CACHE.move_to_end(key)
        return cached
    protocol = rnd.study.protocol
    query = (select(Rating.item_id, Rating.question, Rating.value, func.count())
             .join(Panelist, Panelist.id == Rating.panelist_id).where(Rating.round_id == rnd.id)
             .group_by(Rating.item_id, Rating.question, Rating.value))
    # The withdrawal rule as the statistics apply it; every current answer counts, submitted or not: in a
    # real-time round an expert may never submit.
    query = ratings.only_counted(query, Rating, withdrawn=protocols.counted(protocol)["withdrawn"])
    tallies: dict[tuple[int, str], dict[int | None, int]] = {}
    for item_id, question, value, n in db.session.execute(query):
        tallies.setdefault((item_id, question), {})[value] = n
    out: dict[int, dict[str, Any]] = {}
    for q in protocol["questions"]:
        keys = [k for k in tallies if k[1] == q["key"]]
        if not keys:
            continue
        points = int(q["points"])
        counts = np.array([[tallies[k].get(v, 0) for v in range(1, points + 1)] for k in keys], dtype=np.int64)
        method = protocol.get("quartiles", "linear")
        q1, median, q3 = (quantiles_from_counts(counts, p, method, 1) for p in (0.25, 0.5, 0.75))
        lo, hi = q["agree"]
        agree = counts[:, lo - 1:hi].sum(axis=1)
        for row, (item_id, _question) in enumerate(keys):
            n = int(counts[row].sum())
            out.setdefault(item_id, {"questions": {}, "comments": []})["questions"][q["key"]] = {
                "n": n, "counts": [int(c) for c in counts[row]], "unable": int(tallies[keys[row]].get(None, 0)),
                "median": float(median[row]) if n else None, "iqr": float(q3[row] - q1[row]) if n else None,
                "agree": float(agree[row] / n) if n else None}
    for item_id, comment_id, author, body, language in db.session.execute(
            select(Comment.item_id, Comment.id, Comment.panelist_id, Comment.text, Comment.language)
            .where(Comment.round_id == rnd.id)):
        entry = out.setdefault(item_id, {"questions": {}, "comments": []})
        entry["comments"].append((results.shuffle_key(rnd.id, item_id, comment_id), author, body, language))
    for entry in out.values():
        entry["comments"].sort(key=lambda c: c[0])
    _CACHE[key] = out
    while len(_CACHE) > _CACHE_MAX:
        _CACHE.popitem(last=False)
    return out


def feedback(rnd: Round, panelist: Panelist, item_ids: list[int]) -> dict[int, dict[str, Any]]:
    """What this expert may see now of each item: {"visible": bool, "why": reason when not, "questions",
    "comments" (others', anonymous, shuffled), "own": {question: [(value, time), ...]}}."""
    rules = settings(rnd.study.protocol)
    everyone = _aggregates(rnd)
    own: dict[int, dict[str, list]] = {}
    for item_id, question, value, at in db.session.execute(
            select(RatingEvent.item_id, RatingEvent.question, RatingEvent.value, RatingEvent.given_at)
            .where(RatingEvent.round_id == rnd.id, RatingEvent.panelist_id == panelist.id,
                   RatingEvent.item_id.in_(item_ids or [-1])).order_by(RatingEvent.id)):
        own.setdefault(item_id, {}).setdefault(question, []).append((value, at))
    source = rnd.study.framework_version.source_language or "en"
    out = {}
    for item_id in item_ids:
        entry = everyone.get(item_id, {"questions": {}, "comments": []})
        # The fewest rated answers of any question: a distribution of fewer would expose an answer ("unable to
        # rate" does not count, its rating is not among the counts shown).
        answered = min((f["n"] for f in entry["questions"].values()), default=0)
        why = None
        if rules.after_own_answer and item_id not in own:
            why = "own"
        elif answered < rules.min_answers:
            why = "few"
        out[item_id] = {
            "visible": why is None, "why": why, "answered": answered, "min_answers": rules.min_answers,
            "questions": entry["questions"] if why is None else {},
            "comments": [{"text": body, "language": language or source}
                         for _key, author, body, language in entry["comments"]
                         if author != panelist.id and body.strip()] if why is None else [],
            "own": own.get(item_id, {})}
    return out
