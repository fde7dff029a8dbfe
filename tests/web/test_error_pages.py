"""Error answers people can act on: 401 JSON for a lapsed session, 409 for a constraint race."""
from sqlalchemy.exc import IntegrityError

from tests.conftest import csrf_from


def test_anonymous_autosave_gets_a_401_json_message_not_a_login_page(client):
    r = client.post("/expert/rounds/1/autosave", json={"item": 1, "question": "agreement", "value": 1})
    assert r.status_code in (400, 401)  # no CSRF token without a session: refused either way
    page = client.get("/auth/login")
    r = client.post("/expert/rounds/1/autosave", json={"item": 1, "question": "agreement", "value": 1},
                    headers={"X-CSRFToken": csrf_from(page.data)})
    assert r.status_code == 401 and "Log in again" in r.json["error"]


def test_anonymous_page_visit_still_redirects_to_login_with_next(client):
    r = client.get("/organiser/studies/1?tab=x")
    assert r.status_code == 302 and r.headers["Location"].startswith("/auth/login?next=/organiser/studies/1")


def test_a_constraint_race_becomes_a_409_with_a_clear_message(app, client, login_as, monkeypatch):
    from delphi.extensions import db
    from delphi.services.studies import panel
    from tests.study_helpers import make_study

    with app.app_context():
        study = make_study(n_experts=0)
        db.session.commit()
        study_id = study.id

    def racing_add(*args, **kwargs):
        raise IntegrityError("INSERT INTO panelists", {}, Exception("UNIQUE constraint failed"))

    monkeypatch.setattr(panel, "add", racing_add)
    login_as("olga@example.org")
    page = client.get(f"/organiser/studies/{study_id}/panel")
    r = client.post(f"/organiser/studies/{study_id}/panel", data={"csrf_token": csrf_from(page.data),
                                                                  "email": "x@example.org", "name": "X"})
    assert r.status_code == 409 and b"already saved" in r.data
