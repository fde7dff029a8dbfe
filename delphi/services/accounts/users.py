"""Accounts: creating people, checking passwords, granting platform roles, tokens by e-mail."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import delete, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from delphi import bulk, i18n, security
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
        raise InvalidInput(_("'%(email)s' is not a valid e-mail address: %(reason)s", email=email,
                             reason=exc)) from None


def find_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))


def check_password_policy(password: str) -> None:
    passwords.check(password)


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def create_user(email: str, name: str, password: str | None = None) -> User:
    email = normalise_email(email)
    if find_by_email(email):
        raise InvalidInput(_("An account for %(email)s already exists.", email=email))
    name = name.strip()
    if not name:
        raise InvalidInput(_("A name is required."))
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
        raise TokenInvalid(_("This link is not valid. Check that you copied the whole link from the e-mail."))
    if token.used_at is not None:
        raise TokenInvalid(_("This link has already been used. Log in, or ask for a new link."))
    if token.expires_at <= utcnow():
        raise TokenInvalid(_("This link has expired. Ask the organiser for a new invitation, "
                             "or request a new password reset."))
    return token


def consume_token(raw: str, purpose: TokenPurpose) -> Token:
    """Mark a token used, atomically: of two concurrent uses only one succeeds."""
    from sqlalchemy import update

    token = peek_token(raw, purpose)
    claimed = db.session.execute(
        update(Token).where(Token.id == token.id, Token.used_at.is_(None)).values(used_at=utcnow())
    )
    if claimed.rowcount != 1:
        raise TokenInvalid(_("This link has already been used. Log in, or ask for a new link."))
    return token


def invitation_ttl() -> timedelta:
    return timedelta(hours=current_app.config["INVITATION_TTL_HOURS"])


def reset_ttl() -> timedelta:
    return timedelta(hours=current_app.config["RESET_TTL_HOURS"])


def send_password_reset(email: str) -> None:
    """E-mail a reset link if the account exists; say nothing either way (no enumeration).

    An unknown address costs the same work: a token is made and hashed and the message composed, only not
    stored or sent; the route puts a floor under the answer time (RESET_REQUEST_MIN_SECONDS) for the rest. A
    failing mail server is logged, not raised, so it cannot tell a known address either. The message is in the
    account's language (English for an unknown address)."""
    from delphi.services.accounts import mail

    user = find_by_email(email)
    known = user is not None and user.active
    if known:
        raw = issue_token(user, TokenPurpose.PASSWORD_RESET, reset_ttl())
    else:
        raw = security.new_token()[0]
    link = f"{current_app.config['BASE_URL'].rstrip('/')}/auth/reset/{raw}"
    with force_locale(i18n.language_of(user if known else None)):
        hours = current_app.config["RESET_TTL_HOURS"]
        msg = mail.compose(user.email if known else "nobody@delphi.invalid",
                           _("Reset your Delphi platform password"),
                           _("Hello %(name)s,", name=user.name if known else "") + "\n\n"
                           + _("Someone (we hope you) asked to reset your password.") + "\n"
                           + _("Open this link within %(hours)s hours to choose a new one:", hours=hours)
                           + f"\n\n{link}\n\n"
                           + _("If you did not ask for this, ignore this message; your password is unchanged.")
                           + "\n")
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
    """E-mail an invitation link (through the outbox), in the person's language; returns the link (shown to the
    inviter in development). purpose_text: what the person is invited to, "to ...", best a lazy_gettext string so
    it is read in the person's language. raw: a token already issued for this user and next_path (issue_tokens, for
    a whole panel at once)."""
    from delphi.services.accounts import mail

    raw = raw or issue_token(user, TokenPurpose.INVITATION, invitation_ttl(), next_path=next_path)
    link = invitation_link(raw)
    with force_locale(i18n.language_of(user)):
        invitation = Invitation.of(invited_by, purpose_text)
        body = invitation.body(user.name, link)
    mail.send(user.email, invitation.subject, body, kind="invitation", study_id=study_id, panelist_id=panelist_id)
    return link


def invitation_link(raw: str) -> str:
    return f"{current_app.config['BASE_URL'].rstrip('/')}/auth/invite/{raw}"


@dataclass(frozen=True)
class Invitation:
    """What every invitation of one inviter, purpose and language says alike, composed once in the current locale
    (the caller forces the recipients' language); body() adds the greeting and the link of each."""
    subject: str
    invite: str
    open_link: str

    @classmethod
    def of(cls, invited_by: User | None, purpose_text, details: str = "") -> Invitation:
        """purpose_text: "to ..." (the sentence's end); details: further sentences, each with a leading space."""
        purpose = str(purpose_text)
        invite = (_("%(inviter)s invites you %(purpose)s.", inviter=invited_by.name, purpose=purpose) if invited_by
                  else _("You are invited %(purpose)s.", purpose=purpose))
        days = current_app.config["INVITATION_TTL_HOURS"] // 24
        return cls(subject=_("Your invitation to the Delphi platform"), invite=invite + details,
                   open_link=_("Open this link to join (it works once and expires in %(days)s days):", days=days))

    def body(self, name: str, link: str) -> str:
        return f"{_('Hello %(name)s,', name=name)}\n\n{self.invite}\n\n{self.open_link}\n\n{link}\n"


def purge_old_tokens(older_than: timedelta) -> int:
    """Forget tokens that expired longer ago than this (a scheduled job): used or not, they can never work again."""
    cut = utcnow() - older_than
    return db.session.execute(delete(Token).where(Token.expires_at < cut)).rowcount
