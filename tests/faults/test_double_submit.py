"""A form submitted twice (a double click, a resent POST) creates one record, and the second time says so."""
from __future__ import annotations

import threading

from sqlalchemy import func, select

from delphi.extensions import db
from delphi.models import AuditEvent, ItemDecision, Panelist, Round, User
from tests.conftest import csrf_from
from tests.faults.conftest import csrf
from tests.study_helpers import make_study, open_first_round


def _study(app, open_round: bool = False):
    with app.app_context():
        study = make_study(n_experts=2)
        rnd = open_first_round(study) if open_round else None
        db.session.commit()
        return study.id, rnd.id if rnd else None


def _count(app, model, *where) -> int:
    with app.app_context():
        n = db.session.scalar(select(func.count()).select_from(model).where(*where))
        db.session.remove()
    return n


def test_adding_the_same_panelist_twice_adds_one_and_says_so_the_second_time(app, client, login_as):
    study_id, _ = _study(app)
    login_as("olga@example.org")
    page = client.get(f"/organiser/studies/{study_id}/panel")
    form = {"csrf_token": csrf_from(page.data), "email": "new.expert@example.org", "name": "New Expert"}
    first = client.post(f"/organiser/studies/{study_id}/panel", data=form, follow_redirects=True)
    second = client.post(f"/organiser/studies/{study_id}/panel", data=form, follow_redirects=True)
    assert first.status_code == second.status_code == 200
    assert "added to the panel" in first.get_data(as_text=True)
    assert "new.expert@example.org is already on this panel." in second.get_data(as_text=True)
    assert _count(app, Panelist, Panelist.study_id == study_id) == 3
    assert _count(app, User, User.email == "new.expert@example.org") == 1


def test_recording_the_same_decision_twice_records_one(app, client, login_as):
    study_id, round_id = _study(app, open_round=True)
    login_as("olga@example.org")
    page = client.get(f"/organiser/studies/{study_id}")
    client.post(f"/organiser/rounds/{round_id}/close", data={"csrf_token": csrf_from(page.data)})
    with app.app_context():
        item = db.session.get(Round, round_id).round_items[0].item
        item_id, code = item.id, item.code
    review = client.get(f"/organiser/rounds/{round_id}")
    form = {"csrf_token": csrf_from(review.data), "decision": "accept", "reason": ""}
    first = client.post(f"/organiser/rounds/{round_id}/items/{item_id}/decision", data=form, follow_redirects=True)
    second = client.post(f"/organiser/rounds/{round_id}/items/{item_id}/decision", data=form, follow_redirects=True)
    assert f"{code}: accept recorded." in first.get_data(as_text=True)
    assert f"Item {code} already has a decision for round 1." in second.get_data(as_text=True)
    assert _count(app, ItemDecision, ItemDecision.round_id == round_id) == 1


def test_closing_a_round_twice_closes_it_once(app, client, login_as):
    study_id, round_id = _study(app, open_round=True)
    login_as("olga@example.org")
    token = csrf_from(client.get(f"/organiser/studies/{study_id}").data)
    first = client.post(f"/organiser/rounds/{round_id}/close", data={"csrf_token": token}, follow_redirects=True)
    second = client.post(f"/organiser/rounds/{round_id}/close", data={"csrf_token": token}, follow_redirects=True)
    assert "Round 1 closed; results computed." in first.get_data(as_text=True)
    assert "Round 1 is closed: answers can no longer be changed." in second.get_data(as_text=True)
    assert _count(app, AuditEvent, AuditEvent.action == "close_round") == 1


def test_double_click_with_both_requests_in_flight_still_adds_one_panelist(app, serve):
    """The first request is held after its INSERT (uncommitted) while the second arrives: the unique constraints
    are the guard. The second gets the friendly refusal if it came second in time, else the constraint's 409
    ("already saved ... nothing more was changed", errors.py), never a second row."""
    study_id, _ = _study(app)
    server = serve()
    organiser = server.session()
    organiser.log_in("olga@example.org")
    page = organiser.page(f"/organiser/studies/{study_id}/panel")
    form = {"csrf_token": csrf(page), "email": "twice@example.org", "name": "Clicked Twice"}
    responses: dict[str, tuple] = {}

    def click(name: str, headers: dict[str, str]) -> None:
        responses[name] = organiser.post_form(f"/organiser/studies/{study_id}/panel", form, headers=headers)

    first = threading.Thread(target=click, args=("first", {"X-Test-Pause-After-Insert": "panelists:1"}))
    first.start()
    server.wait_paused()
    second = threading.Thread(target=click, args=("second", {}))
    second.start()
    second.join(0.5)  # the second request now waits on the first one's uncommitted rows (or has its answer)
    server.resume()
    first.join(20)
    second.join(20)
    assert responses["first"][0] == 302
    if responses["second"][0] == 302:  # it came second in time: the friendly refusal
        assert "already on this panel" in organiser.page(f"/organiser/studies/{study_id}/panel").decode()
    else:  # it raced the first one's INSERT: the unique constraint answered
        status, _, body = responses["second"]
        assert status == 409 and b"already saved" in body, (status, body[:300])
    assert _count(app, Panelist, Panelist.study_id == study_id) == 3
    assert _count(app, User, User.email == "twice@example.org") == 1
