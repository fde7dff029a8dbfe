"""Every answer as it was given, and statistics taken while a round is open (real-time Delphi, issue 18).

A rating row holds an expert's current answer; a rating event is appended on every write (the autosave, the
form, a kept answer), so the history of each answer is never lost: the live feedback, the convergence charts and
the first-versus-last stability read it. A snapshot is the statistics engine's output at a moment the organiser
chose, stored like a closed round's results.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, false
from sqlalchemy.orm import Mapped, mapped_column

from delphi.db import UTCDateTime, utcnow
from delphi.extensions import db


class RatingEvent(db.Model):
    __tablename__ = "rating_events"
    # (round, id): the last answer of a round is one index probe (the live feedback asks it every poll).
    __table_args__ = (Index("ix_rating_events_round_id", "round_id", "id"),
                      Index("ix_rating_events_round_item", "round_id", "item_id", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    panelist_id: Mapped[int] = mapped_column(ForeignKey("panelists.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    question: Mapped[str] = mapped_column(String(40))
    value: Mapped[int | None]  # NULL = unable to rate
    language: Mapped[str] = mapped_column(String(35), default="", server_default="")
    carried: Mapped[bool] = mapped_column(default=False, server_default=false())
    given_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RoundSnapshot(db.Model):
    __tablename__ = "round_snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(200), default="")
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    taken_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # delphi.stats Analysis.to_dict per question, as services/studies/results.compute gives it.
    results: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The last rating event it counts: the snapshot's moment, exactly.
    last_event_id: Mapped[int | None]
