"""A rating page loaded while the round was open cannot write once the round is closed: every way it can post
(the Save button, autosave, Submit) is refused with a clear message and stores nothing."""
from __future__ import annotations

from sqlalchemy import func, select

from delphi.extensions import db
from delphi.models import Comment, Participation, Rating, Round, RoundStatus
from delphi.services.studies import rounds
from tests.conftest import csrf_from
from tests.faults.conftest import radio_items
from tests.study_helpers import make_study, open_first_round, organiser

CLOSED = "Round 1 is closed: answers can no longer be changed."


def _stale_page(app, client, login_as):
    """Round 1 open, the expert's page loaded; then the organiser closes the round."""
    with app.app_context():
        study = make_study(n_experts=2, kinds=("domain", "subdomain", "indicator"))
        rnd = open_first_round(study)
        db.session.commit()
        round_id, domain = rnd.id, rnd.round_items[0].item.domain_code
    login_as("expert1@example.org")
    page = client.get(f"/expert/rounds/{round_id}/domains/{domain}")
    assert page.status_code == 200 and b"Save this page" in page.data
    with app.app_context():
        rounds.close(db.session.get(Round, round_id), by=organiser())
        db.session.commit()
    return round_id, domain, page.data


def _nothing_stored(app) -> bool:
    with app.app_context():
        counts = [db.session.scalar(select(func.count()).select_from(m)) for m in (Rating, Comment, Participation)]
        status = db.session.scalar(select(Round.status))
        db.session.remove()
    return counts == [0, 0, 0] and status == RoundStatus.CLOSED


def test_save_button_of_a_page_loaded_before_the_close_is_refused_and_stores_nothing(app, client, login_as):
    round_id, domain, page = _stale_page(app, client, login_as)
    form = {"csrf_token": csrf_from(page), **{f"r-{item}-agreement": "3" for item in radio_items(page)}}
    form[f"c-{radio_items(page)[0]}"] = "Written before the close"
    r = client.post(f"/expert/rounds/{round_id}/domains/{domain}", data=form, follow_redirects=True)
    assert r.status_code == 200
    text = r.get_data(as_text=True)
    assert CLOSED in text and "Your answers on this page are saved." not in text
    assert _nothing_stored(app)


def test_autosave_from_a_stale_page_gets_409_closed_in_json(app, client, login_as):
    round_id, _, page = _stale_page(app, client, login_as)
    r = client.post(f"/expert/rounds/{round_id}/autosave",
                    json={"item": radio_items(page)[0], "question": "agreement", "value": 2},
                    headers={"X-CSRFToken": csrf_from(page)})
    assert r.status_code == 409 and r.json == {"ok": False, "error": CLOSED}
    assert _nothing_stored(app)


def test_submit_from_a_stale_page_is_refused_with_the_same_message(app, client, login_as):
    round_id, _, page = _stale_page(app, client, login_as)
    r = client.post(f"/expert/rounds/{round_id}/submit", data={"csrf_token": csrf_from(page)},
                    follow_redirects=True)
    assert CLOSED in r.get_data(as_text=True)
    assert _nothing_stored(app)
