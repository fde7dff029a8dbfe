"""People, their platform-wide roles and their single-use tokens."""
from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from delphi.db import UTCDateTime, str_enum, utcnow
from delphi.extensions import db


class PlatformRole(enum.StrEnum):
    """Roles granted platform-wide. Study and organisation roles are memberships elsewhere."""

    ADMIN = "admin"
    ORGANISER = "organiser"  # may create frameworks and studies


class TokenPurpose(enum.StrEnum):
    INVITATION = "invitation"
    PASSWORD_RESET = "password_reset"


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint("email = lower(email)", name="email_lowercase"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Bumped on password change: invalidates other sessions (Flask-Login reads get_id()).
    session_version: Mapped[int] = mapped_column(default=1)
    # Failed logins since the last success or new password, from any address (services.accounts.lockout).
    failed_logins: Mapped[int] = mapped_column(default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The interface language the person chose ('de', 'pt'); None: the browser's Accept-Language (delphi.i18n).
    locale: Mapped[str | None] = mapped_column(String(8))

    roles: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", foreign_keys="UserRole.user_id"
    )

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.active

    def has_role(self, role: PlatformRole) -> bool:
        return any(r.role == role for r in self.roles)

    @property
    def is_admin(self) -> bool:
        return self.has_role(PlatformRole.ADMIN)

    @property
    def is_organiser(self) -> bool:
        return self.has_role(PlatformRole.ORGANISER) or self.is_admin

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class UserRole(db.Model):
    __tablename__ = "user_roles"
    __table_args__ = (UniqueConstraint("user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[PlatformRole] = mapped_column(
        str_enum(PlatformRole)
    )
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(back_populates="roles", foreign_keys=[user_id])


class Token(db.Model):
    """A single-use, expiring secret sent by e-mail; only its SHA-256 is stored."""

    __tablename__ = "tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[TokenPurpose] = mapped_column(
        str_enum(TokenPurpose, 30)
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Where to send the person after accepting (e.g. a study's consent page); always a local path.
    next_path: Mapped[str | None] = mapped_column(String(500))

    user: Mapped[User] = relationship()
