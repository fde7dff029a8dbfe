"""The heavy downloads, built off the request and kept for every app server (issue 19).

Three outputs: a study's Delphi report PDF and its data package, an assessment's report PDF. Asking for one
(`obtain`) digests its inputs: a kept output with that digest is served at once; otherwise a build is queued and
the page says "being prepared" with the worker's progress. With JOBS_MODE=inline (make run, tests) the request
builds it itself, as before, and keeps it. In rq mode a round's close, a release and a finalise queue the builds
(`store.prepare_soon`), so the organiser and the team usually find them ready.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import current_app, has_request_context
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from delphi import i18n
from delphi.db import utcnow
from delphi.extensions import db
from delphi.models import Assessment, OutputStatus, PreparedOutput, Study
from delphi.services.prepared import fingerprints, store
from delphi.version import __version__

log = logging.getLogger(__name__)
# Bump when a builder or its template changes what it writes, so kept outputs are rebuilt after a deploy.
REVISION = "1"
STALLED_SECONDS = 120  # queued this long, the waiting page says a worker may be missing
# The stages a builder reports (stored in English, shown translated by status()): the claim's, here for the catalogue.
STAGES = (_l("Starting"),)


@dataclass(frozen=True)
class Kind:
    name: str
    subject: str  # "study" | "assessment"
    label: str
    content_type: str
    build: Callable[[Any, Callable[[str, int], None]], bytes]


def _report_pdf(study: Study, progress) -> bytes:
    from delphi.services.release import pdf

    return pdf.render(study, progress)


def _data_package(study: Study, progress) -> bytes:
    from delphi.services.release import data_package

    return data_package.build(study, progress)


def _assessment_pdf(assessment: Assessment, progress) -> bytes:
    from delphi.services.assessments import exports

    return exports.render_pdf(assessment, progress)


KINDS = {k.name: k for k in (
    Kind("study-report-pdf", "study", _l("The Delphi report (PDF)"), "application/pdf", _report_pdf),
    Kind("study-data-package", "study", _l("The data package (ZIP)"), "application/zip", _data_package),
    Kind("assessment-pdf", "assessment", _l("The assessment report (PDF)"), "application/pdf", _assessment_pdf),
)}
assert {k: v.subject for k, v in KINDS.items()} == {k: s for s, ks in store.OUTPUTS.items() for k in ks}


def reader_language() -> str:
    """The interface language the output is for: '' for the default (English), else the reader's ('de')."""
    language = i18n.current() if has_request_context() else i18n.DEFAULT
    return "" if language == i18n.DEFAULT else language


def _salt(kind: Kind, language: str = "") -> str:
    cfg = current_app.config
    return "|".join((kind.name, REVISION, __version__, str(cfg.get("SMALL_CELL_THRESHOLD")),
                     str(cfg.get("BENCHMARK_MIN_ORGANISATIONS")), language))


def fingerprint(kind: Kind, subject_id: int, language: str = "") -> str:
    digest = fingerprints.study if kind.subject == "study" else fingerprints.assessment
    return digest(subject_id, _salt(kind, language))


def _load(kind: Kind, subject_id: int) -> Study | Assessment | None:
    return db.session.get(Study if kind.subject == "study" else Assessment, subject_id)


def _kept(row: PreparedOutput | None, digest: str | None) -> bytes | None:
    """The stored bytes when the row is ready for exactly these inputs."""
    if digest and row is not None and row.status == OutputStatus.READY and row.fingerprint == digest:
        return store.content(row.id)
    return None


@dataclass(frozen=True)
class Ready:
    content: bytes


@dataclass(frozen=True)
class Waiting:
    row: PreparedOutput
    kind: Kind


def inline() -> bool:
    return current_app.config["JOBS_MODE"] == "inline"


def obtain(kind_name: str, subject_id: int, *, built: str | None = None) -> Ready | Waiting:
    """The output for the inputs as they are now: kept, built here (inline mode), or being prepared.

    `built` is the digest the waiting page was told when the build it waited for finished: that output is
    served even if the inputs moved on since (an open round's ratings keep coming), so a wait always ends."""
    kind = KINDS[kind_name]
    language = reader_language()
    row = store.find(kind.name, subject_id, language)
    content = _kept(row, built)  # the waited-for build: no digest needed
    digest = fingerprint(kind, subject_id, language) if content is None else ""
    content = content if content is not None else _kept(row, digest)
    if content is not None:
        return Ready(content)
    if inline():
        return Ready(_build_here(kind, subject_id, digest, language))
    row = store.want(kind.name, subject_id, digest, language=language, **store.owner(kind.subject, subject_id))[0]
    return Waiting(row, kind)


def _build_here(kind: Kind, subject_id: int, digest: str, language: str) -> bytes:
    """Inline mode: build in the request and keep it (a second download of unchanged inputs is instant).
    Like the backup, this commits itself: the row is a cache, the GET that builds it changes nothing else."""
    started = time.perf_counter()
    content = kind.build(_load(kind, subject_id), lambda stage, percent: None)
    row = store.want(kind.name, subject_id, digest, language=language,
                     **store.owner(kind.subject, subject_id))[0]
    db.session.info.get("prepared_new", set()).discard(row.id)
    store.finish(row.id, digest, content, time.perf_counter() - started)
    return content


def status(kind_name: str, subject_id: int) -> dict[str, Any]:
    """What the waiting page polls: never queues a build, never reads the content. Once the build it waits
    for is done, `built` names it for the download (see obtain)."""
    row = store.find(KINDS[kind_name].name, subject_id, reader_language())
    if row is None:
        return {"status": "missing", "ready": False, "progress": 0, "stage": "", "error": None, "built": None}
    ready = row.status == OutputStatus.READY
    # The builder stores its stage in English (a worker has no reader): translated here, for the one who waits.
    stage = _(row.stage) if row.stage else row.stage
    if row.status == OutputStatus.QUEUED:
        waited = (utcnow() - row.requested_at).total_seconds()
        stage = (_("Waiting for a worker") if waited < STALLED_SECONDS else
                 _("Still waiting for a worker after %(minutes)s minutes: if this lasts, tell the administrator (is "
                   "`make worker` running?)", minutes=int(waited // 60)))
    return {"status": row.status.value, "ready": ready, "progress": store.estimate(row), "stage": stage,
            "error": row.error if row.status == OutputStatus.FAILED else None,
            "built": row.fingerprint if ready else None}


def build(row_id: int) -> str:
    """The job: claim the row, build it with progress, keep it. Returns what happened (for the worker's log)."""
    def digest_of(row: PreparedOutput) -> str:
        return fingerprint(KINDS[row.kind], row.study_id or row.assessment_id, store.language_of(row.key))

    claimed = store.claim(row_id, digest_of)
    if claimed is None:
        return "skipped"  # built, being built by another worker, or gone with its subject
    claim, digest = claimed
    kind = KINDS[claim.kind]
    started = time.perf_counter()
    try:
        subject = _load(kind, claim.study_id or claim.assessment_id)
        if subject is None:
            return "gone"
        with _request_context(), force_locale(claim.language or i18n.DEFAULT):
            content = kind.build(subject, lambda stage, percent: store.report_progress(row_id, digest, stage,
                                                                                       percent))
    except Exception as exc:  # noqa: BLE001 — kept as the row's reason; the person can ask again
        log.exception("building %s failed", claim.kind)
        store.fail(row_id, digest, f"{type(exc).__name__}: {exc}")
        return "failed"
    kept = store.finish(row_id, digest, content, time.perf_counter() - started)
    return "built" if kept else "superseded"


def _request_context():
    """Templates call url_for; a worker has no request, so it gets one on BASE_URL."""
    from contextlib import nullcontext

    if has_request_context():
        return nullcontext()
    return current_app.test_request_context("/", base_url=current_app.config.get("BASE_URL") or None)


def due(older_than: timedelta = timedelta(seconds=60)) -> list[int]:
    return store.due(older_than)
