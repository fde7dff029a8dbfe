"""With the shared rate-limit storage (redis) down, the rate-limited pages still answer — limited per process in
memory until it is back — instead of failing with a 500 (docs/DEPLOY.md). Run in a fresh interpreter: the limiter
extension is one object per process, and the suite's app must keep its own storage."""
from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = r"""
import json, re, sys
from config import TestConfig
from delphi import create_app

class DownStorage(TestConfig):
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = sys.argv[1]

app = create_app(DownStorage)
client = app.test_client()
page = client.get("/auth/login")
token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True)).group(1)
codes = [page.status_code, client.get("/auth/reset").status_code]
codes += [client.post("/auth/login", data={"email": "nobody@example.org", "password": "wrong-password-1",
                                           "csrf_token": token}).status_code for _ in range(12)]
print(json.dumps(codes))
"""


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the block ends: nothing listens there


def test_login_and_reset_pages_answer_while_the_limit_storage_is_down(app):
    url = f"redis://127.0.0.1:{_closed_port()}/0"
    done = subprocess.run([sys.executable, "-c", SCRIPT, url], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr[-2000:]
    codes = json.loads(done.stdout.strip().splitlines()[-1])
    assert codes[:2] == [200, 200], codes  # the login and reset pages
    assert 500 not in codes and 429 in codes, codes  # still limited, in memory, and never a 500
