"""Benchmark: the mail outbox (issue 19). Inviting a panel of 2,000 experts (the request only writes the outbox
and queues delivery jobs), then the worker's delivery rate to a local SMTP sink (aiosmtpd on loopback).

Prints figures; not a test. Target: the invitation request answers in < 1 s. The worker is an RQ worker on a
redis-server started for the run on a loopback port when the binary exists (else the outbox is delivered by
`outbox.deliver_due`, the same code the job runs).

Usage: python bench/outbox.py [--panelists 2000] [--database URL]
"""
from __future__ import annotations

import argparse
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
PASSWORD = "bench-password-1"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sink:
    def __init__(self):
        self.count = 0
        self.ids: set[str] = set()

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        for line in envelope.content.split(b"\n"):
            if line.lower().startswith(b"message-id:"):
                self.ids.add(line.strip().decode())
                break
        return "250 OK"


def start_redis():
    binary = shutil.which("redis-server")
    if binary is None:
        return None, None
    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    from redis import Redis

    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(100):
        try:
            if Redis.from_url(url, socket_connect_timeout=0.2).ping():
                return proc, url
        except Exception:  # noqa: BLE001
            time.sleep(0.05)
    proc.terminate()
    return None, None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--panelists", type=int, default=2000)
    parser.add_argument("--database", default=None, help="database URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="delphi-bench-")
    os.environ["DATABASE_URL"] = args.database or f"sqlite:///{workdir}/bench.sqlite"
    os.environ["DELPHI_INSTANCE_DIR"] = workdir
    logging.disable(logging.WARNING)

    from aiosmtpd.controller import Controller
    from flask_migrate import upgrade

    from bench._panel import bulk_panel
    from delphi import create_app
    from delphi.extensions import db
    from delphi.models import PlatformRole
    from delphi.services.accounts import outbox, users
    from delphi.services.frameworks import versions
    from delphi.services.studies import design

    redis_proc, redis_url = start_redis()
    sink = Sink()
    smtp = Controller(sink, hostname="127.0.0.1", port=free_port())
    smtp.start()
    app = create_app("development")
    app.config.update(PASSWORD_HASH_METHOD="scrypt:1024:8:1", WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False,
                      JOBS_MODE="rq", JOBS_REDIS_URL=redis_url or f"redis://127.0.0.1:{free_port()}/0",
                      JOBS_SCHEDULER_THREAD=False, MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1",
                      MAIL_PORT=smtp.port)
    try:
        with app.app_context():
            upgrade()
            org = users.create_user("org@bench.example.org", "Organiser", PASSWORD)
            users.grant_role(org, PlatformRole.ORGANISER)
            study = design.create("Outbox bench", versions.ensure_shipped(), by=org)
            bulk_panel(study, args.panelists)
            db.session.commit()
            study_id = study.id
        import delphi.jobs.queue  # noqa: F401 — as create_app does in rq mode (this app was switched to rq after it)

        client = app.test_client()
        assert client.post("/auth/login", data={"email": "org@bench.example.org", "password": PASSWORD}).status_code == 302
        t, cpu = time.perf_counter(), time.process_time()
        r = client.post(f"/organiser/studies/{study_id}/panel/invite")
        invite_s, invite_cpu = time.perf_counter() - t, time.process_time() - cpu
        assert r.status_code == 302, r.status_code
        with app.app_context():
            queued = outbox.counts(study_id)["queued"]
        print(f"invite {args.panelists} experts: request answered in {invite_s * 1000:.0f} ms "
              f"({invite_cpu * 1000:.0f} ms of CPU; load average {os.getloadavg()[0]:.1f}), {queued} messages "
              f"queued{' and delivery jobs in redis' if redis_url else ' (no redis-server: jobs not queued)'}  "
              f"[target < 1000 ms]")

        t = time.perf_counter()
        with app.app_context():
            if redis_url:
                from delphi.jobs import worker

                worker.run(app, burst=True)
            else:
                outbox.deliver_due()
            counts = outbox.counts(study_id)
        deliver_s = time.perf_counter() - t
        print(f"worker delivery to the local SMTP sink: {sink.count} messages in {deliver_s:.2f} s = "
              f"{sink.count / deliver_s:.0f} messages/s ({'RQ SimpleWorker' if redis_url else 'deliver_due'}, "
              f"batches of {app.config['OUTBOX_BATCH']} per SMTP session); outbox {counts}; "
              f"distinct Message-IDs at the sink: {len(sink.ids)}")
    finally:
        smtp.stop()
        if redis_proc is not None:
            redis_proc.terminate()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
