"""The history of every answer (rating events) as a table, and the first-versus-last stability it gives.

Its own module because both the close (results.compute, for a live round) and the convergence pages
(convergence.py, which also takes snapshots through results.compute) read it: neither imports the other.
"""
from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import select

from delphi.extensions import db
from delphi.models import Item, Panelist, RatingEvent, Round
from delphi.services.studies import protocols, ratings
from delphi.stats import convergence as conv
from delphi.stats.records import records

COLUMNS = ["id", "round", "panelist", "item", "question", "value", "language", "carried", "time"]


def events(study_id: int, round_id: int | None = None, *, submitted: bool | None = None,
           withdrawn: bool | None = None) -> pd.DataFrame:
    """Every answer as it was given, oldest first (one query): pseudonyms and item codes, never names.

    value is None for "unable to rate"; language '' for answers given before languages were recorded. submitted
    and withdrawn filter the panelists as ratings.frame does (protocols.counted gives the study's filters)."""
    query = (select(RatingEvent.id, Round.number, Panelist.pseudonym, Item.code, RatingEvent.question,
                    RatingEvent.value, RatingEvent.language, RatingEvent.carried, RatingEvent.given_at)
             .join(Round, Round.id == RatingEvent.round_id)
             .join(Panelist, Panelist.id == RatingEvent.panelist_id)
             .join(Item, Item.id == RatingEvent.item_id)
             .where(Round.study_id == study_id)
             .order_by(RatingEvent.given_at, RatingEvent.id))
    if round_id is not None:
        query = query.where(RatingEvent.round_id == round_id)
    query = ratings.only_counted(query, RatingEvent, submitted=submitted, withdrawn=withdrawn)
    frame = pd.DataFrame(db.session.execute(query).all(), columns=COLUMNS)
    frame["value"] = frame["value"].astype("Float64").astype(float)  # NaN = unable to rate
    return frame


def round_events(rnd: Round) -> pd.DataFrame:
    """The round's answers that its statistics count (the protocol's respondents and withdrawal rules)."""
    return events(rnd.study_id, rnd.id, **protocols.counted(rnd.study.protocol))


def first_last(rnd: Round, frame: pd.DataFrame | None = None) -> dict[str, list[dict[str, Any]]]:
    """{question: rows of delphi.stats.convergence.first_last}: each expert's first answer against their last."""
    frame = round_events(rnd) if frame is None else frame
    out: dict[str, list[dict[str, Any]]] = {}
    for q in rnd.study.protocol["questions"]:
        sub = frame[frame["question"] == q["key"]]
        if not sub.empty:
            out[q["key"]] = records(conv.first_last(sub, protocols.analysis_config(rnd.study.protocol, q)))
    return out
