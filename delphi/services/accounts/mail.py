"""One way out for e-mail: every message goes into the outbox (a row in the caller's transaction); the worker
composes and delivers it later, with SMTP in production or to a folder of .eml files in development and tests
(services/accounts/outbox.py, transport.py)."""
from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

from flask import current_app

from delphi.services.accounts import outbox, transport


def compose(to: str, subject: str, body: str) -> EmailMessage:
    """A plain-text message as it will be delivered (with a fresh idempotency key in its Message-ID)."""
    return transport.compose(to, subject, body)


def send(to: str, subject: str, body: str, *, kind: str = "mail", study_id: int | None = None,
         panelist_id: int | None = None):
    """Put a message in the outbox, in the caller's transaction: it leaves when that commits (delphi.jobs
    delivers it), and never if it rolls back. Cheap: composing waits for the worker."""
    return outbox.add(to, subject, body, key=transport.new_key(), kind=kind, study_id=study_id,
                      panelist_id=panelist_id)


def queue(msg: EmailMessage, *, kind: str = "mail", study_id: int | None = None, panelist_id: int | None = None):
    """Put a composed message in the outbox (its Message-ID's local part is the idempotency key)."""
    key = str(msg["Message-ID"]).strip("<>").split("@", 1)[0]
    return outbox.add(str(msg["To"]), str(msg["Subject"]), msg.get_content(), key=key, kind=kind,
                      study_id=study_id, panelist_id=panelist_id)


def deliver(msg: EmailMessage) -> None:
    """Send one message now, outside the outbox (a diagnostic; everything else uses send())."""
    transport.deliver(msg)


def outbox_messages() -> list[EmailMessage]:
    """Messages in the file outbox, oldest first (development and tests)."""
    from email import policy
    from email.parser import BytesParser

    folder = Path(current_app.config["MAIL_OUTBOX_DIR"])
    if not folder.exists():
        return []
    parser = BytesParser(policy=policy.default)
    return [parser.parsebytes(p.read_bytes()) for p in sorted(folder.glob("*.eml"))]
