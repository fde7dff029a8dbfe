"""Heavy downloads prepared by a job and kept in the database, so any app server can serve them at once.

One row per output of a subject (a study's report PDF, its data package; an assessment's PDF). `fingerprint` is
a digest of every input the output reads (services/outputs/fingerprints.py): a download is served from the row
only when the inputs still hash to it; otherwise a build is queued and the page says "being prepared". The rows
are derived data: the backup leaves them out, and deleting the study or assessment deletes them.
"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, Float, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, deferred, mapped_column

from delphi.db import UTCDateTime, str_enum, utcnow
from delphi.extensions import db


class OutputStatus(enum.StrEnum):
    QUEUED = "queued"      # wanted for `fingerprint`; a job will build it
    BUILDING = "building"  # a worker builds it until lease_until (a killed worker's claim then expires)
    READY = "ready"        # `content` is the output for `fingerprint`
    FAILED = "failed"      # the build raised; `error` says why (the next download asks again)


class PreparedOutput(db.Model):
    __tablename__ = "prepared_outputs"
    __table_args__ = (CheckConstraint("(study_id IS NULL) <> (assessment_id IS NULL)",
                                      name="one_subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)  # "<kind>:<subject id>"
    kind: Mapped[str] = mapped_column(String(40))  # study-report-pdf | study-data-package | assessment-pdf
    study_id: Mapped[int | None] = mapped_column(ForeignKey("studies.id", ondelete="CASCADE"), index=True)
    assessment_id: Mapped[int | None] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"),
                                                      index=True)
    fingerprint: Mapped[str] = mapped_column(String(64))  # the inputs wanted (queued/building) or built (ready)
    status: Mapped[OutputStatus] = mapped_column(str_enum(OutputStatus, 10), default=OutputStatus.QUEUED)
    stage: Mapped[str] = mapped_column(String(80), default="")
    progress: Mapped[int] = mapped_column(default=0)  # 0-100, written by the worker at each stage
    attempts: Mapped[int] = mapped_column(default=0)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    built_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    build_seconds: Mapped[float | None] = mapped_column(Float)  # the last good build: the waiting page's estimate
    error: Mapped[str | None] = mapped_column(String(500))
    size: Mapped[int | None]
    # Loaded only when served: status polls and sweeps never read megabytes.
    content: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
