"""The life cycle of a prepared output's row: wanted, claimed by one worker, built with progress, ready or failed.

Every change is one conditional UPDATE, so two app servers asking at once queue one build, two workers never build
the same row at once, and a worker that dies mid-build loses its claim when the lease ends. `want` notes each row
it queued in session.info["prepared_new"]; after the commit, jobs/dispatch.py asks a worker to build it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError

from delphi.db import utcnow
from delphi.extensions import db
from delphi.models import OutputStatus, PreparedOutput

ANY_INPUTS = ""  # a trigger's fingerprint: "build for the inputs as they are when the worker starts"
# The outputs of each subject (services/operations/outputs.py says how each is built).
OUTPUTS = {"study": ("study-report-pdf", "study-data-package"), "assessment": ("assessment-pdf",)}


def key(kind: str, subject_id: int, language: str = "") -> str:
    """One kept output per kind, subject and interface language ('' = the default language, English): a PDF
    built for a German reader is never served to an English one."""
    return f"{kind}:{subject_id}" + (f":{language}" if language else "")


def language_of(row_key: str) -> str:
    parts = row_key.split(":")
    return parts[2] if len(parts) > 2 else ""


def find(kind: str, subject_id: int, language: str = "") -> PreparedOutput | None:
    return db.session.scalars(select(PreparedOutput).where(
        PreparedOutput.key == key(kind, subject_id, language))).first()


def lease_seconds() -> int:
    return int(current_app.config["JOBS_TIMEOUT_SECONDS"])


def owner(subject: str, subject_id: int) -> dict[str, int]:
    """The row's foreign key to its subject ("study" or "assessment"): deleting the subject deletes the row."""
    return {"study_id": subject_id} if subject == "study" else {"assessment_id": subject_id}


def _note(row_id: int) -> None:
    db.session.info.setdefault("prepared_new", set()).add(row_id)


def want(kind: str, subject_id: int, fingerprint: str, *, study_id: int | None = None,
         assessment_id: int | None = None, retry_failed: bool = True, language: str = "") -> tuple[PreparedOutput, bool]:
    """Ask for the output built from these inputs. Returns the row and whether this call queued a build.

    Nothing is queued when the row is ready for these inputs, or already queued or building for them (and its
    worker's lease has not run out); a failed build is asked again only with retry_failed (a person pressing the
    link again, never a status poll)."""
    now = utcnow()
    row = find(kind, subject_id, language)
    if row is None:
        try:
            with db.session.begin_nested():
                row = PreparedOutput(key=key(kind, subject_id, language), kind=kind, study_id=study_id,
                                     assessment_id=assessment_id, fingerprint=fingerprint,
                                     status=OutputStatus.QUEUED, stage="", progress=0, attempts=0,
                                     requested_at=now)
                db.session.add(row)
            _note(row.id)
            return row, True
        except IntegrityError:  # another server inserted it a moment ago: go on with theirs
            row = find(kind, subject_id, language)
            assert row is not None
    same = PreparedOutput.fingerprint == fingerprint
    alive = and_(PreparedOutput.status.in_((OutputStatus.QUEUED, OutputStatus.BUILDING)),
                 or_(PreparedOutput.lease_until.is_(None), PreparedOutput.lease_until > now))
    settled = and_(same, or_(PreparedOutput.status == OutputStatus.READY, alive,
                             *(() if retry_failed else (PreparedOutput.status == OutputStatus.FAILED,))))
    if fingerprint == ANY_INPUTS:  # a trigger: a queued or running build will read the new inputs anyway
        settled = and_(PreparedOutput.status == OutputStatus.QUEUED, alive)
    changed = db.session.execute(
        update(PreparedOutput).where(PreparedOutput.id == row.id, ~settled)
        .values(fingerprint=fingerprint, status=OutputStatus.QUEUED, stage="", progress=0, requested_at=now,
                error=None, lease_until=None)
        .execution_options(synchronize_session=False)).rowcount
    db.session.refresh(row)
    if changed:
        _note(row.id)
    return row, bool(changed)


def prepare_soon(subject: str, subject_id: int) -> None:
    """Their inputs changed (a round closed, a release, a finalise): queue the builds, so the organiser or the
    team finds them ready. rq mode only: inline mode (make run, tests) builds on the first download instead, and
    never makes a request wait for a PDF nobody asked for."""
    if current_app.config["JOBS_MODE"] != "rq":
        return
    for kind in OUTPUTS[subject]:
        want(kind, subject_id, ANY_INPUTS, **owner(subject, subject_id))


@dataclass(frozen=True)
class Claim:
    id: int
    kind: str
    study_id: int | None
    assessment_id: int | None
    language: str = ""  # the interface language it is built in ('' = the default)


def claim(row_id: int, fingerprint_of) -> tuple[Claim, str] | None:
    """Take a queued row (or one whose worker's lease ran out) for this worker; commits, so pollers see it.

    `fingerprint_of(row)` digests the inputs now: the build reads them as they are, whatever was asked."""
    now = utcnow()
    row = db.session.get(PreparedOutput, row_id)
    if row is None:
        return None
    fingerprint = fingerprint_of(row)
    taken = db.session.execute(
        update(PreparedOutput).where(
            PreparedOutput.id == row_id,
            or_(PreparedOutput.status == OutputStatus.QUEUED,
                and_(PreparedOutput.status == OutputStatus.BUILDING, PreparedOutput.lease_until < now)))
        .values(status=OutputStatus.BUILDING, fingerprint=fingerprint, started_at=now, stage="Starting",
                progress=1, attempts=PreparedOutput.attempts + 1, error=None,
                lease_until=now + timedelta(seconds=lease_seconds()))
        .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    if not taken:
        return None
    return Claim(row.id, row.kind, row.study_id, row.assessment_id, language_of(row.key)), fingerprint


def report_progress(row_id: int, fingerprint: str, stage: str, percent: int) -> None:
    """Written on a connection of its own and committed at once: the build's session stays a reader."""
    with db.engine.begin() as conn:
        conn.execute(update(PreparedOutput).where(PreparedOutput.id == row_id,
                                                  PreparedOutput.fingerprint == fingerprint,
                                                  PreparedOutput.status == OutputStatus.BUILDING)
                     .values(stage=stage[:80], progress=max(0, min(99, int(percent)))))


def finish(row_id: int, fingerprint: str, content: bytes, seconds: float) -> bool:
    """Keep the built output, unless its inputs were asked for again meanwhile (that build then wins)."""
    done = db.session.execute(
        update(PreparedOutput).where(PreparedOutput.id == row_id, PreparedOutput.fingerprint == fingerprint)
        .values(status=OutputStatus.READY, content=content, size=len(content), built_at=utcnow(),
                build_seconds=round(seconds, 3), stage="", progress=100, lease_until=None, error=None)
        .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return bool(done)


def fail(row_id: int, fingerprint: str, reason: str) -> None:
    db.session.rollback()
    db.session.execute(
        update(PreparedOutput).where(PreparedOutput.id == row_id, PreparedOutput.fingerprint == fingerprint)
        .values(status=OutputStatus.FAILED, error=reason[:500], stage="", lease_until=None)
        .execution_options(synchronize_session=False))
    db.session.commit()


def content(row_id: int) -> bytes | None:
    return db.session.scalar(select(PreparedOutput.content).where(PreparedOutput.id == row_id))


def due(older_than: timedelta) -> list[int]:
    """Rows a sweep should hand to a worker again: queued a while ago (redis lost the job, or was down when it
    was asked), or building past the lease (the worker died)."""
    now = utcnow()
    return list(db.session.scalars(select(PreparedOutput.id).where(or_(
        and_(PreparedOutput.status == OutputStatus.QUEUED, PreparedOutput.requested_at < now - older_than),
        and_(PreparedOutput.status == OutputStatus.BUILDING, PreparedOutput.lease_until < now)))
        .order_by(PreparedOutput.id)))


def estimate(row: PreparedOutput, now: datetime | None = None) -> int:
    """The percentage to show: the worker's last stage, or more if the last build's duration says so (WeasyPrint
    lays out a long report in one call, without stages of its own)."""
    if row.status == OutputStatus.READY:
        return 100
    if row.status != OutputStatus.BUILDING or row.started_at is None:
        return 0
    shown = row.progress
    if row.build_seconds:
        elapsed = ((now or utcnow()) - row.started_at).total_seconds()
        shown = max(shown, int(95 * min(elapsed / row.build_seconds, 1.0)))
    return min(shown, 99)
