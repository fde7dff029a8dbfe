"""After a commit that queued mail: deliver it now (inline) or queue a delivery job (rq); likewise queue the
builds of prepared outputs it asked for (rq only: inline mode builds them in the request that downloads them).

The hook is on the session: whatever commits (a request, a CLI command, a job), its messages leave only once
they are in the database, and a rolled-back transaction sends nothing. outbox.add notes each new message's id
in session.info["outbox_new"].
"""
from __future__ import annotations

import logging

from flask import Flask, current_app, has_app_context
from sqlalchemy import event

from delphi.extensions import db

log = logging.getLogger(__name__)
CHUNK = 200  # messages per delivery job: several workers share a large invitation


def register(app: Flask) -> None:
    if app.extensions.get("delphi_jobs_hooks"):
        return
    app.extensions["delphi_jobs_hooks"] = True
    if not event.contains(db.session, "after_commit", _after_commit):
        event.listen(db.session, "after_commit", _after_commit)
        event.listen(db.session, "after_rollback", _after_rollback)
    app.before_request(_start_scheduler_thread_once)


def _after_rollback(session) -> None:
    session.info.pop("outbox_new", None)
    session.info.pop("prepared_new", None)


def _after_commit(session) -> None:
    ids = sorted(session.info.pop("outbox_new", ()) or ())
    outputs = sorted(session.info.pop("prepared_new", ()) or ())
    if not has_app_context():
        return
    app = current_app._get_current_object()
    if outputs and app.config["JOBS_MODE"] == "rq":
        _queue_builds(app, outputs)
    if not ids:
        return
    if app.config["JOBS_MODE"] == "inline":
        from delphi.services.accounts import outbox

        try:
            outbox.deliver_due(ids=ids)
        except Exception:  # noqa: BLE001 — the commit stands; the messages wait for the next sweep
            log.exception("inline mail delivery failed; %d message(s) stay queued", len(ids))
        return
    from delphi.jobs import queue

    try:
        for start in range(0, len(ids), CHUNK):
            queue.enqueue(app, "deliver_mail", ids[start:start + CHUNK])
    except Exception as exc:  # noqa: BLE001 — redis down: the outbox keeps them, the scheduler's sweep sends them
        log.warning("could not queue delivery of %d message(s) (%s); the next sweep sends them", len(ids), exc)


def _queue_builds(app: Flask, row_ids: list[int]) -> None:
    """Prepared outputs just asked for (services/prepared/store.py): one build job each."""
    from delphi.jobs import queue

    try:
        for row_id in row_ids:
            queue.enqueue(app, "prepare_output", row_id)
    except Exception as exc:  # noqa: BLE001 — redis down: the rows stay queued, the scheduler's sweep asks again
        log.warning("could not queue %d build(s) (%s); the next sweep asks again", len(row_ids), exc)


def _start_scheduler_thread_once() -> None:
    app = current_app._get_current_object()
    if app.config["JOBS_MODE"] != "inline" or not app.config.get("JOBS_SCHEDULER_THREAD"):
        return
    if app.extensions.get("delphi_jobs_thread"):
        return
    from delphi.jobs import scheduler

    app.extensions["delphi_jobs_thread"] = scheduler.start_thread(app)
