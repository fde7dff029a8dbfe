"""One way out for e-mail: every message goes into the outbox (a row in the caller's transaction); the worker
delivers it later with SMTP in production, or to a folder of .eml files in development and tests."""
from __future__ import annotations

import logging
import secrets
from datetime import datetime, timezone
from email.message import EmailMessage
from pathlib import Path

from flask import current_app

log = logging.getLogger(__name__)


def compose(to: str, subject: str, body: str) -> EmailMessage:
    """A plain-text message, ready to deliver. Its Message-ID carries a fresh idempotency key (the outbox's)."""
    msg = EmailMessage()
    msg["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{secrets.token_hex(16)}@delphi.local>"
    msg["Date"] = datetime.now(timezone.utc).strftime("%a, %d %b %Y %H:%M:%S +0000")
    msg.set_content(body)
    return msg


def send(to: str, subject: str, body: str, *, kind: str = "mail", study_id: int | None = None,
         panelist_id: int | None = None) -> EmailMessage:
    """Compose a message and put it in the outbox, in the caller's transaction: it leaves when that commits
    (delphi.jobs delivers it), and never if it rolls back."""
    msg = compose(to, subject, body)
    queue(msg, kind=kind, study_id=study_id, panelist_id=panelist_id)
    return msg


def queue(msg: EmailMessage, *, kind: str = "mail", study_id: int | None = None, panelist_id: int | None = None):
    """Put a composed message in the outbox (see services/accounts/outbox.py)."""
    from delphi.services.accounts import outbox

    return outbox.add(msg, kind=kind, study_id=study_id, panelist_id=panelist_id)


def deliver(msg: EmailMessage) -> None:
    """Send one message now, outside the outbox (a diagnostic; everything else uses send())."""
    from delphi.services.accounts import transport

    transport.deliver(msg)


def outbox_messages() -> list[EmailMessage]:
    """Messages in the file outbox, oldest first (development and tests)."""
    from email import policy
    from email.parser import BytesParser

    outbox = Path(current_app.config["MAIL_OUTBOX_DIR"])
    if not outbox.exists():
        return []
    parser = BytesParser(policy=policy.default)
    return [parser.parsebytes(p.read_bytes()) for p in sorted(outbox.glob("*.eml"))]
