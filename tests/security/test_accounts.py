"""Accounts: no page tells whether an e-mail has an account; reset and invitation refuse weak passwords and keep
the link usable; a login starts a new session (the cookie changes and an old one gains nothing)."""
from __future__ import annotations

import re

import pytest

from tests.conftest import PASSWORD, csrf_from, csrf_token, link_in_last_mail, outbox

KNOWN, UNKNOWN = "ann@example.org", "ghost@example.org"


def _flashes(html: bytes) -> list[str]:
    return re.findall(r'class="flash[^"]*">([^<]*)<', html.decode())


def test_reset_request_answers_the_same_for_a_known_and_an_unknown_address(app, make_user):
    make_user(KNOWN)
    answers = []
    for email in (KNOWN, UNKNOWN, "ANN@Example.org "):
        client = app.test_client()
        response = client.post("/auth/reset", data={"email": email, "csrf_token": csrf_token(client, "/auth/reset")})
        followed = client.get(response.headers["Location"])
        answers.append((response.status_code, response.headers["Location"], _flashes(followed.data)))
    assert answers[0] == answers[1] == answers[2]
    assert [m["To"] for m in outbox(app)] == [KNOWN, KNOWN]  # only the real account gets mail


def test_login_answers_the_same_for_a_wrong_password_an_unknown_address_and_a_disabled_account(app, make_user):
    from delphi.extensions import db
    from delphi.models import User

    make_user(KNOWN)
    off = make_user("off@example.org")
    with app.app_context():
        db.session.get(User, off).active = False
        db.session.commit()
    answers = set()
    for email, password in ((KNOWN, "wrong-password-123"), (UNKNOWN, PASSWORD), ("off@example.org", PASSWORD)):
        client = app.test_client()
        response = client.post("/auth/login", data={"email": email, "password": password,
                                                    "csrf_token": csrf_token(client)})
        page = response.data.decode().replace(email, "EMAIL")
        page = re.sub(r'name="csrf_token"[^>]*value="[^"]+"', "", page)
        answers.add((response.status_code, tuple(_flashes(page.encode())), len(page)))
    assert len(answers) == 1, answers
    assert next(iter(answers))[0] == 401


def test_invitation_and_reset_links_do_not_tell_unknown_from_used_by_address(app, client):
    """A made-up link says 'not valid' whatever e-mail it is tried for: the token alone decides."""
    for token in ("x" * 43, "ann@example.org", "../../etc/passwd"):
        for kind in ("invite", "reset"):
            response = client.get(f"/auth/{kind}/{token}")
            assert response.status_code in (400, 404)
            assert b"example.org" not in response.data


def _invitation(app, email="eve@example.org"):
    from delphi.extensions import db
    from delphi.services.accounts import users

    with app.app_context():
        user = users.create_user(email, "Eve")
        link = users.send_invitation(user, None, "to a study")
        db.session.commit()
    return link.split("http://127.0.0.1:5000", 1)[1]


def _reset(app, client, make_user):
    make_user(KNOWN)
    client.post("/auth/reset", data={"email": KNOWN, "csrf_token": csrf_token(client, "/auth/reset")})
    return link_in_last_mail(app).split("http://127.0.0.1:5000", 1)[1]


WEAK = [("short", "at least 12"), ("aaaaaaaaaaaa", "too simple"), ("abababababab", "too simple"),
        (" " * 12, None), ("\t" * 12, None)]


@pytest.mark.parametrize("password, message", WEAK)
def test_reset_refuses_a_weak_password_and_the_link_keeps_working(app, client, make_user, password, message):
    from delphi.extensions import db
    from delphi.models import User

    path = _reset(app, client, make_user)
    with app.app_context():
        before = db.session.scalar(db.select(User.password_hash).where(User.email == KNOWN))
    form = client.get(path)
    response = client.post(path, data={"password": password, "confirm": password, "csrf_token": csrf_from(form.data)})
    assert response.status_code in (200, 400)
    if message:
        assert message in response.data.decode()
    with app.app_context():
        assert db.session.scalar(db.select(User.password_hash).where(User.email == KNOWN)) == before
    assert client.get(path).status_code == 200  # not used up
    with client.session_transaction() as sess:
        assert "_user_id" not in sess  # not logged in


@pytest.mark.parametrize("password, message", WEAK)
def test_invitation_refuses_a_weak_password_and_the_link_keeps_working(app, client, password, message):
    from delphi.extensions import db
    from delphi.models import User

    path = _invitation(app)
    form = client.get(path)
    response = client.post(path, data={"name": "Eve", "password": password, "csrf_token": csrf_from(form.data)})
    assert response.status_code in (200, 400)
    if message:
        assert message in response.data.decode()
    with app.app_context():
        assert db.session.scalar(db.select(User.password_hash).where(User.email == "eve@example.org")) is None
    assert client.get(path).status_code == 200
    with client.session_transaction() as sess:
        assert "_user_id" not in sess


def test_login_changes_the_session_cookie_and_the_old_cookie_stays_anonymous(app, make_user):
    make_user(KNOWN, roles=("organiser",))
    client = app.test_client()
    token = csrf_token(client)
    before = client.get_cookie("session").value
    assert client.post("/auth/login", data={"email": KNOWN, "password": PASSWORD,
                                            "csrf_token": token}).status_code == 302
    after = client.get_cookie("session").value
    assert after != before
    attacker = app.test_client()  # holds the cookie from before the login (planted or sniffed)
    attacker.set_cookie("session", before)
    response = attacker.get("/organiser/")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_invitation_and_reset_logins_start_a_new_session_too(app, make_user):
    for start in ("invite", "reset"):
        client = app.test_client()
        with client.session_transaction() as sess:
            sess["planted"] = "by-attacker"
        if start == "invite":
            path = _invitation(app, email=f"{start}@example.org")
            data = {"name": "Eve", "password": ""}
        else:
            make_user(f"{start}@example.org")
            client.post("/auth/reset", data={"email": f"{start}@example.org",
                                             "csrf_token": csrf_token(client, "/auth/reset")})
            path = link_in_last_mail(app).split("http://127.0.0.1:5000", 1)[1]
            data = {"password": "a-brand-new-secret", "confirm": "a-brand-new-secret"}
        form = client.get(path)
        assert client.post(path, data={**data, "csrf_token": csrf_from(form.data)}).status_code == 302
        with client.session_transaction() as sess:
            assert "planted" not in sess and "_user_id" in sess, start
