"""Ending a study: publish its draft as the validated, immutable, citable framework version."""
from __future__ import annotations

import framework as fwlib
from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import select

from delphi.db import utcnow
from delphi.errors import DomainError, InvalidInput
from delphi.extensions import db
from delphi.models import FrameworkVersion, Study, StudyStatus, User, VersionStatus
from delphi.services.accounts import audit
from delphi.services.frameworks import versions
from delphi.services.prepared import store as prepared
from delphi.services.studies import results


class AlreadyReleased(DomainError):
    def __init__(self, study: Study):
        super().__init__(_("This study has already been released as %(version)s; a release cannot be repeated or "
                           "changed.", version=study.released_version.ref))


def preview(study: Study) -> tuple[fwlib.Framework, list[fwlib.Change]]:
    """The framework as it would be released, and its diff against the version the study started from."""
    final = versions.to_document(study.framework_version)
    base = versions.to_document(study.base_version) if study.base_version else None
    return final, fwlib.diff(base, final) if base else []


def merges(study: Study) -> list[tuple[str, str, int]]:
    """(merged item, the item it went into, after round) for the study's merge decisions of its own."""
    from delphi.models import Decision, ItemDecision, Round

    codes = {i.id: i.code for i in study.items}
    rows = db.session.execute(select(ItemDecision.item_id, ItemDecision.merged_into_id, Round.number)
                              .join(Round, Round.id == ItemDecision.round_id)
                              .where(Round.study_id == study.id, ItemDecision.decision == Decision.MERGE,
                                     ItemDecision.settled_by_id.is_(None)).order_by(Round.number)).all()
    return [(codes.get(a, "?"), codes.get(b, "?"), n) for a, b, n in rows]


def check_releasable(study: Study) -> None:
    if study.released_version_id is not None:
        raise AlreadyReleased(study)
    if not study.rounds:
        raise InvalidInput(_("Run at least one round before releasing."))
    if any(r.is_open for r in study.rounds):
        open_round = next(r for r in study.rounds if r.is_open)
        raise InvalidInput(_("Round %(number)s is still open; close it before releasing.", number=open_round.number))
    undecided = results.undecided_without_decision(study.rounds[-1])
    if undecided:
        raise InvalidInput(_("Decide on every item of the last round first (%(count)s without a decision, e.g. "
                             "%(example)s).", count=len(undecided), example=undecided[0]))


def publish(study: Study, label: str, release_notes: str, *, by: User) -> FrameworkVersion:
    """Release the study's draft under a label; ends the study. Refused twice, or with a round open."""
    # Lock the study row so two organisers releasing at once cannot both succeed.
    locked = db.session.scalar(select(Study).where(Study.id == study.id).with_for_update())
    check_releasable(locked)
    label = (label or "").strip()
    if not versions.LABEL_RE.match(label):
        raise InvalidInput(_("'%(label)s' is not a valid version label (e.g. 2027 or 2.0).", label=label))
    version = study.framework_version
    if label != version.label and versions.find_version(version.framework.slug, label):
        raise InvalidInput(_("%(slug)s already has a version labelled '%(label)s'.", slug=version.framework.slug,
                             label=label))
    version.label = label
    notes = (release_notes or "").strip() or f"Validated by the Delphi study “{study.title}”."  # stored
    if study.archive and study.archive_label not in notes:
        notes = f"{notes} {study.archive_label}"
    versions.publish(version, by=by, release_notes=notes)
    study.released_version_id = version.id
    study.status = StudyStatus.FINISHED
    study.finished_at = utcnow()
    db.session.flush()
    audit.record(by, "release_study", "study", study.id, after={"version": version.ref,
                                                                "checksum": version.checksum})
    prepared.prepare_soon("study", study.id)
    return version


def end_without_release(study: Study, reason: str, *, by: User) -> None:
    """End a study without releasing its draft (abandoned, or nothing left worth a release): no round can open
    after it, experts are told the study has ended, and the draft stays a draft."""
    locked = db.session.scalar(select(Study).where(Study.id == study.id).with_for_update())
    if locked.status == StudyStatus.FINISHED:
        raise InvalidInput(_("This study has already ended."))
    if any(r.is_open for r in locked.rounds):
        open_round = next(r for r in locked.rounds if r.is_open)
        raise InvalidInput(_("Round %(number)s is still open; close it before ending the study.",
                             number=open_round.number))
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Say why the study ends without a release; the report states it."))
    study.status = StudyStatus.FINISHED
    study.finished_at = utcnow()
    db.session.flush()
    audit.record(by, "end_study", "study", study.id, after={"released": False, "reason": reason})
    prepared.prepare_soon("study", study.id)


def suggest_label(study: Study) -> str:
    """This year's number, or the next free variant of it (2026, 2026.1, …)."""
    slug = study.framework_version.framework.slug
    year = str(utcnow().year)
    label, n = year, 0
    while versions.find_version(slug, label) is not None:
        n += 1
        label = f"{year}.{n}"
    return label


def study_of(version: FrameworkVersion) -> Study | None:
    """The Delphi study a released version came from, if any."""
    return db.session.scalar(select(Study).where(Study.released_version_id == version.id))


def citation(version: FrameworkVersion, url: str) -> str:
    """A 'how to cite' line: name, version, release date, checksum and stable URL (in the reader's language)."""
    if version.status == VersionStatus.DRAFT or version.released_at is None:
        return _("%(name)s, draft %(label)s: not citable until released.", name=version.name, label=version.label)
    short = version.short_name or version.framework.slug
    return _("%(name)s (%(short)s), version %(label)s. Released %(date)s. SHA-256 %(checksum)s. %(url)s",
             name=version.name, short=short, label=version.label, date=format_date(version.released_at, "dd MMMM y"),
             checksum=version.checksum, url=url)
