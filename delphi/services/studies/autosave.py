"""The rating page's autosave: one answer in one short transaction, the hottest path of a running round.

Every click of every expert arrives here, so it loads no ORM object and, on PostgreSQL, a rating is one statement
once the round's questions are cached (RATE_IN_ONE; docs/PERFORMANCE.md has the figures). The step-by-step path
(the first answer of a round in a worker, comments, SQLite, and the reason when the one statement wrote nothing)
does the same checks one by one:

1. who and what, in one SELECT: the account of the login cookie (id, session version, active: what the login
   loader checks), its seat on the round's panel, the round's number, status and protocol, and whether the item
   is in the round. On PostgreSQL the SELECT takes the round FOR SHARE, the claim of round_lock.claim_for_write, so a
   close waits for this transaction and counts its answer, and no answer is written once the close has begun;
   SQLite first takes its write lock with the same guarded UPDATE as claim_for_write;
2. the value against the question (ratings.parse_answer, shared with the Save button) and the comment's length;
3. the upserts, the answer appended to its history (rating_events), and the participation's "started" mark.

The expert's progress is not recounted here: the page counts the items it saved (static/rating.js) from the
count it was rendered with.
"""
from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import JSON, Integer, String, bindparam, text

from delphi.db import UTCDateTime, utcnow
from delphi.errors import DomainError, InvalidInput
from delphi.extensions import db
from delphi.models import RoundStatus
from delphi.services.studies.panel import NotConsented, Withdrawn
from delphi.services.studies.ratings import MAX_COMMENT, parse_answer
from delphi.services.studies.round_lock import RoundNotOpen, claim_for_write

# Plain SQL, built once: a request pays neither statement construction nor cache-key generation. The table and
# column names are those of delphi.models; both databases read ON CONFLICT (SQLite >= 3.24).
_WHO = """
SELECT p.id AS panelist_id, p.language, p.withdrawn_at, p.consented_at, r.number, r.status, s.protocol, s.protocol_checksum,
       EXISTS (SELECT 1 FROM round_items ri WHERE ri.round_id = r.id AND ri.item_id = :item_id) AS item_in_round
FROM rounds r
JOIN studies s ON s.id = r.study_id
JOIN panelists p ON p.study_id = r.study_id AND p.user_id = :user_id
JOIN users u ON u.id = p.user_id AND u.session_version = :version AND u.active
WHERE r.id = :round_id"""
WHO = {"postgresql": text(_WHO + " FOR SHARE OF r").columns(protocol=JSON),
       "sqlite": text(_WHO).columns(protocol=JSON)}
ACCOUNT = text("SELECT session_version, active FROM users WHERE id = :user_id")
_UPSERT_RATING = """
INSERT INTO ratings (round_id, panelist_id, item_id, question, value, updated_at, language)
VALUES (:round_id, :panelist_id, :item_id, :question, :value, :now, :language)
ON CONFLICT (round_id, panelist_id, item_id, question)
DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at, carried = FALSE, language = excluded.language"""
_STARTED = """
INSERT INTO participations (round_id, panelist_id, started_at) VALUES (:round_id, :panelist_id, :now)
ON CONFLICT (round_id, panelist_id) DO NOTHING"""
_RATING_TYPES = (bindparam("question", type_=String), bindparam("value", type_=Integer),
                 bindparam("now", type_=UTCDateTime))
UPSERT_RATING = text(_UPSERT_RATING).bindparams(*_RATING_TYPES)
# PostgreSQL, the common case: the account, seat, open round and item checked, the rating upserted and the
# participation marked started, in one statement that answers 1 if it wrote. The value was checked before, in
# Python, against the round's questions as cached by protocol checksum; the statement requires that checksum, so a
# stale cache cannot let a value through. The round is locked FOR SHARE inside the CTE: after waiting for a close,
# PostgreSQL re-checks the round row (now 'closed') and writes nothing. 0 sends the request down the step-by-step
# path, which finds the reason.
RATE_IN_ONE = text("""
WITH who AS (
    SELECT p.id AS panelist_id, p.language
    FROM rounds r
    JOIN studies s ON s.id = r.study_id
    JOIN panelists p ON p.study_id = r.study_id AND p.user_id = :user_id
    JOIN users u ON u.id = p.user_id AND u.session_version = :version AND u.active
    WHERE r.id = :round_id AND r.status = 'open' AND s.protocol_checksum = :checksum AND p.withdrawn_at IS NULL
      AND p.consented_at IS NOT NULL
      AND EXISTS (SELECT 1 FROM round_items ri WHERE ri.round_id = r.id AND ri.item_id = :item_id)
    FOR SHARE OF r
), rating AS (
    INSERT INTO ratings (round_id, panelist_id, item_id, question, value, updated_at, language)
    SELECT :round_id, panelist_id, :item_id, :question, :value, :now, language FROM who
    ON CONFLICT (round_id, panelist_id, item_id, question)
    DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at, carried = FALSE,
                  language = excluded.language
    RETURNING panelist_id, language
), history AS (
    INSERT INTO rating_events (round_id, panelist_id, item_id, question, value, language, carried, given_at)
    SELECT :round_id, panelist_id, :item_id, :question, :value, language, FALSE, :now FROM rating
), started AS (
    INSERT INTO participations (round_id, panelist_id, started_at) SELECT :round_id, panelist_id, :now FROM rating
    ON CONFLICT (round_id, panelist_id) DO NOTHING
)
SELECT count(*) FROM rating""").bindparams(*_RATING_TYPES)
# Per app: round id -> (protocol checksum, questions). A locked protocol never changes (studies.set_protocol
# refuses), and the checksum is a SHA-256 of its content, so an entry is either right or, checked in RATE_IN_ONE,
# not used.
_CACHE_KEY = "rating_autosave.questions"
_CACHE_MAX = 512
INVALID = object()
STARTED = text(_STARTED).bindparams(bindparam("now", type_=UTCDateTime))
# Every answer is also appended to its history (models/realtime.py), in the same transaction.
EVENT = text("""
INSERT INTO rating_events (round_id, panelist_id, item_id, question, value, language, carried, given_at)
VALUES (:round_id, :panelist_id, :item_id, :question, :value, :language, FALSE, :now)""").bindparams(*_RATING_TYPES)
UPSERT_COMMENT = text("""
INSERT INTO comments (round_id, panelist_id, item_id, text, updated_at, language)
VALUES (:round_id, :panelist_id, :item_id, :text, :now, :language)
ON CONFLICT (round_id, panelist_id, item_id) DO UPDATE SET text = excluded.text, updated_at = excluded.updated_at,
    language = excluded.language
""").bindparams(bindparam("now", type_=UTCDateTime))
DELETE_COMMENT = text("DELETE FROM comments WHERE round_id = :round_id AND panelist_id = :panelist_id "
                      "AND item_id = :item_id")


class SessionEnded(DomainError):
    """The login cookie names an account that changed its password, logged out everywhere or was deactivated."""

    status_code = 401

    def __init__(self):
        super().__init__(_("Your session has ended. Log in again; answers you saved before are kept."))


class NotOnPanel(DomainError):
    """No such round, or the account is not on its panel: 404 either way, so rounds of others are not probed."""

    status_code = 404

    def __init__(self):
        super().__init__(_("No such round on your panels."))


def save_answer(user_id: int, session_version: int, round_id: int, item_id: int, *, question: str | None = None,
                value: Any = None, comment: str | None = None) -> None:
    """Store one answer (question and value) and/or the comment on one item, in a transaction of its own.

    Raises SessionEnded, NotOnPanel, RoundNotOpen or InvalidInput, having written nothing.
    """
    with db.engine.begin() as conn:  # a bare connection: the ORM session has nothing to do here
        _save(conn, user_id, session_version, round_id, item_id, question, value, comment)


def _save(conn, user_id, session_version, round_id, item_id, question, value, comment) -> None:
    postgres = conn.dialect.name == "postgresql"
    cache = current_app.extensions.setdefault(_CACHE_KEY, {})
    cached = cache.get(round_id) if postgres and question is not None and comment is None else None
    if cached is not None:
        checksum, questions = cached
        try:
            parsed = parse_answer(questions, question, value)
        except InvalidInput:
            parsed = INVALID  # reported by the step-by-step path, after the checks that come first there
        if parsed is not INVALID and conn.execute(RATE_IN_ONE, {
                "user_id": user_id, "version": session_version, "round_id": round_id, "item_id": item_id,
                "checksum": checksum, "question": question, "value": parsed, "now": utcnow()}).scalar_one():
            return
    # Step by step: comments, SQLite, and finding out why the one statement wrote nothing.
    if not postgres:  # SQLite: take the write lock before reading the status (PostgreSQL locks in WHO)
        claim_for_write(round_id, conn)
    row = conn.execute(WHO[conn.dialect.name], {"item_id": item_id, "user_id": user_id, "version": session_version,
                                                "round_id": round_id}).first()
    if row is None:
        raise _why_refused(conn, user_id, session_version)
    if row.status != RoundStatus.OPEN:
        raise RoundNotOpen(row.number)
    if row.consented_at is None:
        raise NotConsented()
    if row.withdrawn_at is not None:
        raise Withdrawn()
    if not row.item_in_round:
        raise InvalidInput(_("This item is not rated in this round."))
    if row.protocol_checksum:
        if len(cache) >= _CACHE_MAX:
            cache.clear()
        cache[round_id] = (row.protocol_checksum, row.protocol["questions"])
    parsed = parse_answer(row.protocol["questions"], question, value) if question is not None else None
    body = comment.strip() if comment is not None else None
    if body is not None and len(body) > MAX_COMMENT:
        raise InvalidInput(_("A comment can have at most %(max)s characters.", max=MAX_COMMENT))

    key = {"round_id": round_id, "panelist_id": row.panelist_id, "item_id": item_id}
    now = utcnow()
    # Each answer and comment records the language the expert's page showed the item in (panelists.language).
    if question is not None:
        answer = {**key, "question": question, "value": parsed, "now": now, "language": row.language}
        conn.execute(UPSERT_RATING, answer)
        conn.execute(EVENT, answer)
    if body:
        conn.execute(UPSERT_COMMENT, {**key, "text": body, "now": now, "language": row.language})
    elif body is not None:
        conn.execute(DELETE_COMMENT, key)
    conn.execute(STARTED, {"round_id": round_id, "panelist_id": row.panelist_id, "now": now})


def _why_refused(conn, user_id: int, session_version: int) -> DomainError:
    """Only on refusal: tell an ended session (401, the page asks to log in again) from a foreign round (404)."""
    account = conn.execute(ACCOUNT, {"user_id": user_id}).first()
    if account is None or account.session_version != session_version or not account.active:
        return SessionEnded()
    return NotOnPanel()
