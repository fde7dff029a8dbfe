"""A real `flask delphi worker` process killed in the middle of a batch: after a restart every message is
delivered, each Message-ID (the idempotency key) reaches the SMTP sink once, and at most the one message in
flight at the kill arrives a second time (with the same Message-ID, so the receiving server drops it)."""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from delphi.extensions import db
from delphi.jobs import scheduler, worker
from delphi.services.accounts import mail, outbox

ROOT = Path(__file__).resolve().parents[2]
N = 60


async def _slow_data(server, session, envelope, handler):
    await asyncio.sleep(0.03)  # a slow mail server: the kill lands in the middle of the batch
    return await handler(server, session, envelope)


def test_a_worker_killed_mid_batch_loses_nothing_and_sends_each_message_once_after_restart(
        app, redis_jobs, smtp_sink, monkeypatch):
    real = smtp_sink.handler.handle_DATA

    async def slow(server, session, envelope):
        return await _slow_data(server, session, envelope, real)

    smtp_sink.handler.handle_DATA = slow
    monkeypatch.setitem(app.config, "OUTBOX_LEASE_SECONDS", 1)
    with app.app_context():
        for i in range(N):
            mail.send(f"p{i:02d}@example.org", f"Message {i}", "body")
        db.session.commit()  # one delivery job in redis for all N
    env = {**os.environ, "DELPHI_ENV": "development", "FLASK_APP": "delphi",
           "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "JOBS_MODE": "rq",
           "JOBS_REDIS_URL": redis_jobs.url, "MAIL_BACKEND": "smtp", "MAIL_SERVER": "127.0.0.1",
           "MAIL_PORT": str(smtp_sink.port), "OUTBOX_BATCH": "100", "OUTBOX_LEASE_SECONDS": "1",
           "DELPHI_INSTANCE_DIR": app.instance_path}
    proc = subprocess.Popen([sys.executable, "-m", "flask", "delphi", "worker", "--no-scheduler"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while len(smtp_sink.messages) < N // 3 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.01)
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    at_kill = len(smtp_sink.messages)
    assert 0 < at_kill < N, "the kill should land in the middle of the batch"
    time.sleep(1.2)  # the dead worker's claims expire (OUTBOX_LEASE_SECONDS)
    with app.app_context():
        assert "deliver_mail" in scheduler.tick_rq(app, time.time(), {})  # the sweep a restarted worker runs
        worker.run(app, burst=True)
        assert outbox.counts() == {"queued": 0, "sending": 0, "sent": N, "failed": 0}
    counts = Counter(smtp_sink.handler.message_ids())
    assert len(counts) == N  # none lost
    assert sum(counts.values()) - N <= 1  # at most the message in flight at the kill went twice
    print(f"\nkilled after {at_kill} of {N}; after restart {sum(counts.values())} deliveries, "
          f"{len(counts)} distinct Message-IDs")
