"""Shared fixtures: one app and a migrated database per session, emptied after every test.

The database comes from TEST_DATABASE_URL (a SQLite file by default; PostgreSQL in CI). The schema is built
with `flask db upgrade`, never create_all(), so every run exercises the migrations.
"""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from config import TestConfig

TEST_INSTANCE = Path(__file__).resolve().parent.parent / "instance"


def reset_database(url: str) -> None:
    """Drop everything so the migrations start from empty."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1]
        for suffix in ("", "-wal", "-shm"):
            Path(path + suffix).unlink(missing_ok=True)
        return
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def empty_all_tables(engine, metadata) -> None:
    """Delete every row, bypassing the triggers that guard released framework versions."""
    tables = list(reversed(metadata.sorted_tables))
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # TRUNCATE fires no row-level triggers.
            conn.execute(text("TRUNCATE " + ", ".join(t.name for t in tables) + " RESTART IDENTITY CASCADE"))
            return
        triggers = conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")).all()
        for name, _ in triggers:
            conn.execute(text(f"DROP TRIGGER {name}"))
        for table in tables:
            conn.execute(table.delete())
        for _, sql in triggers:
            conn.execute(text(sql))


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    from flask_migrate import upgrade

    from delphi import create_app

    reset_database(TestConfig.SQLALCHEMY_DATABASE_URI)
    application = create_app(TestConfig)
    # One outbox per test session, so parallel runs never read each other's mail.
    application.config["MAIL_OUTBOX_DIR"] = str(tmp_path_factory.mktemp("outbox"))
    with application.app_context():
        upgrade()
    yield application


@pytest.fixture(autouse=True)
def _clean(request):
    """Empty every table, the outbox and the rate-limit counters after each test that used the app."""
    yield
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    from delphi.extensions import db, limiter

    with app.app_context():
        db.session.remove()
        empty_all_tables(db.engine, db.metadata)
        limiter.reset()
    shutil.rmtree(app.config["MAIL_OUTBOX_DIR"], ignore_errors=True)


@pytest.fixture
def ctx(app):
    """An application context for calling services directly."""
    with app.app_context() as c:
        yield c


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_from(html: str | bytes) -> str:
    if isinstance(html, bytes):
        html = html.decode()
    match = CSRF_RE.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def csrf_token(client, path: str = "/auth/login") -> str:
    return csrf_from(client.get(path).data)


PASSWORD = "correct-horse-battery"


@pytest.fixture
def make_user(app):
    """make_user(email, name=..., roles=("organiser",)) → user id; password is PASSWORD."""
    from delphi.extensions import db
    from delphi.models import PlatformRole
    from delphi.services.accounts import users

    def _make(email: str, name: str | None = None, roles: tuple[str, ...] = (), password: str | None = PASSWORD):
        with app.app_context():
            user = users.create_user(email, name or email.split("@")[0].title(), password)
            for role in roles:
                users.grant_role(user, PlatformRole(role))
            db.session.commit()
            return user.id

    return _make


@pytest.fixture
def login_as(client):
    def _login(email: str, password: str = PASSWORD, follow: bool = False):
        token = csrf_token(client)
        response = client.post("/auth/login", data={"email": email, "password": password, "csrf_token": token},
                               follow_redirects=follow)
        assert response.status_code in (200, 302), response.status_code
        return response

    return _login


def outbox(app) -> list:
    from delphi.services.accounts.mail import outbox_messages

    with app.app_context():
        return outbox_messages()


def link_in_last_mail(app, pattern: str = r"http://\S+") -> str:
    messages = outbox(app)
    assert messages, "no mail was sent"
    body = messages[-1].get_content()
    match = re.search(pattern, body)
    assert match, body
    return match.group(0)


def pytest_report_header(config):
    url = os.environ.get("TEST_DATABASE_URL", "sqlite (default)")
    return f"database: {re.sub(r'//[^@]*@', '//***@', url)}"
