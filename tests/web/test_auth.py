"""Logging in and out, invitations, password reset, rate limits."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from tests.conftest import PASSWORD, csrf_from, csrf_token, link_in_last_mail, outbox


def test_login_with_right_password_lands_on_home_and_logout_is_a_post(client, make_user, login_as):
    make_user("ann@example.org", roles=("organiser",))
    response = login_as("ann@example.org")
    assert response.status_code == 302 and response.headers["Location"].endswith("/home")
    assert client.get("/organiser/").status_code == 200

    assert client.get("/auth/logout").status_code == 405  # never a GET
    page = client.get("/organiser/").data
    response = client.post("/auth/logout", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 302
    assert client.get("/organiser/").status_code == 302  # back to login


def test_logout_ends_copies_of_the_session_cookie_and_other_devices(app, make_user, login_as):
    """The login cookie is signed, not stored: logout must still make a copy of it (or another device) useless."""
    make_user("ann@example.org", roles=("organiser",))
    laptop, phone = app.test_client(), app.test_client()
    for device in (laptop, phone):
        device.post("/auth/login", data={"email": "ann@example.org", "password": PASSWORD,
                                         "csrf_token": csrf_token(device)})
        assert device.get("/organiser/").status_code == 200
    stolen = laptop.get_cookie("session").value
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/organiser/").status_code == 200  # the copy works while the session lives

    out = laptop.post("/auth/logout", data={"csrf_token": csrf_from(laptop.get("/organiser/").data)},
                      follow_redirects=True)
    assert b"logged out, on this and every other device" in out.data
    for device in (laptop, phone, thief):
        assert device.get("/organiser/").status_code == 302  # back to the login form
    assert login_as("ann@example.org").headers["Location"].endswith("/home")  # a new login works


def test_wrong_password_and_unknown_email_get_the_same_message(client, make_user):
    make_user("ann@example.org")
    wrong = client.post("/auth/login", data={"email": "ann@example.org", "password": "nope-nope-nope",
                                             "csrf_token": csrf_token(client)})
    unknown = client.post("/auth/login", data={"email": "nobody@example.org", "password": "nope-nope-nope",
                                               "csrf_token": csrf_token(client)})
    assert wrong.status_code == unknown.status_code == 401
    assert b"Wrong e-mail or password." in wrong.data and b"Wrong e-mail or password." in unknown.data
    assert client.get("/organiser/").status_code == 302


def test_unknown_email_costs_a_password_hash_check_too(app, make_user, monkeypatch):
    """No timing oracle: the same hash verification runs whether or not the account exists."""
    from delphi.services.accounts import users

    make_user("ann@example.org")
    calls = []
    real = users.check_password_hash
    monkeypatch.setattr(users, "check_password_hash", lambda h, p: calls.append(h) or real(h, p))
    with app.app_context():
        assert users.authenticate("nobody@example.org", "whatever-password") is None
        assert users.authenticate("ann@example.org", "whatever-password") is None
        assert users.authenticate("ann@example.org", PASSWORD) is not None
    assert len(calls) == 3
    assert all(h.startswith("scrypt:") for h in calls)


def test_passwords_are_stored_as_scrypt_hashes(app, make_user):
    from delphi.extensions import db
    from delphi.models import User

    uid = make_user("ann@example.org")
    with app.app_context():
        user = db.session.get(User, uid)
        assert user.password_hash.startswith("scrypt:") and PASSWORD not in user.password_hash


def test_login_is_rate_limited_with_a_clear_page(app, client, make_user):
    make_user("ann@example.org")
    limit = int(app.config["LOGIN_RATE_LIMIT"].split()[0])
    statuses = []
    for _ in range(limit + 2):
        r = client.post("/auth/login", data={"email": "ann@example.org", "password": "bad-password-x",
                                             "csrf_token": csrf_token(client)})
        statuses.append(r.status_code)
    assert statuses[:limit] == [401] * limit
    assert statuses[-1] == 429
    assert b"Too many attempts" in r.data and b"Wait a minute" in r.data


def test_post_without_csrf_token_is_refused_and_changes_nothing(client, make_user):
    make_user("ann@example.org")
    r = client.post("/auth/login", data={"email": "ann@example.org", "password": PASSWORD})
    assert r.status_code == 400 and b"CSRF" in r.data
    assert client.get("/organiser/").status_code == 302  # not logged in


@pytest.mark.parametrize("target", ["//evil.com", "/\\evil.com", "https://evil.com", "http://evil.com/x",
                                    "javascript:alert(1)", "evil.com", "/\\/evil.com", " //evil.com"])
def test_next_parameter_accepts_only_local_paths(client, make_user, target):
    make_user("ann@example.org")
    page = client.get("/auth/login", query_string={"next": target}).data
    r = client.post("/auth/login", data={"email": "ann@example.org", "password": PASSWORD, "next": target,
                                         "csrf_token": csrf_from(page)})
    assert r.status_code == 302
    assert r.headers["Location"] in ("/home", "http://localhost/home")


def test_next_parameter_with_a_local_path_is_followed(client, make_user):
    make_user("ann@example.org", roles=("organiser",))
    page = client.get("/auth/login?next=/organiser/").data
    r = client.post("/auth/login", data={"email": "ann@example.org", "password": PASSWORD, "next": "/organiser/",
                                         "csrf_token": csrf_from(page)})
    assert r.headers["Location"].endswith("/organiser/")


def _invite(app, email="eve@example.org", name="Eve Expert"):
    from delphi.extensions import db
    from delphi.services.accounts import users

    with app.app_context():
        user = users.create_user(email, name)
        link = users.send_invitation(user, None, "to a study", next_path="/expert/")
        db.session.commit()
    return link.split("http://127.0.0.1:5000", 1)[1]


def test_invitation_link_logs_the_person_in_once(app, client):
    path = _invite(app)
    assert outbox(app)[-1]["To"] == "eve@example.org"
    page = client.get(path)
    assert page.status_code == 200 and b"eve@example.org" in page.data
    r = client.post(path, data={"name": "Eve E.", "password": "", "csrf_token": csrf_from(page.data)})
    assert r.status_code == 302 and r.headers["Location"].endswith("/expert/")
    assert client.get("/expert/").status_code == 200

    other = app.test_client()
    again = other.get(path)
    assert again.status_code == 400 and b"already been used" in again.data


def test_expired_invitation_is_refused_with_a_clear_message(app, client):
    from delphi.db import utcnow
    from delphi.extensions import db
    from delphi.models import Token

    path = _invite(app)
    with app.app_context():
        db.session.execute(update(Token).values(expires_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
    r = client.get(path)
    assert r.status_code == 400 and b"expired" in r.data


def test_unknown_invitation_token_is_refused(client):
    r = client.get("/auth/invite/not-a-real-token")
    assert r.status_code == 400 and b"not valid" in r.data


def test_invitation_tokens_are_stored_only_hashed(app):
    from delphi.extensions import db
    from delphi.models import Token

    path = _invite(app)
    raw = path.rsplit("/", 1)[1]
    with app.app_context():
        stored = db.session.scalars(select(Token.token_hash)).all()
    assert raw not in stored and len(stored) == 1 and len(stored[0]) == 64


def test_password_reset_by_emailed_link(app, client, make_user):
    make_user("ann@example.org")
    page = client.get("/auth/reset")
    r = client.post("/auth/reset", data={"email": "ann@example.org", "csrf_token": csrf_from(page.data)})
    assert r.status_code == 302
    path = link_in_last_mail(app).split("http://127.0.0.1:5000", 1)[1]
    form = client.get(path)
    r = client.post(path, data={"password": "a-brand-new-secret", "confirm": "a-brand-new-secret",
                                "csrf_token": csrf_from(form.data)})
    assert r.status_code == 302
    fresh = app.test_client()
    ok = fresh.post("/auth/login", data={"email": "ann@example.org", "password": "a-brand-new-secret",
                                         "csrf_token": csrf_token(fresh)})
    assert ok.status_code == 302
    assert fresh.get(path).status_code == 400  # the link worked once


def test_password_reset_for_unknown_email_says_the_same_and_sends_nothing(app, client):
    page = client.get("/auth/reset")
    r = client.post("/auth/reset", data={"email": "ghost@example.org", "csrf_token": csrf_from(page.data)},
                    follow_redirects=True)
    assert b"If an account exists" in r.data
    assert outbox(app) == []


def test_reset_with_a_too_short_password_is_refused_and_the_link_still_works(app, client, make_user):
    make_user("ann@example.org")
    client.post("/auth/reset", data={"email": "ann@example.org", "csrf_token": csrf_token(client, "/auth/reset")})
    path = link_in_last_mail(app).split("http://127.0.0.1:5000", 1)[1]
    form = client.get(path)
    r = client.post(path, data={"password": "short", "confirm": "short", "csrf_token": csrf_from(form.data)})
    assert r.status_code == 200 and b"at least 12" in r.data
    assert client.get(path).status_code == 200


def test_changing_the_password_ends_other_sessions(app, make_user, login_as, client):
    from delphi.extensions import db
    from delphi.models import User
    from delphi.services.accounts import users

    uid = make_user("ann@example.org", roles=("organiser",))
    login_as("ann@example.org")
    assert client.get("/organiser/").status_code == 200
    with app.app_context():
        users.set_password(db.session.get(User, uid), "another-long-secret")
        db.session.commit()
    assert client.get("/organiser/").status_code == 302


def test_session_is_renewed_at_login(app, client, make_user):
    """Session fixation: a value planted before login does not survive it."""
    make_user("ann@example.org")
    with client.session_transaction() as sess:
        sess["planted"] = "by-attacker"
    client.post("/auth/login", data={"email": "ann@example.org", "password": PASSWORD,
                                     "csrf_token": csrf_token(client)})
    with client.session_transaction() as sess:
        assert "planted" not in sess and "_user_id" in sess
