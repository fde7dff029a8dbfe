"""Benchmark: the password-reset request's answer time for a known and an unknown address (issues 14 and 19).

With the outbox, the request only writes the message to the database (the worker sends it), so a known address no
longer waits for an SMTP server; the route also does the same token work either way and answers no sooner than
RESET_REQUEST_MIN_SECONDS. This prints, over N requests each (alternating, so drift hits both alike):
- the raw work of the request (floor 0): medians and the 10th/90th percentiles;
- with the production floor (0.25 s by default): the same figures, which should be indistinguishable.
Prints figures; not a test.

Usage: python bench/reset_timing.py [--requests 200] [--floor 0.25] [--database URL]
"""
from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def measure(client, email: str) -> float:
    t = time.perf_counter()
    r = client.post("/auth/reset", data={"email": email})
    assert r.status_code in (200, 302), r.status_code
    return (time.perf_counter() - t) * 1000


def figures(name: str, values: list[float]) -> str:
    q = statistics.quantiles(values, n=10)
    return f"{name:>8}: median {statistics.median(values):7.1f} ms  (p10 {q[0]:6.1f}, p90 {q[-1]:6.1f})"


def run(app, n: int, floor: float) -> tuple[list[float], list[float]]:
    app.config["RESET_REQUEST_MIN_SECONDS"] = floor
    client = app.test_client()
    known, unknown = [], []
    for i in range(n):
        known.append(measure(client, "known@bench.example.org"))
        unknown.append(measure(client, f"nobody{i}@bench.example.org"))
    return known, unknown


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--floor", type=float, default=0.25, help="RESET_REQUEST_MIN_SECONDS for the second run")
    parser.add_argument("--database", default=None, help="database URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="delphi-bench-")
    os.environ["DATABASE_URL"] = args.database or f"sqlite:///{workdir}/bench.sqlite"
    os.environ["DELPHI_INSTANCE_DIR"] = workdir
    os.environ["RATELIMIT_ENABLED"] = "0"  # 400 requests from one address: the limiter is not what is measured
    logging.disable(logging.WARNING)

    from flask_migrate import upgrade

    from delphi import create_app
    from delphi.extensions import db
    from delphi.services.accounts import users

    from bench.outbox import start_redis

    redis_proc, redis_url = start_redis()
    if redis_url is None:
        sys.exit("redis-server is needed: the request queues the delivery job in redis, as in production")
    app = create_app("development")
    # As in production: the message into the outbox, a delivery job into redis; no worker runs, nothing is sent.
    app.config.update(WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False, JOBS_MODE="rq", JOBS_REDIS_URL=redis_url,
                      JOBS_SCHEDULER_THREAD=False, MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=1)
    with app.app_context():
        upgrade()
        users.create_user("known@bench.example.org", "Known Person", "bench-password-1")
        db.session.commit()
    run(app, 5, 0.0)  # warm up
    database = app.config["SQLALCHEMY_DATABASE_URI"].split(":")[0]
    print(f"password-reset request, {args.requests} requests each, alternating (database {database})")
    known, unknown = run(app, args.requests, 0.0)
    print("raw work (floor 0):")
    print(figures("known", known))
    print(figures("unknown", unknown))
    print(f"   ratio: {statistics.median(known) / statistics.median(unknown):.2f} (known / unknown medians)")
    known, unknown = run(app, args.requests, args.floor)
    print(f"with the floor of {args.floor:.2f} s:")
    print(figures("known", known))
    print(figures("unknown", unknown))
    print(f"   ratio: {statistics.median(known) / statistics.median(unknown):.3f}; difference of medians "
          f"{statistics.median(known) - statistics.median(unknown):+.1f} ms")
    redis_proc.terminate()


if __name__ == "__main__":
    main()
