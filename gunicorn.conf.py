"""Gunicorn settings for `make serve` (and bench/load.py): threaded workers on a loopback port by default.

Every value can be changed from the environment, so one file serves a laptop and a server:
  BIND (127.0.0.1:8000)    put a TLS-terminating proxy (nginx, Caddy) in front; do not expose gunicorn itself
  WEB_CONCURRENCY          worker processes (default 2 × CPU cores + 1)
  GUNICORN_THREADS (4)     threads per worker; each thread holds at most one database connection at a time
  GUNICORN_TIMEOUT (30)    seconds before a stuck worker is killed and replaced (its transaction is rolled back)
The application logs one line per request itself (delphi/observability.py, JSON in production), so gunicorn's
own access log stays off: it would print query strings, and with them tokens.
"""
from __future__ import annotations

import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count() + 1))
# Threads, not sync workers: a slow page (a PDF report, closing a big round) does not hold a whole process, and
# sync workers measured no faster on this CPU-bound app (docs/PERFORMANCE.md).
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", 4))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", 20))
keepalive = 5
# SO_REUSEPORT: the kernel spreads new connections over the workers. Without it one gthread worker can accept
# most keep-alive connections and do all the work on one core (seen in bench/load.py: 30.6 s of 30.8 s CPU).
reuse_port = True
# Recycle workers now and then (a slow leak never grows for ever); the jitter keeps them from restarting together.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 5000))
max_requests_jitter = max_requests // 10
# The heartbeat file on tmpfs: a worker is never blocked on a slow disk while proving it is alive.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
proc_name = os.environ.get("GUNICORN_PROC_NAME", "delphi")
# No runtime control socket: several gunicorns (tests, benchmarks) would fight over the default path.
control_socket_disable = True
# Import the app in every worker, not in the master: each worker opens its own database connections.
preload_app = False


def on_starting(server) -> None:
    """Refuse to start several workers on per-process rate-limit counters (each would allow the full rate)."""
    storage = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    limits_on = os.environ.get("RATELIMIT_ENABLED", "1").strip().lower() not in {"0", "false", "no", "off"}
    if server.cfg.workers > 1 and storage.startswith("memory://") and limits_on:
        raise SystemExit(f"RATELIMIT_STORAGE_URI is memory://, which each of the {server.cfg.workers} workers "
                         "would keep on its own: set it to a shared storage, e.g. redis://127.0.0.1:6379/0 "
                         "(or run with WEB_CONCURRENCY=1).")
