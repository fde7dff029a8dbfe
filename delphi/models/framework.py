"""Versioned maturity models: Framework → FrameworkVersion → Domain → Subdomain → Indicator → 5 Levels.

Every element carries its version_id so that uniqueness of codes and the immutability of released versions can be
enforced by the database itself (unique constraints and triggers in migration 0002).
"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from delphi.db import UTCDateTime, str_enum, utcnow
from delphi.extensions import db


class VersionStatus(enum.StrEnum):
    DRAFT = "draft"
    RELEASED = "released"
    RETIRED = "retired"


class Framework(db.Model):
    __tablename__ = "frameworks"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    versions: Mapped[list[FrameworkVersion]] = relationship(
        back_populates="framework", order_by="FrameworkVersion.created_at", cascade="all, delete-orphan")


class FrameworkVersion(db.Model):
    __tablename__ = "framework_versions"
    __table_args__ = (UniqueConstraint("framework_id", "label"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    framework_id: Mapped[int] = mapped_column(ForeignKey("frameworks.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(100))
    status: Mapped[VersionStatus] = mapped_column(
        str_enum(VersionStatus),
        default=VersionStatus.DRAFT)
    # Descriptive metadata travels with the version: a later version may reword it.
    name: Mapped[str] = mapped_column(String(300))
    short_name: Mapped[str] = mapped_column(String(100), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(Text, default="")  # attribution, shown wherever the framework is shown
    numbering_note: Mapped[str] = mapped_column(Text, default="")
    generic_levels: Mapped[list[str]] = mapped_column(JSON, default=lambda: [""] * 5)
    release_notes: Mapped[str] = mapped_column(Text, default="")
    # The language the texts above and below are written in (BCP 47); translations are into other languages.
    source_language: Mapped[str] = mapped_column(String(35), default="en", server_default="en")
    checksum: Mapped[str | None] = mapped_column(String(64))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("framework_versions.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    framework: Mapped[Framework] = relationship(back_populates="versions")
    parent: Mapped[FrameworkVersion | None] = relationship(remote_side=[id])
    domains: Mapped[list[Domain]] = relationship(
        back_populates="version", order_by="Domain.position", cascade="all, delete-orphan")
    glossary: Mapped[list[GlossaryTerm]] = relationship(
        back_populates="version", order_by="GlossaryTerm.position", cascade="all, delete-orphan")
    translations: Mapped[list[FrameworkTranslation]] = relationship(
        back_populates="version", cascade="all, delete-orphan", passive_deletes=True)

    @property
    def is_draft(self) -> bool:
        return self.status == VersionStatus.DRAFT

    @property
    def ref(self) -> str:
        return f"{self.framework.slug}:{self.label}"


class FrameworkTranslation(db.Model):
    """One text of a version in another language, named by its key (framework/translations.py: e.g.
    "indicator.I.1.1.level.3"). A released version's translations are frozen with it (triggers, migration 0015)."""

    __tablename__ = "framework_translations"
    __table_args__ = (UniqueConstraint("version_id", "language", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("framework_versions.id", ondelete="CASCADE"), index=True)
    language: Mapped[str] = mapped_column(String(35))
    key: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # framework.translations.digest of the source text it was translated from: a source changed since (a revision,
    # an edit, an undo) makes it out of date. NULL = not known (rows from before migration 0017): taken as current.
    source_digest: Mapped[str | None] = mapped_column(String(64))

    version: Mapped[FrameworkVersion] = relationship(back_populates="translations")


class GlossaryTerm(db.Model):
    __tablename__ = "glossary_terms"
    __table_args__ = (UniqueConstraint("version_id", "term"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("framework_versions.id", ondelete="CASCADE"), index=True)
    term: Mapped[str] = mapped_column(String(200))
    definition: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(default=0)

    version: Mapped[FrameworkVersion] = relationship(back_populates="glossary")


class Domain(db.Model):
    __tablename__ = "domains"
    __table_args__ = (UniqueConstraint("version_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("framework_versions.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(50))
    title: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(default=0)

    version: Mapped[FrameworkVersion] = relationship(back_populates="domains")
    subdomains: Mapped[list[Subdomain]] = relationship(
        back_populates="domain", order_by="Subdomain.position", cascade="all, delete-orphan")


class Subdomain(db.Model):
    __tablename__ = "subdomains"
    __table_args__ = (UniqueConstraint("version_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("framework_versions.id", ondelete="CASCADE"), index=True)
    domain_id: Mapped[int] = mapped_column(ForeignKey("domains.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(50))
    title: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(default=0)

    domain: Mapped[Domain] = relationship(back_populates="subdomains")
    indicators: Mapped[list[Indicator]] = relationship(
        back_populates="subdomain", order_by="Indicator.position", cascade="all, delete-orphan")


class Indicator(db.Model):
    __tablename__ = "indicators"
    __table_args__ = (UniqueConstraint("version_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("framework_versions.id", ondelete="CASCADE"), index=True)
    subdomain_id: Mapped[int] = mapped_column(ForeignKey("subdomains.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(50))
    statement: Mapped[str] = mapped_column(Text)
    guidance: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(default=0)

    subdomain: Mapped[Subdomain] = relationship(back_populates="indicators")
    levels: Mapped[list[Level]] = relationship(
        back_populates="indicator", order_by="Level.level", cascade="all, delete-orphan")


class Level(db.Model):
    __tablename__ = "levels"
    __table_args__ = (UniqueConstraint("indicator_id", "level"),
                      CheckConstraint("level BETWEEN 1 AND 5", name="level_1_to_5"))

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("framework_versions.id", ondelete="CASCADE"), index=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id", ondelete="CASCADE"), index=True)
    level: Mapped[int]
    description: Mapped[str] = mapped_column(Text)

    indicator: Mapped[Indicator] = relationship(back_populates="levels")


# Tables whose rows belong to a version and must not change once it is released (see migration 0002).
VERSIONED_TABLES = ("glossary_terms", "domains", "subdomains", "indicators", "levels")
