"""`flask delphi worker`: an RQ worker on the delphi queue with the scheduler thread beside it.

A SimpleWorker runs each job in this process (no fork): the jobs are short database and SMTP work, and the app,
its engine pool and its SMTP settings are built once. Several workers (on several machines) share one queue.
If redis goes away the worker waits and reconnects; nothing is lost meanwhile (the outbox is in the database).
"""
from __future__ import annotations

import logging
import time

from flask import Flask
from redis.exceptions import ConnectionError as RedisConnectionError, TimeoutError as RedisTimeoutError
from rq import SimpleWorker

from delphi.jobs import context, queue, scheduler

log = logging.getLogger(__name__)


def run(app: Flask, *, burst: bool = False, with_scheduler: bool = True) -> None:
    context.set_app(app)
    stop = scheduler.start_thread(app, mode="rq") if with_scheduler and not burst else None
    try:
        while True:
            try:
                worker = SimpleWorker([queue.get_queue(app)], connection=queue.connection(app))
                worker.work(burst=burst, logging_level=app.config.get("LOG_LEVEL", "INFO"))
                return
            except (RedisConnectionError, RedisTimeoutError) as exc:
                if burst:
                    raise
                log.warning("redis unreachable (%s); retrying in 2 s", exc)
                time.sleep(2)
    finally:
        if stop is not None:
            stop.set()
