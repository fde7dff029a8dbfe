"""The transactional outbox. `add` writes a message in the caller's transaction (mail.send); `deliver_due`, run by
the worker (delphi.jobs), claims due messages, sends them and marks each sent, or queued again with exponential
backoff, or failed with the reason.

Never twice: a message is claimed by one guarded UPDATE (status and lease in the WHERE; SKIP LOCKED on
PostgreSQL), so two workers never take the same one, and a sent message is never claimed again. A worker killed
between the server's "250 OK" and its own "sent" leaves the claim to expire (OUTBOX_LEASE_SECONDS); that one
message may then go again, with the same Message-ID (the idempotency key), which receiving servers use to drop
a copy. Delivery runs in its own connection, outside the caller's session (it may run right after a commit).
"""
from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, delete, event, func, insert, or_, select, update
from sqlalchemy.orm import Session

from delphi import bulk
from delphi.db import utcnow
from delphi.extensions import db
from delphi.models import OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)
T = OutboxMessage.__table__
_INSERT = insert(T).returning(T.c.id)  # many rows in few statements (the order of the ids does not matter)


def add(to: str, subject: str, body: str, *, key: str, kind: str = "mail", study_id: int | None = None,
        panelist_id: int | None = None) -> None:
    """Queue a message in the caller's transaction (mail.send). Rows wait in the session and go in one
    multi-row INSERT before the commit (or before an outbox query): a panel's 2,000 invitations cost one
    statement, not 2,000 ORM objects."""
    now = utcnow()
    db.session.connection()  # the transaction has begun, so a rollback (after_rollback) forgets these too
    db.session.info.setdefault("outbox_pending", []).append(dict(
        idempotency_key=key[:64], to_addr=to[:320], subject=subject[:300], body=body, kind=kind[:30],
        study_id=study_id, panelist_id=panelist_id, status=OutboxStatus.QUEUED, attempts=0, next_attempt_at=now,
        created_at=now))


def write_pending(session=None) -> None:
    """Insert the messages add() holds for this session, in its transaction (also run before every commit)."""
    session = session or db.session
    pending = session.info.pop("outbox_pending", None)
    if pending:
        ids = bulk.insert_rows(T, pending, returning="id", conn=session.connection())
        session.info.setdefault("outbox_new", set()).update(ids)


@event.listens_for(Session, "before_commit")
def _before_commit(session) -> None:
    write_pending(session)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session) -> None:
    session.info.pop("outbox_pending", None)


def _queued(*ids: int) -> None:
    """Tell the after-commit hook (delphi.jobs.dispatch) which messages this transaction queued."""
    db.session.info.setdefault("outbox_new", set()).update(ids)


def backoff(attempts: int) -> timedelta:
    """Wait before attempt n+1: OUTBOX_BACKOFF_SECONDS · 2^(n-1), at most OUTBOX_BACKOFF_MAX_SECONDS."""
    cfg = current_app.config
    return timedelta(seconds=min(cfg["OUTBOX_BACKOFF_SECONDS"] * 2 ** max(attempts - 1, 0),
                                 cfg["OUTBOX_BACKOFF_MAX_SECONDS"]))


def _claimable(now: datetime):
    return or_(and_(T.c.status == OutboxStatus.QUEUED, T.c.next_attempt_at <= now),
               and_(T.c.status == OutboxStatus.SENDING, T.c.claimed_until < now))


def claim(limit: int, *, now: datetime | None = None, ids: list[int] | None = None) -> tuple[str, list[tuple]]:
    """Take up to `limit` due messages for this caller alone: (claim token, [row]) with each row's id, to_addr,
    subject, body, idempotency_key, created_at and attempts."""
    now = now or utcnow()
    token = secrets.token_hex(16)
    lease = timedelta(seconds=current_app.config["OUTBOX_LEASE_SECONDS"])
    with db.engine.begin() as conn:
        pick = select(T.c.id).where(_claimable(now)).order_by(T.c.id).limit(limit)
        if ids is not None:
            pick = pick.where(T.c.id.in_(ids))
        if conn.dialect.name == "postgresql":  # rows another worker is claiming are passed over, not waited for
            pick = pick.with_for_update(skip_locked=True)
        # Two statements, not UPDATE … WHERE id IN (SELECT … LIMIT): PostgreSQL may run such a subquery more than
        # once and take more than `limit`. The UPDATE checks the status again, so a row taken meanwhile is not ours.
        picked = conn.execute(pick).scalars().all()
        if not picked:
            return token, []
        conn.execute(update(T).where(T.c.id.in_(picked), _claimable(now))
                     .values(status=OutboxStatus.SENDING, claimed_by=token, claimed_until=now + lease,
                             attempts=T.c.attempts + 1))
        rows = conn.execute(select(T.c.id, T.c.to_addr, T.c.subject, T.c.body, T.c.idempotency_key, T.c.created_at,
                                   T.c.attempts).where(T.c.claimed_by == token,
                                                                         T.c.status == OutboxStatus.SENDING)
                            .order_by(T.c.id)).all()
    return token, [tuple(r) for r in rows]


@dataclass
class Delivery:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


def deliver_due(*, ids: list[int] | None = None, now: datetime | None = None, batch: int | None = None,
                max_batches: int | None = None) -> Delivery:
    """Deliver due messages (only `ids`, when given) batch by batch, one SMTP session per batch."""
    from delphi.services.accounts import transport

    size = batch or current_app.config["OUTBOX_BATCH"]
    total = Delivery()
    done = 0
    while max_batches is None or done < max_batches:
        token, rows = claim(size, now=now, ids=ids)
        if not rows:
            break
        done += 1
        messages = [transport.compose(to, subject, body or "", key=key, date=created)
                    for _, to, subject, body, key, created, _ in rows]
        recorded: set[int] = set()

        def record(index: int, error: Exception | None) -> None:
            recorded.add(index)
            _record(token, rows[index], error, total)

        try:
            transport.deliver_batch(messages, on_result=record)
        except Exception as exc:  # noqa: BLE001 — a broken backend must not lose the claim's bookkeeping
            log.exception("mail backend failed")
            for index in range(len(rows)):
                if index not in recorded:
                    record(index, exc)
    return total


def _record(token: str, row: tuple, error: Exception | None, outcome: Delivery) -> None:
    """Mark one message, in its own commit, before the next one goes."""
    from delphi.services.accounts.transport import PermanentFailure

    max_attempts = current_app.config["OUTBOX_MAX_ATTEMPTS"]
    msg_id, *_, attempts = row
    now = utcnow()
    mine = and_(T.c.id == msg_id, T.c.claimed_by == token)
    if error is None:
        values = dict(status=OutboxStatus.SENT, sent_at=now, body=None, last_error=None, claimed_until=None)
        outcome.sent += 1
    else:
        reason = f"{type(error).__name__}: {error}"[:500]
        final = isinstance(error, PermanentFailure) or attempts >= max_attempts
        values = dict(status=OutboxStatus.FAILED if final else OutboxStatus.QUEUED, last_error=reason,
                      next_attempt_at=now + backoff(attempts), claimed_until=None)
        if final:
            outcome.failed += 1
        else:
            outcome.retrying += 1
        log.warning("mail %s not delivered (attempt %s): %s", msg_id, attempts, reason)
    with db.engine.begin() as conn:  # one commit per message: a crash leaves the earlier ones marked
        conn.execute(update(T).where(mine).values(**values))


def retry(message: OutboxMessage) -> bool:
    """The organiser asks for another try of a failed message: queued again, due now, attempts from zero."""
    write_pending()
    claimed = db.session.execute(update(OutboxMessage).where(OutboxMessage.id == message.id,
                                                             OutboxMessage.status == OutboxStatus.FAILED)
                                 .values(status=OutboxStatus.QUEUED, attempts=0, next_attempt_at=utcnow(),
                                         claimed_by=None))
    if claimed.rowcount == 1:
        _queued(message.id)
    return claimed.rowcount == 1


def retry_failed(study_id: int) -> int:
    write_pending()
    ids = list(db.session.scalars(select(OutboxMessage.id).where(OutboxMessage.study_id == study_id,
                                                                OutboxMessage.status == OutboxStatus.FAILED)))
    if ids:
        db.session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(ids),
                                                       OutboxMessage.status == OutboxStatus.FAILED)
                           .values(status=OutboxStatus.QUEUED, attempts=0, next_attempt_at=utcnow(),
                                   claimed_by=None))
        _queued(*ids)
    return len(ids)


def for_study(study_id: int, limit: int = 200) -> list[OutboxMessage]:
    write_pending()
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.study_id == study_id)
                                   .order_by(OutboxMessage.id.desc()).limit(limit)))


def counts(study_id: int | None = None) -> dict[str, int]:
    write_pending()
    q = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    if study_id is not None:
        q = q.where(OutboxMessage.study_id == study_id)
    found = {status.value: n for status, n in db.session.execute(q)}
    return {s.value: found.get(s.value, 0) for s in OutboxStatus}


def due_ids(now: datetime | None = None, limit: int = 10_000) -> list[int]:
    write_pending()
    now = now or utcnow()
    return list(db.session.scalars(select(OutboxMessage.id).where(_claimable(now)).order_by(OutboxMessage.id)
                                   .limit(limit)))


def purge_sent(older_than: timedelta) -> int:
    """Forget sent messages older than this (their bodies are gone already; the subject and time go too)."""
    cut = utcnow() - older_than
    return db.session.execute(delete(OutboxMessage).where(OutboxMessage.status == OutboxStatus.SENT,
                                                          OutboxMessage.sent_at < cut)).rowcount
