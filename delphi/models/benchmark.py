"""Benchmark editions: the anonymous benchmark as published snapshots, never computed live.

An edition freezes, at its publication, the levels of every contributing organisation's latest finalised
assessment on one framework version. A viewer sees aggregates of the other contributors of the latest edition
(never their own organisation), so changing one's own answers and looking again reveals nothing, and nothing
is shown unless at least `min_organisations` others contributed. docs/SECURITY.md has the threat model.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from delphi.db import UTCDateTime, utcnow
from delphi.extensions import db


class BenchmarkEdition(db.Model):
    __tablename__ = "benchmark_editions"
    __table_args__ = (UniqueConstraint("version_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("framework_versions.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]  # 1, 2, … per framework version
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    min_organisations: Mapped[int]  # k at publication: the fewest other organisations a viewer's pool may have

    contributors: Mapped[list[BenchmarkContributor]] = relationship(cascade="all, delete-orphan",
                                                                    passive_deletes=True)


class BenchmarkContributor(db.Model):
    __tablename__ = "benchmark_contributors"
    __table_args__ = (UniqueConstraint("edition_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("benchmark_editions.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))


class BenchmarkLevel(db.Model):
    __tablename__ = "benchmark_levels"
    __table_args__ = (UniqueConstraint("edition_id", "organisation_id", "indicator_id"),
                      CheckConstraint("level BETWEEN 1 AND 5", name="ck_benchmark_levels_level"))

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("benchmark_editions.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id", ondelete="CASCADE"))
    level: Mapped[int]
