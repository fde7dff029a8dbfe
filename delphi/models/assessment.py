"""Self-assessments: an organisation places every indicator of a released framework version at one level.

Assessment → team members, one answer per indicator (the team's agreed answer), individual levels per team
member (team mode), and an action plan. The database holds the invariants: one answer per (assessment,
indicator), one individual level per (assessment, indicator, member), levels 1–5, a target never below the
current level, "not applicable" without levels; and (triggers in migration 0003) nothing about the answers of
a finalised assessment changes any more.
"""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from delphi.db import UTCDateTime, str_enum, utcnow
from delphi.extensions import db
from delphi.models.framework import FrameworkVersion, Indicator
from delphi.models.organisation import Organisation
from delphi.models.user import User


class AssessmentStatus(enum.StrEnum):
    IN_PROGRESS = "in_progress"
    FINALISED = "finalised"  # read-only; counts for progress and (if opted in) the benchmark


class Confidence(enum.StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class ActionStatus(enum.StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"


class Assessment(db.Model):
    __tablename__ = "assessments"
    __table_args__ = (
        CheckConstraint("(status = 'finalised') = (finalised_at IS NOT NULL)", name="finalised_when_timed"),
        CheckConstraint("title <> ''", name="title_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    # RESTRICT: a framework version that has been assessed against can never disappear under its results.
    version_id: Mapped[int] = mapped_column(ForeignKey("framework_versions.id", ondelete="RESTRICT"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    scope: Mapped[str] = mapped_column(Text, default="")
    reference_date: Mapped[date] = mapped_column(Date)
    # Team mode: every team member first gives an individual level; the lead records the agreed one.
    team_mode: Mapped[bool] = mapped_column(default=False)
    # The language its framework texts, results, PDF and workbook are shown in: the version's source language
    # ('') or one it has a translation for.
    language: Mapped[str] = mapped_column(String(35), default="", server_default="")
    status: Mapped[AssessmentStatus] = mapped_column(str_enum(AssessmentStatus), default=AssessmentStatus.IN_PROGRESS)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finalised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finalised_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    organisation: Mapped[Organisation] = relationship()
    version: Mapped[FrameworkVersion] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    finalised_by: Mapped[User | None] = relationship(foreign_keys=[finalised_by_id])
    team: Mapped[list[AssessmentTeamMember]] = relationship(
        back_populates="assessment", cascade="all, delete-orphan", passive_deletes=True,
        order_by="AssessmentTeamMember.id")

    @property
    def is_finalised(self) -> bool:
        return self.status == AssessmentStatus.FINALISED


class AssessmentTeamMember(db.Model):
    __tablename__ = "assessment_team_members"
    __table_args__ = (UniqueConstraint("assessment_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    assessment: Mapped[Assessment] = relationship(back_populates="team")
    user: Mapped[User] = relationship()


class AssessmentAnswer(db.Model):
    """The team's answer for one indicator (in team mode current_level is the agreed level)."""

    __tablename__ = "assessment_answers"
    __table_args__ = (
        UniqueConstraint("assessment_id", "indicator_id"),
        CheckConstraint("current_level IS NULL OR current_level BETWEEN 1 AND 5", name="current_level_1_to_5"),
        CheckConstraint("target_level IS NULL OR target_level BETWEEN 1 AND 5", name="target_level_1_to_5"),
        CheckConstraint("target_level IS NULL OR current_level IS NULL OR target_level >= current_level",
                        name="target_not_below_current"),
        CheckConstraint("NOT not_applicable OR (current_level IS NULL AND target_level IS NULL)",
                        name="not_applicable_has_no_levels"),
        CheckConstraint("revision >= 0", name="revision_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"), index=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id", ondelete="RESTRICT"), index=True)
    current_level: Mapped[int | None]
    target_level: Mapped[int | None]
    target_date: Mapped[date | None] = mapped_column(Date)
    confidence: Mapped[Confidence | None] = mapped_column(str_enum(Confidence))
    evidence: Mapped[str] = mapped_column(Text, default="")
    links: Mapped[list[str]] = mapped_column(JSON, default=list)
    not_applicable: Mapped[bool] = mapped_column(default=False)
    na_reason: Mapped[str] = mapped_column(Text, default="")
    agreed_note: Mapped[str] = mapped_column(Text, default="")
    agreed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    agreed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Optimistic concurrency: a save names the revision it started from, so two people never overwrite
    # each other's answer without noticing.
    revision: Mapped[int] = mapped_column(default=0)
    # Per field, the revision at which it last changed, by whom and when ({"evidence": {"revision": 4, "by": 7,
    # "at": "2025-…"}}): a save conflicts only on a field someone else changed since the person's page was drawn,
    # so a member's level or the lead's evidence never overwrites or blocks the other.
    field_revisions: Mapped[dict[str, dict]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    indicator: Mapped[Indicator] = relationship()
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])

    @property
    def is_answered(self) -> bool:
        return self.current_level is not None or self.not_applicable


class AssessmentMemberLevel(db.Model):
    """One team member's individual level for one indicator (team mode)."""

    __tablename__ = "assessment_member_levels"
    __table_args__ = (
        UniqueConstraint("assessment_id", "indicator_id", "user_id"),
        CheckConstraint("level IS NULL OR level BETWEEN 1 AND 5", name="level_1_to_5"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"), index=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id", ondelete="RESTRICT"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    level: Mapped[int | None]
    comment: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()


class AssessmentAction(db.Model):
    """One step of the action plan, meant to close the gap of one indicator.

    The plan stays live after finalisation: statuses are tracked while the actions are carried out.
    """

    __tablename__ = "assessment_actions"
    __table_args__ = (CheckConstraint("description <> ''", name="description_not_empty"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"), index=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id", ondelete="RESTRICT"), index=True)
    description: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(200), default="")
    due_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[ActionStatus] = mapped_column(str_enum(ActionStatus), default=ActionStatus.OPEN)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    indicator: Mapped[Indicator] = relationship()
