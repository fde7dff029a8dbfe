"""Delphi studies: protocol, organisers, panel, items, rounds, and what was decided between rounds."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from delphi.db import UTCDateTime, str_enum, utcnow
from delphi.extensions import db
from delphi.models.framework import FrameworkVersion
from delphi.models.user import User



class StudyStatus(enum.StrEnum):
    SETUP = "setup"        # protocol and panel being prepared
    RUNNING = "running"    # round 1 has opened; the protocol is locked
    FINISHED = "finished"  # ended by the organiser (release follows)


class ItemKind(enum.StrEnum):
    DOMAIN = "domain"
    SUBDOMAIN = "subdomain"
    INDICATOR = "indicator"
    LEVEL_SET = "level_set"  # an indicator's five level descriptions, rated as one item
    LEVEL = "level"          # one level description


class ItemState(enum.StrEnum):
    ACTIVE = "active"        # rated in the coming or current round
    ACCEPTED = "accepted"    # consensus reached and accepted; leaves later rounds (if the protocol says so)
    DROPPED = "dropped"
    MERGED = "merged"        # folded into another item (merged_into_id)


class RoundStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Decision(enum.StrEnum):
    ACCEPT = "accept"
    REVISE = "revise"
    DROP = "drop"
    RERATE = "rerate"
    MERGE = "merge"


class Study(db.Model):
    __tablename__ = "studies"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    aims: Mapped[str] = mapped_column(Text, default="")
    contact: Mapped[str] = mapped_column(String(300), default="")
    framework_version_id: Mapped[int] = mapped_column(ForeignKey("framework_versions.id"), index=True)
    # The version the draft was copied from: the release diff is shown against it.
    base_version_id: Mapped[int | None] = mapped_column(ForeignKey("framework_versions.id"))
    status: Mapped[StudyStatus] = mapped_column(str_enum(StudyStatus), default=StudyStatus.SETUP)
    protocol: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    protocol_locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    protocol_checksum: Mapped[str | None] = mapped_column(String(64))
    consent_text: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    released_version_id: Mapped[int | None] = mapped_column(ForeignKey("framework_versions.id"))
    # A Delphi run elsewhere and imported read-only (services/studies/archive.py): {"source": file names,
    # "tool": the other tool, "note": e.g. "reconstructed from published percentages", "reconstructed": bool,
    # "imported_at": ISO time}. NULL for a study run on this platform.
    archive: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    framework_version: Mapped[FrameworkVersion] = relationship(foreign_keys=[framework_version_id])
    base_version: Mapped[FrameworkVersion | None] = relationship(foreign_keys=[base_version_id])
    released_version: Mapped[FrameworkVersion | None] = relationship(foreign_keys=[released_version_id])
    organisers: Mapped[list[StudyOrganiser]] = relationship(back_populates="study", cascade="all, delete-orphan")
    panelists: Mapped[list[Panelist]] = relationship(
        back_populates="study", order_by="Panelist.pseudonym", cascade="all, delete-orphan")
    rounds: Mapped[list[Round]] = relationship(
        back_populates="study", order_by="Round.number", cascade="all, delete-orphan")
    items: Mapped[list[Item]] = relationship(
        back_populates="study", order_by="Item.position", cascade="all, delete-orphan")

    @property
    def current_round(self) -> Round | None:
        return self.rounds[-1] if self.rounds else None

    @property
    def is_archived(self) -> bool:
        return self.archive is not None

    @property
    def archive_label(self) -> str:
        """How every page, report, package and release names an archived study ("" for a study run here)."""
        if self.archive is None:
            return ""
        tool = self.archive.get("tool")
        source = f"{tool} ({self.archive.get('source')})" if tool else self.archive.get("source")
        label = f"Archived study: imported from {source}, not run on this platform."
        note = self.archive.get("note")
        return f"{label} {note}" if note else label


class StudyOrganiser(db.Model):
    __tablename__ = "study_organisers"
    __table_args__ = (UniqueConstraint("study_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)

    study: Mapped[Study] = relationship(back_populates="organisers")
    user: Mapped[User] = relationship()


class Panelist(db.Model):
    """An expert on one study's panel; known to other experts and in exports only by pseudonym."""

    __tablename__ = "panelists"
    __table_args__ = (UniqueConstraint("study_id", "user_id"), UniqueConstraint("study_id", "pseudonym"))

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    pseudonym: Mapped[str] = mapped_column(String(10))
    # The name the organiser typed: shown to them until the expert consents, so adding an address never reveals
    # the name of the account behind it (the account's own name shows from consent on).
    name: Mapped[str] = mapped_column(String(200), default="")
    stakeholder_group: Mapped[str] = mapped_column(String(100), default="")
    # The language they rate in, one of the protocol's languages (BCP 47); '' = not chosen yet, which means the
    # framework version's source language.
    language: Mapped[str] = mapped_column(String(35), default="", server_default="")
    country: Mapped[str] = mapped_column(String(100), default="")
    expertise: Mapped[str] = mapped_column(Text, default="")
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consented_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    interests: Mapped[str | None] = mapped_column(Text)  # declaration of interests (optional)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A withdrawn panelist rates no more, is told nothing more; their ratings count or not as the protocol says.
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawal_reason: Mapped[str | None] = mapped_column(Text)

    study: Mapped[Study] = relationship(back_populates="panelists")
    user: Mapped[User] = relationship()

    @property
    def shown_name(self) -> str:
        """The name the organiser sees: the one they typed until the expert accepts (consents)."""
        return self.user.name if self.consented_at is not None else self.name


class Item(db.Model):
    """Something the panel rates, identified across rounds by the framework element's stable code."""

    __tablename__ = "items"
    __table_args__ = (UniqueConstraint("study_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(60))          # e.g. II.3.2, II.3.2:levels, II.3.2:L3
    element_code: Mapped[str] = mapped_column(String(50))  # the framework element it points at
    kind: Mapped[ItemKind] = mapped_column(str_enum(ItemKind))
    level: Mapped[int | None]                              # for kind=level
    domain_code: Mapped[str] = mapped_column(String(50))   # groups items into one page per domain
    position: Mapped[int] = mapped_column(default=0)
    state: Mapped[ItemState] = mapped_column(str_enum(ItemState), default=ItemState.ACTIVE)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"))
    proposed: Mapped[bool] = mapped_column(default=False)  # added between rounds from experts' proposals

    study: Mapped[Study] = relationship(back_populates="items")


class Round(db.Model):
    __tablename__ = "rounds"
    __table_args__ = (UniqueConstraint("study_id", "number"), CheckConstraint("number >= 1", name="number_positive"))

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    status: Mapped[RoundStatus] = mapped_column(str_enum(RoundStatus), default=RoundStatus.OPEN)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The statistics engine's output at close (delphi.stats Analysis.to_dict per question).
    results: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    study: Mapped[Study] = relationship(back_populates="rounds")
    round_items: Mapped[list[RoundItem]] = relationship(
        back_populates="round", order_by="RoundItem.position", cascade="all, delete-orphan")

    @property
    def is_open(self) -> bool:
        return self.status == RoundStatus.OPEN


class RoundItem(db.Model):
    """An item as put to the panel in one round, with the exact wording shown (a snapshot)."""

    __tablename__ = "round_items"
    __table_args__ = (UniqueConstraint("round_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    wording: Mapped[dict[str, Any]] = mapped_column(JSON)  # {"label": ..., "text": ..., "levels": [...]}
    previous_wording: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # when revised since the last round

    round: Mapped[Round] = relationship(back_populates="round_items")
    item: Mapped[Item] = relationship()


class Rating(db.Model):
    """One answer: a panelist's rating of an item on one question in one round. NULL value = unable to rate."""

    __tablename__ = "ratings"
    __table_args__ = (UniqueConstraint("round_id", "panelist_id", "item_id", "question"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    panelist_id: Mapped[int] = mapped_column(ForeignKey("panelists.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    question: Mapped[str] = mapped_column(String(40))
    value: Mapped[int | None]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # The previous round's answer kept unchanged (protocol prefill_previous; services/studies/carry.py); any
    # answer the expert gives clears it.
    carried: Mapped[bool] = mapped_column(default=False, server_default=false())
    # The language the item was shown in when the answer was given ('' = the version's source language).
    language: Mapped[str] = mapped_column(String(35), default="", server_default="")


class Comment(db.Model):
    """A panelist's comment or suggested rewording of an item in a round."""

    __tablename__ = "comments"
    __table_args__ = (UniqueConstraint("round_id", "panelist_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    panelist_id: Mapped[int] = mapped_column(ForeignKey("panelists.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    language: Mapped[str] = mapped_column(String(35), default="", server_default="")  # written in ('' = source)


class Participation(db.Model):
    """A panelist's progress in a round: started when they first answer, submitted when they say so."""

    __tablename__ = "participations"
    __table_args__ = (UniqueConstraint("round_id", "panelist_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    panelist_id: Mapped[int] = mapped_column(ForeignKey("panelists.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ItemDecision(db.Model):
    """The organiser's decision on an item after a round, with the wording before and after."""

    __tablename__ = "item_decisions"
    __table_args__ = (UniqueConstraint("round_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    outcome: Mapped[str | None] = mapped_column(String(40))  # what the consensus rule said
    decision: Mapped[Decision] = mapped_column(str_enum(Decision))
    reason: Mapped[str] = mapped_column(Text, default="")
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"))
    # What undo needs: the texts before a revision, a dropped element's snapshot, the items' earlier states.
    undo: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Set when this decision came with another item's (its indicator's drop or merge), not made on its own.
    settled_by_id: Mapped[int | None] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    item: Mapped[Item] = relationship(foreign_keys=[item_id])


class MailLog(db.Model):
    """What was e-mailed to whom and when (invitations, reminders)."""

    __tablename__ = "mail_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id", ondelete="CASCADE"), index=True)
    panelist_id: Mapped[int | None] = mapped_column(ForeignKey("panelists.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))  # invitation | reminder
    round_number: Mapped[int | None]
    subject: Mapped[str] = mapped_column(String(300))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    panelist: Mapped[Panelist | None] = relationship()
