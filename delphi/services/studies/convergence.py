"""Convergence of a round while it is open, and snapshots of its statistics (real-time Delphi, issue 18).

The organiser of a real-time study has no round boundaries to compare, so the live page reads the answer
history (history.py) through delphi.stats.convergence, and a snapshot freezes the statistics at a moment the
organiser chose, in exactly the shape a closed round stores (results.compute), so rules and reports read it alike.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from delphi.db import utcnow
from delphi.errors import DomainError
from delphi.extensions import db
from delphi.models import RatingEvent, Round, RoundSnapshot, User
from delphi.services.accounts import audit
from delphi.services.studies import history, protocols, results
from delphi.stats import convergence as conv
from delphi.stats.records import records

MAX_LABEL = 200


class SnapshotRefused(DomainError):
    status_code = 409


def series(rnd: Round, points: int = conv.DEFAULT_POINTS, now: datetime | None = None) -> dict[str, dict[str, Any]]:
    """{question: {"moments", "items", "panel", "revisions", "first_last"}} from the round's first answer to now
    (or its close): the tables of delphi.stats.convergence as JSON-ready rows, times as ISO 8601 UTC."""
    frame = history.round_events(rnd)
    end = rnd.closed_at or now or utcnow()
    out: dict[str, dict[str, Any]] = {}
    for q in rnd.study.protocol["questions"]:
        sub = frame[frame["question"] == q["key"]]
        result = conv.convergence(sub, protocols.analysis_config(rnd.study.protocol, q), end=end, points=points)
        out[q["key"]] = {"moments": [t.isoformat() for t in result.moments],
                         "items": records(_iso(result.items)), "panel": records(_iso(result.panel)),
                         "revisions": records(result.revisions), "first_last": records(result.first_last)}
    return out


def _iso(frame):
    if "at" in frame.columns and len(frame):
        frame = frame.assign(at=[t.isoformat() for t in frame["at"]])
    return frame


def panel_view(q: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """One question's panel series for the charts: {"q", "moments" (datetimes), "series": {column: [values]}}."""
    panel = data["panel"]
    columns = ("mean_agree_pct", "mean_iqr", "kendall_w", "revised_share", "n_panelists", "n_revised", "kendall_m",
               "kendall_n")
    return {"q": q, "moments": [datetime.fromisoformat(t) for t in data["moments"]],
            "series": {key: [row[key] for row in panel] for key in columns}}


def snapshot_summary(rnd_number: int, snap: RoundSnapshot) -> dict[str, Any]:
    """A snapshot with its respondents and the number of items per outcome (every question's rows)."""
    tally: dict[str, int] = {}
    for analysis in ((snap.results or {}).get("questions") or {}).values():
        for row in (analysis or {}).get("items") or []:
            if row["round"] == rnd_number and row.get("outcome"):
                tally[row["outcome"]] = tally.get(row["outcome"], 0) + 1
    return {"id": snap.id, "round": rnd_number, "label": snap.label, "taken_at": snap.taken_at,
            "respondents": ((snap.results or {}).get("respondents") or {}).get("count"),
            "outcomes": dict(sorted(tally.items()))}


def current(rnd: Round) -> dict[str, Any]:
    """The round's statistics as they stand: its stored results once closed, else computed now (not stored)."""
    if not rnd.is_open and rnd.results:
        return rnd.results
    return results.compute(rnd)


def current_rows(rnd: Round, computed: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """{item code: {question: this round's items row}} of a results document (stored or computed)."""
    rows: dict[str, dict[str, dict[str, Any]]] = {}
    for key, analysis in (computed.get("questions") or {}).items():
        for row in (analysis or {}).get("items") or []:
            if row["round"] == rnd.number:
                rows.setdefault(str(row["item"]), {})[key] = row
    return rows


def take_snapshot(rnd: Round, label: str, by: User | None) -> RoundSnapshot:
    """Store the round's statistics on the current answers as results.compute gives them, with the last answer
    they count; refused once the round is closed (its stored results are then its final snapshot)."""
    if not rnd.is_open:
        raise SnapshotRefused(_("Round %(number)s is closed: its results are its final statistics, so no snapshot "
                                "is taken.", number=rnd.number))
    last_event = db.session.scalar(select(func.max(RatingEvent.id)).where(RatingEvent.round_id == rnd.id))
    snapshot = RoundSnapshot(round_id=rnd.id, label=(label or "").strip()[:MAX_LABEL], taken_at=utcnow(),
                             taken_by_id=by.id if by else None, results=results.compute(rnd),
                             last_event_id=last_event)
    db.session.add(snapshot)
    db.session.flush()
    audit.record(by, "take_snapshot", "round", rnd.id,
                 after={"snapshot": snapshot.id, "label": snapshot.label, "last_event_id": last_event})
    return snapshot


def snapshots(rnd: Round) -> list[RoundSnapshot]:
    """The round's snapshots, oldest first."""
    return list(db.session.scalars(select(RoundSnapshot).where(RoundSnapshot.round_id == rnd.id)
                                   .order_by(RoundSnapshot.taken_at, RoundSnapshot.id)))


def study_snapshots(study_id: int) -> list[tuple[int, RoundSnapshot]]:
    """(round number, snapshot) for every snapshot of a study, in order: for the report and the data package."""
    query = (select(Round.number, RoundSnapshot).join(Round, Round.id == RoundSnapshot.round_id)
             .where(Round.study_id == study_id).order_by(Round.number, RoundSnapshot.taken_at, RoundSnapshot.id))
    return [(number, snap) for number, snap in db.session.execute(query)]
