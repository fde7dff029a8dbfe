"""Scheduled work on the job system: a table of periodic jobs, ticked by the worker's scheduler thread.

In rq mode each tick queues the jobs whose period has begun; a redis key per (job, period) set with NX makes
sure that several schedulers (one per worker machine) queue each only once. In inline mode (`make run`) a
daemon thread runs them in the process. Every job is idempotent, so a late or repeated tick does no harm.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from flask import Flask

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Periodic:
    task: str       # delphi.jobs.tasks.<task>
    setting: str    # the config key holding its period in seconds


SCHEDULE = (
    Periodic("deliver_mail", "JOBS_MAIL_SWEEP_SECONDS"),        # retries, and anything redis lost
    Periodic("close_due_rounds", "JOBS_CLOSE_ROUNDS_SECONDS"),  # within a minute of the deadline
    Periodic("send_reminders", "JOBS_REMINDERS_SECONDS"),
    Periodic("publish_benchmarks", "JOBS_BENCHMARKS_SECONDS"),
    Periodic("expire_tokens", "JOBS_EXPIRE_TOKENS_SECONDS"),
    Periodic("prepare_outputs", "JOBS_OUTPUTS_SWEEP_SECONDS"),  # builds whose job redis lost or whose worker died
)


def due(app: Flask, now: float, last: dict[str, int]) -> list[str]:
    """The tasks whose period has begun since `last` (task -> period number), updating `last`."""
    out = []
    for p in SCHEDULE:
        every = max(int(app.config[p.setting]), 1)
        slot = int(now // every)
        if last.get(p.task) != slot:
            last[p.task] = slot
            out.append(p.task)
    return out


def tick_rq(app: Flask, now: float, last: dict[str, int]) -> list[str]:
    """Queue the due tasks in redis, each once per period across every scheduler."""
    from delphi.jobs import queue

    conn = queue.connection(app)
    queued = []
    for task in due(app, now, last):
        every = max(int(app.config[next(p.setting for p in SCHEDULE if p.task == task)]), 1)
        if conn.set(f"delphi:schedule:{task}:{int(now // every)}", "1", nx=True, ex=every * 2):
            queue.enqueue(app, task)
            queued.append(task)
    return queued


def run_inline(app: Flask, tasks: list[str]) -> None:
    from delphi.jobs import tasks as jobs

    with app.app_context():
        for task in tasks:
            try:
                getattr(jobs, task)()
            except Exception:  # noqa: BLE001 — one failing job must not stop the others or the thread
                log.exception("scheduled job %s failed", task)


def loop(app: Flask, stop: threading.Event, *, mode: str) -> None:
    last: dict[str, int] = {}
    tick = float(app.config["JOBS_TICK_SECONDS"])
    while not stop.is_set():
        try:
            if mode == "rq":
                tick_rq(app, time.time(), last)
            else:
                run_inline(app, due(app, time.time(), last))
        except Exception as exc:  # noqa: BLE001 — e.g. redis down: try again next tick (the slot is retried)
            last.clear()
            log.warning("scheduler tick failed (%s); retrying in %.0f s", exc, tick)
        stop.wait(tick)


def start_thread(app: Flask, *, mode: str = "inline") -> threading.Event:
    stop = threading.Event()
    threading.Thread(target=loop, args=(app, stop), kwargs={"mode": mode}, name="delphi-scheduler",
                     daemon=True).start()
    return stop
