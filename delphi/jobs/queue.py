"""The redis connection and the RQ queue; short timeouts so a request never waits long on a missing redis."""
from __future__ import annotations

from flask import Flask
from redis import Redis
from rq import Queue

QUEUE_NAME = "delphi"


def redis_url(app: Flask) -> str | None:
    return app.config.get("JOBS_REDIS_URL")


def connection(app: Flask) -> Redis:
    url = redis_url(app)
    if not url:
        raise RuntimeError("JOBS_MODE=rq needs JOBS_REDIS_URL (or a redis:// RATELIMIT_STORAGE_URI)")
    cached = app.extensions.get("delphi_jobs_redis")
    if cached is None or cached[0] != url:
        timeout = app.config["JOBS_REDIS_TIMEOUT"]
        cached = (url, Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout))
        app.extensions["delphi_jobs_redis"] = cached
    return cached[1]


def get_queue(app: Flask) -> Queue:
    return Queue(QUEUE_NAME, connection=connection(app), default_timeout=app.config["JOBS_TIMEOUT_SECONDS"])


def enqueue(app: Flask, task: str, *args, job_id: str | None = None) -> None:
    """Queue delphi.jobs.tasks.<task>(*args). Raises redis errors: callers decide whether that matters."""
    get_queue(app).enqueue(f"delphi.jobs.tasks.{task}", *args, job_id=job_id, result_ttl=600, failure_ttl=86400)
