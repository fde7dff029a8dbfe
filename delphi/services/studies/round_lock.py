"""Holding a round open while a rating is written: every rating write (the Save button, submit, the autosave)
claims the round first, and rounds.close waits for those claims.

On PostgreSQL the claim is a FOR SHARE lock on the round row; elsewhere a guarded UPDATE that takes SQLite's write
lock. Close is UPDATE ... WHERE status = 'open', so it waits for every in-flight rating transaction, and after it
no rating can claim the round. Its own module so that ratings, the autosave and rounds can all import it.
"""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select, update

from delphi.errors import DomainError
from delphi.extensions import db
from delphi.models import Round, RoundStatus


class RoundNotOpen(DomainError):
    def __init__(self, number: int | None = None):
        super().__init__(_("Round %(number)s is closed: answers can no longer be changed.", number=number) if number
                         else _("This round is closed: answers can no longer be changed."))


def claim_for_write(round_id: int, conn=None) -> bool:
    """True if the round is open, holding it open until this transaction ends (see module docstring).

    conn: a Core connection to claim on instead of the ORM session (the autosave's own transaction)."""
    run = conn if conn is not None else db.session
    dialect = conn.dialect if conn is not None else db.session.get_bind().dialect
    if dialect.name == "postgresql":
        status = run.scalar(select(Round.status).where(Round.id == round_id).with_for_update(read=True))
        return status == RoundStatus.OPEN
    touched = run.execute(update(Round).where(Round.id == round_id, Round.status == RoundStatus.OPEN)
                          .values(status=RoundStatus.OPEN))
    return touched.rowcount == 1
