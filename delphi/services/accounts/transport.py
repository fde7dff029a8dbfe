"""Delivery of composed messages: one SMTP session for a batch in production, .eml files in development and tests.
Only the outbox's worker calls this (services/accounts/outbox.py); everything else goes through mail.send()."""
from __future__ import annotations

import logging
import re
import secrets
import smtplib
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from email.message import EmailMessage
from pathlib import Path

from flask import current_app

log = logging.getLogger(__name__)


class PermanentFailure(Exception):
    """The server refused the message for good (a 5xx answer): retrying will not help."""


def new_key() -> str:
    """An idempotency key: the outbox row's, and the local part of the message's Message-ID."""
    return secrets.token_hex(16)


def compose(to: str, subject: str, body: str, *, key: str | None = None,
            date: datetime | None = None) -> EmailMessage:
    """A plain-text message, ready to deliver; Message-ID <key@delphi.local>."""
    msg = EmailMessage()
    msg["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{key or new_key()}@delphi.local>"
    msg["Date"] = (date or datetime.now(timezone.utc)).astimezone(timezone.utc).strftime("%a, %d %b %Y %H:%M:%S +0000")
    msg.set_content(body)
    return msg


def deliver(msg: EmailMessage) -> None:
    """Hand one composed message to the configured backend now."""
    error = deliver_batch([msg])[0]
    if error is not None:
        raise error


def deliver_batch(messages: Sequence[EmailMessage],
                  on_result: Callable[[int, Exception | None], None] | None = None) -> list[Exception | None]:
    """Deliver messages through one SMTP session (or to files); per message None when it went, else the error
    (PermanentFailure for a refusal for good). on_result(index, error) is called as each one is done, so the
    caller can record it before the next goes (a crash mid-batch then forgets at most one). Logs name the
    recipient and subject, never the body (it holds reset and invitation links)."""
    results: list[Exception | None] = []

    def done(error: Exception | None) -> None:
        results.append(error)
        if on_result is not None:
            on_result(len(results) - 1, error)

    backend = current_app.config["MAIL_BACKEND"]
    if backend == "smtp":
        _send_smtp(messages, done)
    elif backend == "file":
        for msg in messages:
            try:
                _send_file(msg)
            except OSError as exc:
                done(exc)
            else:
                done(None)
    else:
        raise RuntimeError(f"unknown MAIL_BACKEND {backend!r} (use 'smtp' or 'file')")
    return results


def _send_smtp(messages: Sequence[EmailMessage], done: Callable[[Exception | None], None]) -> None:
    cfg = current_app.config
    sent = 0
    try:
        with smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=cfg.get("MAIL_TIMEOUT", 30)) as smtp:
            if cfg["MAIL_USE_TLS"]:
                smtp.starttls()
            if cfg["MAIL_USERNAME"]:
                smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"] or "")
            for msg in messages:
                error: Exception | None = None
                try:
                    smtp.send_message(msg)
                    log.info("mail sent via SMTP to %s: %s", msg["To"], msg["Subject"])
                except smtplib.SMTPRecipientsRefused as exc:
                    codes = [code for code, _ in exc.recipients.values()]
                    error = PermanentFailure(f"recipient refused: {codes}") if codes and all(
                        code >= 500 for code in codes) else exc
                except (smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as exc:
                    error = PermanentFailure(f"refused: {exc.smtp_code}") if exc.smtp_code >= 500 else exc
                sent += 1
                done(error)
    except (OSError, smtplib.SMTPException) as exc:  # the server is down or the session broke: retry the rest
        for _ in range(len(messages) - sent):
            sent += 1
            done(exc)


def _send_file(msg: EmailMessage) -> None:
    outbox = Path(current_app.config["MAIL_OUTBOX_DIR"])
    outbox.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")
    safe_to = re.sub(r"[^A-Za-z0-9@._-]", "_", msg["To"])
    path = outbox / f"{stamp}-{safe_to}.eml"
    path.write_bytes(msg.as_bytes())
    current_app.logger.info("mail to %s (%s) written to %s", msg["To"], msg["Subject"], path)
