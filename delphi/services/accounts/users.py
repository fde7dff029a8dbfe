"""Accounts: creating people, checking passwords, granting platform roles, tokens by e-mail."""
from __future__ import annotations

import logging
import time
from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import delete, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from delphi import bulk, security
from delphi.db import utcnow
from delphi.errors import InvalidInput
from delphi.extensions import db
from delphi.models import PlatformRole, Token, TokenPurpose, User, UserRole
from delphi.security import hash_token
from delphi.services.accounts import audit, lockout, passwords

log = logging.getLogger(__name__)

# Checked against when the e-mail is unknown, so a wrong address costs the same time as a wrong password.
_DUMMY_HASHES: dict[str, str] = {}


def normalise_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise InvalidInput(f"'{email}' is not a valid e-mail address: {exc}") from None


def find_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))


def check_password_policy(password: str) -> None:
    passwords.check(password)


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def create_user(email: str, name: str, password: str | None = None) -> User:
    email = normalise_email(email)
    if find_by_email(email):
        raise InvalidInput(f"An account for {email} already exists.")
    name = name.strip()
    if not name:
        raise InvalidInput("A name is required.")
    user = User(email=email, name=name)
    if password is not None:
        check_password_policy(password)
        user.password_hash = hash_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def get_or_create_user(email: str, name: str) -> tuple[User, bool]:
    user = find_by_email(normalise_email(email))
    if user:
        return user, False
    return create_user(email, name), True


def set_password(user: User, password: str) -> None:
    """A new password ends the person's other sessions, voids every link still out (reset and invitation: a
    copy in an old mailbox opens nothing) and lifts a lock of failed logins."""
    check_password_policy(password)
    user.password_hash = hash_password(password)
    user.session_version += 1  # other sessions of this person end
    void_tokens(user)
    lockout.reset(user)


def void_tokens(user: User) -> None:
    """Mark every unused token of the person used (consume yours before calling this)."""
    db.session.execute(update(Token).where(Token.user_id == user.id, Token.used_at.is_(None))
                       .values(used_at=utcnow()))


def end_sessions(user: User) -> None:
    """Make every login cookie of this person worthless, including copies of the one in use (logout).

    The cookie is signed, not stored, so the only way to revoke it is the session version it carries."""
    user.session_version += 1


def authenticate(email: str, password: str) -> User | None:
    """The user for a correct e-mail and password, else None; same work either way. A wrong password counts
    towards the account's lock (lockout); a locked account refuses even the right one."""
    user = find_by_email(email) if email else None
    if user is None or user.password_hash is None or not user.active:
        method = current_app.config["PASSWORD_HASH_METHOD"]
        if method not in _DUMMY_HASHES:
            _DUMMY_HASHES[method] = generate_password_hash("not-a-real-password", method=method)
        check_password_hash(_DUMMY_HASHES[method], password or "")
        return None
    correct = check_password_hash(user.password_hash, password or "")
    if lockout.is_locked(user):
        return None
    if not correct:
        lockout.record_failure(user)
        return None
    lockout.record_success(user)
    user.last_login_at = utcnow()
    return user


def grant_role(user: User, role: PlatformRole, by: User | None = None) -> bool:
    """Grant a platform role; False if the person already had it."""
    if user.has_role(role):
        return False
    user.roles.append(UserRole(role=role, granted_by_id=by.id if by else None))
    db.session.flush()
    audit.record(by, "grant_role", "user", user.id, after={"role": role.value})
    return True


def issue_token(user: User, purpose: TokenPurpose, ttl: timedelta, next_path: str | None = None) -> str:
    """Store a new token's hash and return the raw secret (to be e-mailed, never stored)."""
    raw, digest = security.new_token()
    db.session.add(Token(user_id=user.id, purpose=purpose, token_hash=digest,
                         expires_at=utcnow() + ttl, next_path=next_path))
    db.session.flush()
    return raw


def issue_tokens(user_ids: list[int], purpose: TokenPurpose, ttl: timedelta, next_path: str | None = None) -> list[str]:
    """issue_token for many accounts in one multi-row INSERT (a panel's invitations); raw secrets in order."""
    now = utcnow()
    made = [security.new_token() for _ in user_ids]
    if made:
        bulk.insert_rows(Token.__table__, [dict(user_id=uid, purpose=purpose, token_hash=digest, created_at=now,
                                                expires_at=now + ttl, next_path=next_path)
                                           for uid, (_, digest) in zip(user_ids, made, strict=True)])
    return [raw for raw, _ in made]


class TokenInvalid(InvalidInput):
    pass


def peek_token(raw: str, purpose: TokenPurpose) -> Token:
    """The live token for raw, or TokenInvalid saying why (unknown, used, expired)."""
    token = db.session.scalar(select(Token).where(Token.token_hash == hash_token(raw or ""),
                                                  Token.purpose == purpose))
    if token is None:
        raise TokenInvalid("This link is not valid. Check that you copied the whole link from the e-mail.")
    if token.used_at is not None:
        raise TokenInvalid("This link has already been used. Log in, or ask for a new link.")
    if token.expires_at <= utcnow():
        raise TokenInvalid("This link has expired. Ask the organiser for a new invitation, "
                           "or request a new password reset.")
    return token


def consume_token(raw: str, purpose: TokenPurpose) -> Token:
    """Mark a token used, atomically: of two concurrent uses only one succeeds."""
    from sqlalchemy import update

    token = peek_token(raw, purpose)
    claimed = db.session.execute(
        update(Token).where(Token.id == token.id, Token.used_at.is_(None)).values(used_at=utcnow())
    )
    if claimed.rowcount != 1:
        raise TokenInvalid("This link has already been used. Log in, or ask for a new link.")
    return token


def invitation_ttl() -> timedelta:
    return timedelta(hours=current_app.config["INVITATION_TTL_HOURS"])


def reset_ttl() -> timedelta:
    return timedelta(hours=current_app.config["RESET_TTL_HOURS"])


def send_password_reset(email: str) -> None:
    """E-mail a reset link if the account exists; say nothing either way (no enumeration).

    An unknown address costs the same work: a token is made and hashed and the message composed, only not
    stored or sent; the route puts a floor under the answer time (RESET_REQUEST_MIN_SECONDS) for the rest. A
    failing mail server is logged, not raised, so it cannot tell a known address either."""
    from delphi.services.accounts import mail

    user = find_by_email(email)
    known = user is not None and user.active
    if known:
        raw = issue_token(user, TokenPurpose.PASSWORD_RESET, reset_ttl())
    else:
        raw, _ = security.new_token()
    link = f"{current_app.config['BASE_URL'].rstrip('/')}/auth/reset/{raw}"
    msg = mail.compose(user.email if known else "nobody@delphi.invalid", "Reset your Delphi platform password",
                       f"Hello {user.name if known else ''},\n\nSomeone (we hope you) asked to reset your password.\n"
                       f"Open this link within {current_app.config['RESET_TTL_HOURS']} hours to choose a new one:"
                       f"\n\n{link}\n\nIf you did not ask for this, ignore this message; your password is "
                       "unchanged.\n")
    if not known:
        return
    mail.queue(msg, kind="reset")  # in this transaction; the worker sends it (the answer never waits on SMTP)


def answer_no_sooner_than(start: float) -> None:
    """Sleep until RESET_REQUEST_MIN_SECONDS after start (time.perf_counter()): every answer takes as long."""
    floor = current_app.config["RESET_REQUEST_MIN_SECONDS"]
    remaining = start + floor - time.perf_counter()
    if remaining > 0:
        time.sleep(remaining)
    elif floor:  # e.g. a slow mail server: this answer may have told a known address from an unknown one
        log.warning("a reset request took %.0f ms, over RESET_REQUEST_MIN_SECONDS (%.0f ms): raise it",
                    (floor - remaining) * 1000, floor * 1000)


def send_invitation(user: User, invited_by: User | None, purpose_text: str, next_path: str | None = None, *,
                    study_id: int | None = None, panelist_id: int | None = None, raw: str | None = None) -> str:
    """E-mail an invitation link (through the outbox); returns the link (shown to the inviter in development).
    raw: a token already issued for this user and next_path (issue_tokens, for a whole panel at once)."""
    from delphi.services.accounts import mail

    raw = raw or issue_token(user, TokenPurpose.INVITATION, invitation_ttl(), next_path=next_path)
    link = f"{current_app.config['BASE_URL'].rstrip('/')}/auth/invite/{raw}"
    inviter = f"{invited_by.name} invites you" if invited_by else "You are invited"
    mail.send(user.email, "Your invitation to the Delphi platform",
              f"Hello {user.name},\n\n{inviter} {purpose_text}.\n\nOpen this link to join "
              f"(it works once and expires in {current_app.config['INVITATION_TTL_HOURS'] // 24} days):\n\n"
              f"{link}\n", kind="invitation", study_id=study_id, panelist_id=panelist_id)
    return link


def purge_old_tokens(older_than: timedelta) -> int:
    """Forget tokens that expired longer ago than this (a scheduled job): used or not, they can never work again."""
    cut = utcnow() - older_than
    return db.session.execute(delete(Token).where(Token.expires_at < cut)).rowcount
