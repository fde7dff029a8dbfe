"""TEST ONLY: the app under gunicorn, with a pause in the middle of a request's transaction.

A request carrying `X-Test-Pause-After-Insert: TABLE:N` stops right after its N-th INSERT into TABLE (its
transaction open, the rows not committed), writes `paused-<pid>` into $FAULT_DIR and waits until a `resume` file
appears there. The fault tests kill the worker meanwhile, or cut its database connection. Nothing of this is in
the application: gunicorn serves `tests.faults.slow_wsgi:app` only in tests/faults.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

from flask import g, has_request_context, request
from sqlalchemy import event

from delphi import create_app
from delphi.extensions import db

FAULT_DIR = Path(os.environ["FAULT_DIR"])
app = create_app("testing")

with app.app_context():
    engine = db.engine


@event.listens_for(engine, "after_cursor_execute")
def _pause_mid_transaction(conn, cursor, statement, parameters, context, executemany) -> None:
    if not has_request_context() or "X-Test-Pause-After-Insert" not in request.headers:
        return
    table, _, nth = request.headers["X-Test-Pause-After-Insert"].partition(":")
    if not statement.lstrip().upper().startswith(f"INSERT INTO {table.upper()} "):
        return
    g.fault_inserts = g.get("fault_inserts", 0) + 1
    if g.fault_inserts != int(nth or 1):
        return
    (FAULT_DIR / f"paused-{os.getpid()}").write_text(str(os.getpid()))
    deadline = time.monotonic() + 30
    while not (FAULT_DIR / "resume").exists() and time.monotonic() < deadline:
        time.sleep(0.02)
