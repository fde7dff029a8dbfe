"""Several app servers (issue 19): two gunicorn servers on different ports, one PostgreSQL, one redis and an RQ
worker, all real processes. One expert's requests alternate between the servers (login on one, the rating page
on the other, each autosave on the next), then the organiser closes the round on one server and downloads the
report the worker prepared from the other. Nothing a request needs lives on one server: nothing is lost.

The test starts its own throwaway PostgreSQL 15 (scripts/pg-throwaway) whatever the suite's database is: the
servers must share one. It fails in CI without PostgreSQL or redis-server and is skipped only on a developer's
machine without them."""
from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

import pytest

from tests.jobs.conftest import SmtpSink, free_port, redis_binary

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|<meta name="csrf-token" content="([^"]+)"')
SEED = """
import json, os
from flask_migrate import upgrade
from delphi import create_app
from delphi.extensions import db
from tests.study_helpers import make_study, open_first_round

app = create_app("development")
with app.app_context():
    upgrade()
    study = make_study(n_experts=1, kinds=("domain",), title="Two servers")
    rnd = open_first_round(study)
    db.session.commit()
    print(json.dumps({"study": study.id, "round": rnd.id, "items": [ri.item_id for ri in rnd.round_items]}))
"""
PASSWORD = "correct-horse-battery"


class Browser:
    """One person's cookie jar over plain HTTP; each request names the server (port) it goes to."""

    def __init__(self):
        self.cookies: dict[str, str] = {}

    def request(self, port: int, method: str, path: str, body: bytes = b"", headers: dict | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        head = {"Host": f"127.0.0.1:{port}", **(headers or {})}
        if self.cookies:
            head["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn.request(method, path, body=body, headers=head)
        response = conn.getresponse()
        data = response.read()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                cookie = rest.split(";", 1)[0]
                if cookie and "max-age=0" not in value.lower() and "expires=thu, 01 jan 1970" not in value.lower():
                    self.cookies[key] = cookie
                else:
                    self.cookies.pop(key, None)
        conn.close()
        return response.status, dict((k.lower(), v) for k, v in response.getheaders()), data

    def get(self, port, path, hops: int = 5):
        status, head, data = self.request(port, "GET", path)
        while status in (301, 302, 303) and hops:  # followed on the same server
            where = urllib.parse.urlsplit(head["location"])
            status, head, data = self.request(port, "GET", where.path + (f"?{where.query}" if where.query else ""))
            hops -= 1
        return status, head, data

    def post_form(self, port, path, fields):
        return self.request(port, "POST", path, urllib.parse.urlencode(fields).encode(),
                            {"Content-Type": "application/x-www-form-urlencoded"})

    def post_json(self, port, path, payload, token):
        return self.request(port, "POST", path, json.dumps(payload).encode(),
                            {"Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": token})

    def log_in(self, page_port: int, post_port: int, email: str) -> None:
        status, _, page = self.get(page_port, "/auth/login")
        assert status == 200
        status, head, _ = self.post_form(post_port, "/auth/login", {"email": email, "password": PASSWORD,
                                                                     "csrf_token": token_in(page)})
        assert status == 302, f"login of {email} on :{post_port}: {status}"


def token_in(html: bytes) -> str:
    match = CSRF.search(html.decode("utf-8", "replace"))
    assert match, "no CSRF token on the page"
    return match.group(1) or match.group(2)


def needs(binary_found: bool, what: str) -> None:
    if not binary_found:
        if os.environ.get("CI"):
            pytest.fail(f"{what} is missing: CI must install it (.ci/run)")
        pytest.skip(f"{what} is not installed")


def wait_healthy(port: int, proc: subprocess.Popen, log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server on :{port} exited:\n{log.read_text()[-3000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz", headers={"Host": f"127.0.0.1:{port}"})
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"server on :{port} not ready:\n{log.read_text()[-3000:]}")


def stop(proc: subprocess.Popen | None) -> None:
    if proc is not None and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def platform(tmp_path, redis_session):  # noqa: C901 — one fixture: the whole installation, torn down in order
    """PostgreSQL, the seeded study, two gunicorn servers and a worker; yields what the test needs."""
    needs(bool(list(Path("/usr/lib/postgresql").glob("*/bin/initdb"))), "PostgreSQL (postgresql-15)")
    redis_binary()
    pgdir = Path(tempfile.mkdtemp(prefix="delphi-two-servers-pg."))  # outside pytest's 0700 tmp: postgres reads it
    started = subprocess.run([str(ROOT / "scripts" / "pg-throwaway"), "start", str(pgdir), str(free_port())],
                             capture_output=True, text=True, timeout=120)
    assert started.returncode == 0, started.stderr
    url = started.stdout.strip()
    procs: list[subprocess.Popen] = []
    sink = SmtpSink()
    sink.start()
    try:
        redis_url = redis_session.url.rsplit("/", 1)[0] + "/3"  # a database of its own on the session's redis
        from redis import Redis

        Redis.from_url(redis_url).flushdb()
        base = {k: v for k, v in os.environ.items()
                if not k.startswith(("DELPHI_", "RATELIMIT_", "JOBS_", "TEST_DATABASE", "MAIL_"))}
        base.update(DATABASE_URL=url, DELPHI_INSTANCE_DIR=str(tmp_path), PYTHONPATH=str(ROOT), FLASK_APP="delphi")
        seeded = subprocess.run([sys.executable, "-c", SEED], cwd=ROOT, env=dict(base, DELPHI_ENV="development"),
                                capture_output=True, text=True, timeout=300)
        assert seeded.returncode == 0, seeded.stderr[-3000:]
        world = json.loads(seeded.stdout.strip().splitlines()[-1])
        env = dict(base, DELPHI_ENV="production", SECRET_KEY=secrets.token_hex(32), RATELIMIT_STORAGE_URI=redis_url,
                   JOBS_REDIS_URL=redis_url, LOG_FORMAT="json", WEB_CONCURRENCY="2", GUNICORN_THREADS="4",
                   MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=str(sink.port))
        ports = [free_port(), free_port()]
        for port in ports:
            log = tmp_path / f"gunicorn-{port}.log"
            with open(log, "wb") as out:
                procs.append(subprocess.Popen(
                    [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "delphi:create_app()"], cwd=ROOT,
                    env=dict(env, BIND=f"127.0.0.1:{port}"), stdout=out, stderr=subprocess.STDOUT,
                    start_new_session=True))
            wait_healthy(port, procs[-1], log)
        with open(tmp_path / "worker.log", "wb") as out:
            procs.append(subprocess.Popen([str(BIN / "flask"), "delphi", "worker"], cwd=ROOT, env=env, stdout=out,
                                          stderr=subprocess.STDOUT, start_new_session=True))
        yield {"ports": ports, "url": url, "logs": tmp_path, **world}
    finally:
        for proc in reversed(procs):
            stop(proc)
        sink.stop()
        subprocess.run([str(ROOT / "scripts" / "pg-throwaway"), "stop", str(pgdir)], timeout=60)
        shutil.rmtree(pgdir, ignore_errors=True)


def ratings_in(url: str, round_id: int) -> dict[int, int]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            return dict(conn.execute(text("SELECT item_id, value FROM ratings WHERE round_id = :r"), {"r": round_id})
                        .all())
    finally:
        engine.dispose()


def test_one_experts_requests_alternate_between_two_servers_and_a_worker_prepared_report_downloads(platform):
    a, b = platform["ports"]
    study, round_id, items = platform["study"], platform["round"], platform["items"]
    expert = Browser()
    expert.log_in(a, b, "expert1@example.org")  # the login page from one server, the login on the other
    status, _, page = expert.get(a, f"/expert/rounds/{round_id}")
    assert status == 200, status
    token = token_in(page)
    sent = {}
    for n, item in enumerate(items):  # each autosave on the other server than the one before
        value = 1 + n % 3
        status, _, body = expert.post_json((b, a)[n % 2], f"/expert/rounds/{round_id}/autosave",
                                           {"item": item, "question": "agreement", "value": value}, token)
        assert status == 200, (status, body[:300])
        sent[item] = value
    status, _, page = expert.get(b, f"/expert/rounds/{round_id}")
    assert status == 200
    assert ratings_in(platform["url"], round_id) == sent  # every answer, whichever server took it

    organiser = Browser()
    organiser.log_in(b, a, "olga@example.org")
    status, _, page = organiser.get(b, f"/organiser/rounds/{round_id}/close")
    assert status == 200
    status, head, _ = organiser.post_form(a, f"/organiser/rounds/{round_id}/close", {"csrf_token": token_in(page)})
    assert status == 302, status
    report = f"/organiser/studies/{study}/report.pdf"
    status, head, data = organiser.get(b, report)  # the close asked the worker for it: ready, or being prepared
    download = report
    deadline = time.monotonic() + 120
    polls = 0
    while status == 202:  # the waiting page polls, here on either server in turn
        assert time.monotonic() < deadline, (platform["logs"] / "worker.log").read_text()[-3000:]
        time.sleep(0.5)
        polls += 1
        poll_status, _, body = organiser.get((a, b)[polls % 2], report + "?progress=1")
        assert poll_status == 200
        state = json.loads(body)
        assert state["status"] in ("queued", "building", "ready"), state
        if state["ready"]:
            download = state["download"]
            status, head, data = organiser.get(a, download)
    assert status == 200 and data.startswith(b"%PDF"), (status, data[:200])
    assert head["content-type"] == "application/pdf"
    # The worker built it (not a server): one kept row, ready, and the other server serves the same bytes.
    status, _, again = organiser.get(b, download)
    assert status == 200 and again == data
    from sqlalchemy import create_engine, text

    engine = create_engine(platform["url"].replace("postgresql://", "postgresql+psycopg://", 1))
    while True:  # the close queued both outputs; the worker may still be building the other one
        with engine.connect() as conn:
            kept = conn.execute(text("SELECT kind, status, attempts FROM prepared_outputs ORDER BY kind")).all()
        if all(s not in ("queued", "building") for _, s, _ in kept) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    engine.dispose()
    assert [(k, s) for k, s, _ in kept] == [("study-data-package", "ready"), ("study-report-pdf", "ready")]
    assert ratings_in(platform["url"], round_id) == sent
