"""The mail outbox: every message is a row written in the transaction that causes it, delivered later by a worker."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from delphi.db import UTCDateTime, str_enum, utcnow
from delphi.extensions import db


class OutboxStatus(enum.StrEnum):
    QUEUED = "queued"    # waiting for its first or next attempt (next_attempt_at)
    SENDING = "sending"  # claimed by one worker until claimed_until
    SENT = "sent"
    FAILED = "failed"    # gave up after OUTBOX_MAX_ATTEMPTS, or refused for good; the organiser may retry


class OutboxMessage(db.Model):
    """One e-mail to deliver. The idempotency key is also the Message-ID, so a receiving server can drop a copy;
    the body (it holds invitation and reset links) is erased once the message is sent."""

    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_messages_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    to_addr: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str | None] = mapped_column(Text)  # composed by the worker; None once sent (it holds links)
    kind: Mapped[str] = mapped_column(String(30), default="mail")  # invitation | reminder | round_open | reset …
    study_id: Mapped[int | None] = mapped_column(ForeignKey("studies.id", ondelete="CASCADE"), index=True)
    panelist_id: Mapped[int | None] = mapped_column(ForeignKey("panelists.id", ondelete="SET NULL"))
    status: Mapped[OutboxStatus] = mapped_column(str_enum(OutboxStatus, 10), default=OutboxStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    panelist = relationship("Panelist")
