"""The jobs: each a thin caller of the services in an application context, committing once (RQ runs them by
their dotted name, delphi.jobs.tasks.<name>; inline mode calls them directly)."""
from __future__ import annotations

import logging
from datetime import timedelta

from delphi.extensions import db
from delphi.jobs.context import app_context

log = logging.getLogger(__name__)


def deliver_mail(ids: list[int] | None = None) -> dict[str, int]:
    """Deliver these outbox messages (or every due one: the sweep, which also picks up retries and lost jobs)."""
    from delphi.services.accounts import outbox

    with app_context():
        done = outbox.deliver_due(ids=ids)
        db.session.remove()
    return {"sent": done.sent, "retrying": done.retrying, "failed": done.failed}


def close_due_rounds() -> list[int]:
    from delphi.services.studies import rounds

    with app_context():
        try:
            closed = [r.id for r in rounds.close_due()]
            db.session.commit()
        finally:
            db.session.remove()
    if closed:
        log.info("closed rounds at their deadline: %s", closed)
    return closed


def send_reminders() -> int:
    from delphi.services.studies import panel

    with app_context():
        try:
            sent = sum(n for _, _, n in panel.send_due_reminders())
            db.session.commit()
        finally:
            db.session.remove()
    return sent


def publish_benchmarks() -> int:
    from delphi.services.assessments import benchmark

    with app_context() as app:
        if not app.config["JOBS_PUBLISH_BENCHMARKS"]:
            return 0
        try:
            published = sum(1 for _, edition, _ in benchmark.publish_due() if edition is not None)
            db.session.commit()
        finally:
            db.session.remove()
    return published


def expire_tokens() -> dict[str, int]:
    """Forget invitation and reset tokens long past use or expiry, and sent mail older than OUTBOX_KEEP_DAYS."""
    from delphi.services.accounts import outbox, users

    with app_context() as app:
        try:
            tokens = users.purge_old_tokens(timedelta(days=app.config["TOKENS_KEEP_DAYS"]))
            mails = outbox.purge_sent(timedelta(days=app.config["OUTBOX_KEEP_DAYS"]))
            db.session.commit()
        finally:
            db.session.remove()
    return {"tokens": tokens, "mails": mails}


def prepare_output(row_id: int) -> str:
    """Build one prepared output (a report PDF, a data package, an assessment PDF) and keep it."""
    from delphi.services.operations import outputs

    with app_context():
        try:
            return outputs.build(row_id)
        finally:
            db.session.remove()


def prepare_outputs() -> list[int]:
    """The sweep: hand builds to the workers again when redis lost their job or a worker died mid-build."""
    from delphi.jobs import queue
    from delphi.services.operations import outputs

    with app_context() as app:
        try:
            rows = outputs.due()
        finally:
            db.session.remove()
        if app.config["JOBS_MODE"] == "rq":
            for row_id in rows:
                queue.enqueue(app, "prepare_output", row_id)
        else:
            for row_id in rows:
                prepare_output(row_id)
    return rows
