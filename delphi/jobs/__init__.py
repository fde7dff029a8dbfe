"""Background work on RQ (redis): mail delivery from the outbox, and the scheduled jobs (rounds closing at their
deadline, automatic reminders, benchmark editions, expiry of old tokens).

JOBS_MODE picks how jobs run: "rq" (production: queued in redis, run by `flask delphi worker`, which also runs
the scheduler) or "inline" (development and tests: run in the process, right after the commit that queued the
mail; `make run` adds a scheduler thread). The outbox lives in the database, so a redis outage delays mail but
loses none: the scheduler's sweep sends whatever is due once redis answers again.
"""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from delphi.jobs import dispatch

    dispatch.register(app)
    if app.config.get("JOBS_MODE") == "rq":
        # Imported now, not in the first request that queues a job: RQ takes about a second to import.
        from delphi.jobs import queue  # noqa: F401
