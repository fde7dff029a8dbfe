"""Security review, accounts (issue 14): no public signing key outside development, no reset links in the logs,
tokens die with a password change, the reset page takes as long for an unknown address, passwords of 12+
characters that are not common, and a lock on an account after repeated failed logins from any address."""
from __future__ import annotations

import logging
import re
import statistics
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from config import DevelopmentConfig, ProductionConfig, TestConfig
from tests.conftest import PASSWORD, csrf_from, csrf_token, link_in_last_mail, outbox

KNOWN, UNKNOWN = "ann@example.org", "ghost@example.org"
BASE = "http://127.0.0.1:5000"
_ip = iter(range(1, 10**6))


@pytest.fixture(autouse=True)
def _app_logger_restored():
    """The development and production apps built here configure the 'delphi' logger (a handler, no
    propagation); put it back so caplog keeps reading the test app's records."""
    logger = logging.getLogger("delphi")
    saved = (list(logger.handlers), logger.propagate, logger.level)
    yield
    logger.handlers[:], logger.propagate = saved[0], saved[1]
    logger.setLevel(saved[2])


def fresh_client(app):
    """A client from an address of its own (the per-address rate limits stay out of the way)."""
    client = app.test_client()
    n = next(_ip)
    client.environ_base["REMOTE_ADDR"] = f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"
    return client


def request_reset(app, email: str):
    client = fresh_client(app)
    return client.post("/auth/reset", data={"email": email, "csrf_token": csrf_token(client, "/auth/reset")})


def reset_path(app, email: str = KNOWN) -> str:
    request_reset(app, email)
    return link_in_last_mail(app).split(BASE, 1)[1]


def choose_password(app, path: str, password: str, **extra):
    client = fresh_client(app)
    form = client.get(path)
    assert form.status_code == 200, form.status_code
    data = {"password": password, "confirm": password, **extra, "csrf_token": csrf_from(form.data)}
    return client.post(path, data=data)


def log_in(app, email: str, password: str):
    client = fresh_client(app)
    return client.post("/auth/login", data={"email": email, "password": password, "csrf_token": csrf_token(client)})


def flashes(response) -> list[str]:
    return re.findall(r'class="flash[^"]*">([^<]*)<', response.data.decode())


def production(monkeypatch, **attributes) -> type:
    """A production config that passes the environment checks, with attributes overridden."""
    monkeypatch.setenv("SECRET_KEY", "a" * 64)
    monkeypatch.setenv("DATABASE_URL", TestConfig.SQLALCHEMY_DATABASE_URI)
    defaults = {"SECRET_KEY": "a" * 64, "SQLALCHEMY_DATABASE_URI": TestConfig.SQLALCHEMY_DATABASE_URI,
                "MAIL_BACKEND": "smtp", "BASE_URL": "https://delphi.example.org",
                "JOBS_REDIS_URL": "redis://127.0.0.1:6379/0"}
    return type("Production", (ProductionConfig,), {**defaults, **attributes})


# 1. No default secret outside `make run` ------------------------------------------------------------------------

def test_without_delphi_env_the_public_development_key_refuses_to_start(monkeypatch):
    from delphi import create_app

    monkeypatch.delenv("DELPHI_ENV", raising=False)
    monkeypatch.setattr(DevelopmentConfig, "SECRET_KEY", "dev-only-not-secret")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()  # what `gunicorn 'delphi:create_app()'` and `flask` do without DELPHI_ENV


@pytest.mark.parametrize("key", ["dev-only-not-secret", "test-secret", ""])
def test_production_refuses_a_public_or_empty_key_even_when_the_variable_is_set(monkeypatch, key):
    from delphi import create_app

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(production(monkeypatch, SECRET_KEY=key))


def test_explicit_development_runs_with_the_development_key_but_answers_only_loopback(monkeypatch):
    from delphi import create_app

    monkeypatch.setenv("DELPHI_ENV", "development")
    monkeypatch.setattr(DevelopmentConfig, "SECRET_KEY", "dev-only-not-secret")
    app = create_app()
    assert app.test_client().get("/auth/login").status_code == 200  # 127.0.0.1, as `make run` serves
    outside = app.test_client()
    outside.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    assert outside.get("/auth/login").status_code == 403


def test_make_run_sets_explicit_development():
    from pathlib import Path

    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    assert re.search(r"^run: export DELPHI_ENV \??= development$", makefile, re.MULTILINE)
    assert re.search(r"^db: export DELPHI_ENV \??= development$", makefile, re.MULTILINE)


# 2. No secrets in logs ------------------------------------------------------------------------------------------

def test_the_file_mail_backend_logs_recipient_and_subject_but_never_the_link(app, make_user, caplog):
    make_user(KNOWN)
    caplog.set_level(logging.DEBUG)
    request_reset(app, KNOWN)
    token = link_in_last_mail(app).rsplit("/", 1)[1]
    assert token not in caplog.text and "/auth/reset/" not in caplog.text
    assert KNOWN in caplog.text and "Reset your Delphi platform password" in caplog.text


def test_production_refuses_the_file_mail_backend(monkeypatch):
    from delphi import create_app

    with pytest.raises(RuntimeError, match="MAIL_BACKEND"):
        create_app(production(monkeypatch, MAIL_BACKEND="file"))


def test_production_with_the_job_queue_refuses_to_start_without_redis(monkeypatch):
    """A missing setting is refused at start (redis being down later is not: mail waits in the outbox)."""
    from delphi import create_app

    with pytest.raises(RuntimeError, match="JOBS_REDIS_URL"):
        create_app(production(monkeypatch, JOBS_MODE="rq", JOBS_REDIS_URL=None))


# 3. Tokens die with a password change ---------------------------------------------------------------------------

def _invitation_for(app, email: str) -> str:
    from delphi.extensions import db
    from delphi.services.accounts import users

    with app.app_context():
        link = users.send_invitation(users.find_by_email(email), None, "to a study")
        db.session.commit()
    return link.split(BASE, 1)[1]


def test_a_password_reset_voids_every_other_reset_and_invitation_link(app, make_user):
    make_user(KNOWN)
    older, invitation, used = reset_path(app), _invitation_for(app, KNOWN), reset_path(app)
    assert choose_password(app, used, "a-brand-new-secret").status_code == 302
    for path in (older, invitation):
        response = fresh_client(app).get(path)
        assert response.status_code == 400, path


def test_setting_a_password_through_an_invitation_voids_older_reset_links(app, make_user):
    make_user(KNOWN, password=None)
    older, invitation = reset_path(app), _invitation_for(app, KNOWN)
    client = fresh_client(app)
    form = client.get(invitation)
    response = client.post(invitation, data={"name": "Ann", "password": "a-brand-new-secret",
                                             "csrf_token": csrf_from(form.data)})
    assert response.status_code == 302
    assert fresh_client(app).get(older).status_code == 400
    assert log_in(app, KNOWN, "a-brand-new-secret").status_code == 302


# 4. No account enumeration by timing ----------------------------------------------------------------------------

def test_the_reset_request_makes_and_hashes_a_token_and_writes_a_message_for_an_unknown_address_too(
        app, make_user, monkeypatch):
    from delphi import security

    made: list[str] = []
    real = security.new_token
    monkeypatch.setattr(security, "new_token", lambda: made.append("token") or real())
    composed: list[str] = []
    from delphi.services.accounts import mail

    real_compose = mail.compose
    monkeypatch.setattr(mail, "compose", lambda *a, **k: composed.append("mail") or real_compose(*a, **k))
    make_user(KNOWN)
    for email in (KNOWN, UNKNOWN):
        made.clear()
        composed.clear()
        assert request_reset(app, email).status_code == 302
        assert made == ["token"] and composed == ["mail"], email
    assert [m["To"] for m in outbox(app)] == [KNOWN]


def test_the_reset_request_takes_as_long_for_an_unknown_address_as_for_a_known_one(app, make_user, monkeypatch):
    """Medians of interleaved requests; a floor under the answer time (RESET_REQUEST_MIN_SECONDS) hides the
    extra insert, commit and mail of a known address."""
    monkeypatch.setitem(app.config, "RESET_REQUEST_MIN_SECONDS", 0.06)
    make_user(KNOWN)
    times: dict[str, list[float]] = {KNOWN: [], UNKNOWN: []}
    for _ in range(12):
        for email in (KNOWN, UNKNOWN):
            client = fresh_client(app)
            token = csrf_token(client, "/auth/reset")
            start = time.perf_counter()
            response = client.post("/auth/reset", data={"email": email, "csrf_token": token})
            times[email].append(time.perf_counter() - start)
            assert response.status_code == 302
    known, unknown = (statistics.median(times[e]) * 1000 for e in (KNOWN, UNKNOWN))
    print(f"\nreset request medians: known {known:.1f} ms, unknown {unknown:.1f} ms")
    assert unknown >= 55 and known >= 55
    assert ProductionConfig.RESET_REQUEST_MIN_SECONDS >= 0.2
    assert max(known, unknown) / min(known, unknown) < 1.5


# 5. Passwords and guessing --------------------------------------------------------------------------------------

@pytest.mark.parametrize("password, message", [
    ("eleven-char", "at least 12"), ("qwertyuiop123", "too common"), ("PASSWORD1234", "too common"),
    ("iloveyou2024!", "too common"), ("1q2w3e4r5t6y", "too common")])
def test_reset_refuses_short_and_common_passwords(app, make_user, password, message):
    make_user(KNOWN)
    response = choose_password(app, reset_path(app), password)
    assert response.status_code in (200, 400) and message in response.data.decode(), password
    assert log_in(app, KNOWN, password).status_code == 401


def test_the_demo_and_test_passwords_pass_the_policy(app):
    from delphi.services.accounts import users

    with app.app_context():
        for password in (PASSWORD, "demo-password-1", "a-brand-new-secret"):
            users.check_password_policy(password)


def test_an_account_locks_after_repeated_failures_from_any_address_and_its_owner_is_told(app, make_user):
    from delphi.db import utcnow
    from delphi.extensions import db
    from delphi.models import User

    make_user(KNOWN)
    limit = app.config["LOGIN_LOCK_AFTER"]
    for _ in range(limit):  # each from another address: the per-address limit never fires
        assert log_in(app, KNOWN, "not-the-password").status_code == 401
    locked = log_in(app, KNOWN, PASSWORD)  # the right password, during the lock
    assert locked.status_code == 401
    for _ in range(limit):
        unknown = log_in(app, UNKNOWN, PASSWORD)
    assert flashes(locked) == flashes(unknown) and unknown.status_code == 401
    assert "locked" in flashes(locked)[0]
    mails = [m for m in outbox(app) if m["To"] == KNOWN]
    assert len(mails) == 1 and "locked" in mails[0]["Subject"].lower()
    assert "/auth/reset" in mails[0].get_content()

    with app.app_context():  # the lock expires
        db.session.execute(update(User).values(locked_until=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert log_in(app, KNOWN, PASSWORD).status_code == 302
    for _ in range(limit - 1):  # the success reset the count: as many failures again do not lock
        assert log_in(app, KNOWN, "not-the-password").status_code == 401
    assert log_in(app, KNOWN, PASSWORD).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(User.failed_logins)) == 0


def test_a_password_reset_lifts_the_lock(app, make_user):
    make_user(KNOWN)
    for _ in range(app.config["LOGIN_LOCK_AFTER"]):
        log_in(app, KNOWN, "not-the-password")
    assert log_in(app, KNOWN, PASSWORD).status_code == 401
    assert choose_password(app, reset_path(app), "a-brand-new-secret").status_code == 302
    assert log_in(app, KNOWN, "a-brand-new-secret").status_code == 302
