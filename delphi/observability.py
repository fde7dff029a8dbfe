"""Operations: one structured log line per request, and /healthz for load balancers and monitoring.

The request line carries method, path, status and duration (and a request id), never a password, token or CSRF
value: form bodies and headers are not logged, query strings are dropped on /auth/ paths and their sensitive
parameters masked elsewhere, and path segments that are tokens (/auth/reset/<token>) are replaced by [token].
LOG_FORMAT=json (the production default) writes JSON lines; text writes the same fields for a terminal.
"""
from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import datetime, timezone

from flask import Flask, Response, g, jsonify, request
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import text

REQUEST_LOGGER = "delphi.request"
# Parameters whose values never reach a log, whatever the path.
SENSITIVE = re.compile(r"token|password|passwd|secret|csrf|key|code|session", re.IGNORECASE)
# Route variables that are credentials in the URL itself (invitation and reset links).
SECRET_VIEW_ARGS = ("token",)
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, message or event fields, exc when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
                 "level": record.levelname.lower(), "logger": record.name}
        fields = getattr(record, "fields", None)
        if fields:
            entry.update(fields)
        else:
            entry["message"] = record.getMessage()
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class TextFormatter(logging.Formatter):
    """The same fields for a terminal: `GET /expert/ 200 12.3ms id=…`."""

    def format(self, record: logging.LogRecord) -> str:
        fields = getattr(record, "fields", None)
        if fields:
            query = f"?{fields['query']}" if fields.get("query") else ""
            line = (f"{fields['method']} {fields['path']}{query} {fields['status']} {fields['duration_ms']}ms "
                    f"id={fields['request_id']}")
        else:
            line = record.getMessage()
        stamp = datetime.fromtimestamp(record.created, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
        out = f"{stamp} {record.levelname} {record.name}: {line}"
        if record.exc_info:
            out += "\n" + self.formatException(record.exc_info)
        return out


def loggable_path() -> str:
    """The request path with credential segments (route variables named token) replaced by [token]."""
    path = request.path
    for name in SECRET_VIEW_ARGS:
        value = (request.view_args or {}).get(name)
        if isinstance(value, str) and value:
            path = path.replace(value, f"[{name}]")
    return path


def loggable_query() -> str | None:
    """The query string without credentials: none at all on /auth/ paths, masked values elsewhere."""
    if not request.query_string or request.path.startswith("/auth/"):
        return None
    parts = []
    for key, value in request.args.items(multi=True):
        parts.append(f"{key}=[redacted]" if SENSITIVE.search(key) else f"{key}={value}")
    return "&".join(parts)[:500]


def _configure_logging(app: Flask) -> None:
    """Attach one handler to the app's logger (its children, such as delphi.request, propagate to it)."""
    fmt = app.config.get("LOG_FORMAT", "text")
    logger = logging.getLogger(app.name)
    logger.setLevel(app.config.get("LOG_LEVEL", "INFO"))
    if app.testing:
        return  # pytest's caplog reads the records; no handler writing to the terminal
    if any(getattr(h, "_delphi_ops", False) for h in logger.handlers):
        return  # create_app() called twice in one process
    from flask.logging import default_handler

    logger.removeHandler(default_handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler._delphi_ops = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.propagate = False  # one line per event, even where the root logger has a handler (alembic's)


def register_observability(app: Flask) -> None:
    """The request log and /healthz; called by create_app()."""
    from delphi.extensions import db, limiter

    _configure_logging(app)
    request_log = logging.getLogger(REQUEST_LOGGER)

    def _start_timer() -> None:
        g.request_started = time.perf_counter()
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if REQUEST_ID.match(incoming) else uuid.uuid4().hex[:16]

    # First of all before_request hooks, so a request refused by an earlier hook (CSRF) is timed too.
    app.before_request_funcs.setdefault(None, []).insert(0, _start_timer)

    @app.after_request
    def _log_request(response: Response) -> Response:
        request_id = g.get("request_id") or uuid.uuid4().hex[:16]
        response.headers.setdefault("X-Request-ID", request_id)
        if not app.config.get("REQUEST_LOG", False):
            return response
        started = g.get("request_started")
        fields = {
            "event": "request",
            "method": request.method,
            "path": loggable_path(),
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
            "request_id": request_id,
        }
        query = loggable_query()
        if query:
            fields["query"] = query
        if request.url_rule is not None:
            fields["route"] = request.url_rule.rule
        # The user only if this request loaded one, and its id from the identity map: logging costs no query
        # (after the commit every attribute is expired; after a database error there is no database to ask).
        state = sa_inspect(g.get("_login_user"), raiseerr=False)
        if state is not None and state.identity:
            fields["user_id"] = state.identity[0]
        elif g.get("log_user_id") is not None:  # paths that check the login in their own SQL (services.studies.autosave)
            fields["user_id"] = g.log_user_id
        level = logging.ERROR if response.status_code >= 500 else logging.INFO
        request_log.log(level, "%s %s %s", fields["method"], fields["path"], fields["status"],
                        extra={"fields": fields})
        return response

    @limiter.exempt
    def healthz():
        """200 when the app can reach its database, 503 when it cannot; no login, no rate limit."""
        try:
            db.session.execute(text("SELECT 1"))
            db.session.rollback()
        except Exception as exc:  # any failure to talk to the database means "not healthy"
            try:
                db.session.rollback()
            except Exception:  # the connection may be gone already
                pass
            app.logger.warning("health check: database unreachable (%s)", type(exc).__name__)
            response = jsonify({"status": "error", "database": "unreachable"})
            response.status_code = 503
            response.headers["Retry-After"] = "30"
        else:
            response = jsonify({"status": "ok", "database": "ok"})
        response.headers["Cache-Control"] = "no-store"
        return response

    app.add_url_rule("/healthz", endpoint="healthz", view_func=healthz, methods=["GET"])
