"""Guessing a password, throttled per account from any address (the per-address limit is Flask-Limiter's).

Each failed login of an account counts in users.failed_logins (an atomic UPDATE, so it holds across workers);
at LOGIN_LOCK_AFTER the account is locked for LOGIN_LOCK_MINUTES and its owner gets an e-mail. The count stays
until a successful login or a new password: after the lock, each further failure locks it again at once. During
a lock even the right password is refused, with the same message as any failed login.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import update

from delphi import i18n
from delphi.db import utcnow
from delphi.extensions import db
from delphi.models import User

log = logging.getLogger(__name__)


def is_locked(user: User) -> bool:
    return user.locked_until is not None and user.locked_until > utcnow()


def record_failure(user: User) -> None:
    """Count a wrong password; lock the account when the count reaches the limit (and tell its owner once)."""
    cfg = current_app.config
    count = db.session.scalar(update(User).where(User.id == user.id)
                              .values(failed_logins=User.failed_logins + 1).returning(User.failed_logins))
    if count < cfg["LOGIN_LOCK_AFTER"]:
        return
    until = utcnow() + timedelta(minutes=cfg["LOGIN_LOCK_MINUTES"])
    db.session.execute(update(User).where(User.id == user.id).values(locked_until=until))
    if count == cfg["LOGIN_LOCK_AFTER"]:  # one worker sees exactly this count: one mail per series
        _tell_owner(user, count, until)


def record_success(user: User) -> None:
    reset(user)


def reset(user: User) -> None:
    """A successful login or a new password: the count starts again and any lock is lifted."""
    if user.failed_logins or user.locked_until is not None:
        user.failed_logins = 0
        user.locked_until = None


def _tell_owner(user: User, count: int, until) -> None:
    from delphi.services.accounts import mail

    cfg = current_app.config
    reset_link = f"{cfg['BASE_URL'].rstrip('/')}/auth/reset"
    try:
        with force_locale(i18n.language_of(user)):  # in the owner's language
            subject = _("Your Delphi platform account is locked for a while")
            body = (_("Hello %(name)s,", name=user.name) + "\n\n"
                    + _("There were %(count)s failed attempts to log in to your account. To protect it, logging in "
                        "is locked until %(until)s UTC.", count=count, until=f"{until:%Y-%m-%d %H:%M}") + "\n\n"
                    + _("If that was you, wait until then, or choose a new password (which also lifts the lock):")
                    + f"\n\n{reset_link}\n\n"
                    + _("If it was not you, someone may be guessing your password. A long password that you use "
                        "nowhere else keeps the account safe.") + "\n")
        mail.send(user.email, subject, body, kind="lock_notice")
    except Exception:
        log.exception("could not send the account-locked notice to user %s", user.id)
