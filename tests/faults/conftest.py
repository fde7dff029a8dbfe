"""Fault tests: the app under gunicorn on a loopback port, a plain HTTP client, and PostgreSQL when needed.

Tests that need PostgreSQL itself use the server of TEST_DATABASE_URL when it is one, else a throwaway server
(scripts/pg-throwaway); with neither they fail under CI=true and skip, with the reason, elsewhere.
"""
from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from config import TestConfig
from tests.conftest import CSRF_RE, PASSWORD

ROOT = Path(__file__).resolve().parents[2]


class HttpSession:
    """A browser in miniature: cookies, forms, JSON; one connection per request."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None,
                timeout: float = 20) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            all_headers = {"Content-Length": str(len(body)), **(headers or {})}
            if self.cookies:
                all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            conn.request(method, path, body=body, headers=all_headers)
            response = conn.getresponse()
            data = response.read()
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    key, _, rest = value.partition("=")
                    self.cookies[key] = rest.split(";", 1)[0]
            return response.status, {k.lower(): v for k, v in response.getheaders()}, data
        finally:
            conn.close()

    def get(self, path: str, **kwargs):
        return self.request("GET", path, **kwargs)

    def post_form(self, path: str, fields: dict[str, str], headers: dict[str, str] | None = None, **kwargs):
        return self.request("POST", path, urllib.parse.urlencode(fields).encode(),
                            {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})}, **kwargs)

    def post_json(self, path: str, payload: dict, headers: dict[str, str] | None = None, **kwargs):
        return self.request("POST", path, json.dumps(payload).encode(),
                            {"Content-Type": "application/json", **(headers or {})}, **kwargs)

    def log_in(self, email: str, password: str = PASSWORD) -> None:
        status, _, page = self.get("/auth/login")
        assert status == 200, status
        status, _, _ = self.post_form("/auth/login", {"email": email, "password": password,
                                                      "csrf_token": csrf(page)})
        assert status == 302, f"login as {email}: {status}"

    def page(self, path: str) -> bytes:
        status, head, data = self.get(path)
        while status in (301, 302, 303):
            status, head, data = self.get(urllib.parse.urlsplit(head["location"]).path)
        assert status == 200, f"{path}: {status}"
        return data


def csrf(html: bytes) -> str:
    match = CSRF_RE.search(html.decode())
    assert match, "no CSRF token on the page"
    return match.group(1)


def radio_items(html: bytes, question: str = "agreement") -> list[int]:
    """The item ids of a rating page, in page order."""
    return [int(i) for i in dict.fromkeys(re.findall(rf'name="r-(\d+)-{question}"', html.decode()))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """gunicorn with gunicorn.conf.py serving tests.faults.slow_wsgi:app (one worker) on a free loopback port."""

    def __init__(self, database_url: str, workdir: Path):
        self.port = free_port()
        self.fault_dir = workdir / "faults"
        self.fault_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = workdir / "gunicorn.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DELPHI_", "RATELIMIT_", "GUNICORN_"))}
        env.update(TEST_DATABASE_URL=database_url, DELPHI_ENV="testing", DELPHI_INSTANCE_DIR=str(workdir),
                   FAULT_DIR=str(self.fault_dir), BIND=f"127.0.0.1:{self.port}", WEB_CONCURRENCY="1",
                   GUNICORN_THREADS="4", PYTHONPATH=str(ROOT), MAIL_OUTBOX_DIR=str(workdir / "outbox"))
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "-c",
                                          str(ROOT / "gunicorn.conf.py"), "tests.faults.slow_wsgi:app"],
                                         cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        self.wait_healthy()

    def wait_healthy(self, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"gunicorn exited:\n{self.log_path.read_text()[-3000:]}"
            try:
                if HttpSession(self.port).get("/healthz", timeout=2)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"gunicorn not healthy in {seconds} s:\n{self.log_path.read_text()[-3000:]}")

    def session(self) -> HttpSession:
        return HttpSession(self.port)

    def wait_paused(self, seconds: float = 20) -> int:
        """The pid of the worker paused mid-transaction by slow_wsgi."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for marker in self.fault_dir.glob("paused-*"):
                pid = marker.read_text()
                if pid:  # the worker creates the file, then writes its pid: an empty read is too early
                    return int(pid)
            assert self.proc.poll() is None, "gunicorn exited"
            time.sleep(0.02)
        raise AssertionError("no request paused")

    def resume(self) -> None:
        (self.fault_dir / "resume").touch()

    def reset(self) -> None:
        for marker in self.fault_dir.iterdir():
            marker.unlink()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


@pytest.fixture
def serve(tmp_path):
    """serve(database_url=TestConfig's) → a running Gunicorn; stopped after the test."""
    servers: list[Gunicorn] = []

    def _serve(database_url: str = TestConfig.SQLALCHEMY_DATABASE_URI) -> Gunicorn:
        server = Gunicorn(database_url, tmp_path / f"g{len(servers)}")
        servers.append(server)
        return server

    yield _serve
    for server in servers:
        server.stop()


# ---------------------------------------------------------------------------------------------- PostgreSQL
def _plain(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory):
    """A PostgreSQL server URL (any database on it) on which the test may create databases."""
    url = os.environ.get("TEST_DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql")):
        yield _plain(url)
        return
    if not list(Path("/usr/lib/postgresql").glob("*/bin/initdb")):
        message = "PostgreSQL server binaries not found (apt-get install postgresql-15)"
        if os.environ.get("CI"):
            pytest.fail(message)  # in CI a missing PostgreSQL is a failure, never a skip
        pytest.skip(message)
    pgdir = Path(f"/tmp/delphi-faults-pg-{secrets.token_hex(4)}")  # under /tmp: as root it is handed to postgres
    started = subprocess.run([str(ROOT / "scripts/pg-throwaway"), "start", str(pgdir), str(free_port())],
                             capture_output=True, text=True)
    if started.returncode != 0:
        shutil.rmtree(pgdir, ignore_errors=True)
        pytest.fail(f"could not start a throwaway PostgreSQL: {started.stderr.strip()}")
    try:
        yield started.stdout.strip()
    finally:
        subprocess.run([str(ROOT / "scripts/pg-throwaway"), "stop", str(pgdir)], check=False)
        shutil.rmtree(pgdir, ignore_errors=True)


@pytest.fixture
def scratch_postgres(postgres_server):
    """A new, migrated database with a study whose round 1 is open; dropped afterwards. Yields (url, seed)."""
    name = f"faults_{secrets.token_hex(4)}"
    admin = create_engine(postgres_server.replace("postgresql://", "postgresql+psycopg://", 1),
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = postgres_server.rsplit("/", 1)[0] + f"/{name}"
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DELPHI_")}
        env.update(TEST_DATABASE_URL=url, PYTHONPATH=str(ROOT))
        seeded = subprocess.run([sys.executable, "-m", "tests.faults.seed_study"], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=120)
        assert seeded.returncode == 0, seeded.stderr[-3000:]
        yield url, json.loads(seeded.stdout.strip().splitlines()[-1])
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
