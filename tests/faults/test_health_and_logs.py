"""/healthz for the load balancer, and the request log: one structured line per request, never a secret."""
from __future__ import annotations

import json
import logging

import pytest

from delphi.observability import REQUEST_LOGGER, JsonFormatter
from tests.conftest import PASSWORD, csrf_from
from tests.faults.test_database_down import database_fails_on


def test_healthz_checks_the_database_without_login(app, client):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json == {"status": "ok", "database": "ok"}
    assert r.headers["Cache-Control"] == "no-store"
    with database_fails_on(app, "SELECT 1"):
        down = client.get("/healthz")
    assert down.status_code == 503 and down.json == {"status": "error", "database": "unreachable"}


def test_healthz_is_exempt_from_rate_limits(app, client):
    from flask_limiter import Limit
    from flask_limiter.util import get_remote_address

    from delphi.extensions import limiter

    saved = limiter.limit_manager._default_limits
    limiter.limit_manager.set_default_limits([Limit("2 per minute", key_function=get_remote_address)
                                              .bind(limiter)])
    try:
        assert [client.get("/").status_code for _ in range(3)] == [200, 200, 429]  # the limit bites
        assert {client.get("/healthz").status_code for _ in range(10)} == {200}
    finally:
        limiter.limit_manager.set_default_limits(saved)


@pytest.fixture
def request_lines(app, caplog, monkeypatch):
    monkeypatch.setitem(app.config, "REQUEST_LOG", True)  # on in production, off by default elsewhere
    caplog.set_level(logging.INFO, logger=REQUEST_LOGGER)

    def lines():
        return [r for r in caplog.records if r.name == REQUEST_LOGGER]

    return lines


def test_every_request_is_one_line_with_method_path_status_and_duration(client, make_user, request_lines):
    make_user("ann@example.org")
    client.get("/auth/login")
    client.get("/no-such-page")
    records = request_lines()
    assert len(records) == 2
    login, missing = (r.fields for r in records)
    assert (login["method"], login["path"], login["status"], login["route"]) == ("GET", "/auth/login", 200,
                                                                               "/auth/login")
    assert missing["status"] == 404 and isinstance(missing["duration_ms"], float)
    assert len({login["request_id"], missing["request_id"]}) == 2


def test_request_log_never_holds_passwords_tokens_or_csrf_values(app, client, make_user, request_lines):
    make_user("ann@example.org")
    page = client.get("/auth/login?next=/expert/&token=abc123secret")
    token = csrf_from(page.data)
    client.post("/auth/login?next=/expert/", data={"email": "ann@example.org", "password": PASSWORD,
                                                   "csrf_token": token})
    client.get("/auth/reset/reset-token-value-42")
    client.get("/auth/invite/invite-token-value-43")
    client.get("/?session=s3cr3t-value&page=2")
    formatter = JsonFormatter()
    text = "\n".join(formatter.format(r) for r in request_lines())
    for secret in (PASSWORD, token, "abc123secret", "reset-token-value-42", "invite-token-value-43", "s3cr3t-value"):
        assert secret not in text
    paths = [json.loads(line)["path"] for line in text.splitlines()]
    assert "/auth/reset/[token]" in paths and "/auth/invite/[token]" in paths
    assert '"query": "session=[redacted]&page=2"' in text
    assert all("query" not in json.loads(line) for line in text.splitlines() if '"/auth/' in line)


def test_json_lines_are_parseable_and_carry_the_request_fields(client, request_lines):
    client.get("/healthz", headers={"X-Request-ID": "lb-check-7"})
    entry = json.loads(JsonFormatter().format(request_lines()[-1]))
    assert entry["level"] == "info" and entry["logger"] == REQUEST_LOGGER and entry["event"] == "request"
    assert (entry["method"], entry["path"], entry["status"], entry["request_id"]) == ("GET", "/healthz", 200,
                                                                                      "lb-check-7")
    assert entry["duration_ms"] >= 0 and entry["ts"].endswith("+00:00")


def test_request_line_names_the_user_without_costing_a_query(app, client, make_user, login_as, request_lines):
    from sqlalchemy import event

    from delphi.extensions import db

    user_id = make_user("ann@example.org")
    login_as("ann@example.org")
    with app.app_context():
        engine = db.engine

    def queries_for_home() -> int:
        statements: list[str] = []

        def count(conn, cursor, statement, *args):
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", count)
        try:
            assert client.get("/home").status_code in (200, 302)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(statements)

    logged = queries_for_home()
    assert request_lines()[-1].fields["user_id"] == user_id
    app.config["REQUEST_LOG"] = False  # monkeypatched by request_lines: restored after the test
    assert queries_for_home() == logged
