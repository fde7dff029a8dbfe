"""One way out for e-mail: SMTP in production, a folder of .eml files in development and tests."""
from __future__ import annotations

import logging
import re
import smtplib
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from flask import current_app

log = logging.getLogger(__name__)


def compose(to: str, subject: str, body: str) -> EmailMessage:
    """A plain-text message, ready to deliver."""
    msg = EmailMessage()
    msg["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="delphi.local")
    msg["Date"] = datetime.now(timezone.utc).strftime("%a, %d %b %Y %H:%M:%S +0000")
    msg.set_content(body)
    return msg


def send(to: str, subject: str, body: str) -> EmailMessage:
    """Build and deliver a plain-text message with the configured backend."""
    msg = compose(to, subject, body)
    deliver(msg)
    return msg


def deliver(msg: EmailMessage) -> None:
    """Hand a composed message to the configured backend. Logs name the recipient and subject, never the body
    (it holds reset and invitation links)."""
    backend = current_app.config["MAIL_BACKEND"]
    if backend == "smtp":
        _send_smtp(msg)
    elif backend == "file":
        _send_file(msg)
    else:
        raise RuntimeError(f"unknown MAIL_BACKEND {backend!r} (use 'smtp' or 'file')")


def _send_smtp(msg: EmailMessage) -> None:
    cfg = current_app.config
    with smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=30) as smtp:
        if cfg["MAIL_USE_TLS"]:
            smtp.starttls()
        if cfg["MAIL_USERNAME"]:
            smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"] or "")
        smtp.send_message(msg)
    log.info("mail sent via SMTP to %s: %s", msg["To"], msg["Subject"])


def _send_file(msg: EmailMessage) -> None:
    outbox = Path(current_app.config["MAIL_OUTBOX_DIR"])
    outbox.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")
    safe_to = re.sub(r"[^A-Za-z0-9@._-]", "_", msg["To"])
    path = outbox / f"{stamp}-{safe_to}.eml"
    path.write_bytes(msg.as_bytes())
    current_app.logger.info("mail to %s (%s) written to %s", msg["To"], msg["Subject"], path)


def outbox_messages() -> list[EmailMessage]:
    """Messages in the file outbox, oldest first (development and tests)."""
    from email import policy
    from email.parser import BytesParser

    outbox = Path(current_app.config["MAIL_OUTBOX_DIR"])
    if not outbox.exists():
        return []
    parser = BytesParser(policy=policy.default)
    return [parser.parsebytes(p.read_bytes()) for p in sorted(outbox.glob("*.eml"))]
