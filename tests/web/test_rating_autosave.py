"""The rating page's autosave over HTTP: who may save, what is stored, the progress it answers with.

The autosave checks the login in its own SQL (delphi/services/rating_autosave.py), so these tests cover what
Flask-Login's loader would otherwise guarantee: an ended session, a deactivated account, a foreign round.
"""
from __future__ import annotations

from sqlalchemy import func, select

from delphi.extensions import db
from delphi.models import Comment, Participation, Rating, Round
from delphi.services.accounts import users
from delphi.services.studies import design, rounds
from tests.conftest import csrf_from
from tests.study_helpers import make_study, open_first_round, organiser

TWO_QUESTIONS = [
    {"key": "agreement", "label": "Agree?", "points": 3, "allow_unable": True},
    {"key": "importance", "label": "Important?", "points": 5, "allow_unable": False},
]


def _round(app, questions=None, n_experts=2) -> tuple[int, list[int]]:
    with app.app_context():
        study = make_study(n_experts=n_experts)
        if questions:
            protocol = dict(study.protocol)
            protocol["questions"] = questions
            design.set_protocol(study, protocol, by=organiser())
        rnd = open_first_round(study)
        db.session.commit()
        return rnd.id, [ri.item_id for ri in rnd.round_items]


def _expert_page(app, client, login_as, round_id, email="expert1@example.org") -> dict[str, str]:
    login_as(email)
    page = client.get(f"/expert/rounds/{round_id}", follow_redirects=True)
    assert page.status_code == 200
    return {"X-CSRFToken": csrf_from(page.data)}


def _stored(app, model=Rating) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_each_answer_is_upserted_and_the_page_counts_items_with_every_question_answered(app, client, login_as):
    round_id, items = _round(app, TWO_QUESTIONS)
    headers = _expert_page(app, client, login_as, round_id)
    url = f"/expert/rounds/{round_id}/autosave"
    for item, question, value in [(items[0], "agreement", 2), (items[0], "agreement", 3), (items[0], "importance", 5),
                                  (items[0], "importance", 4), (items[1], "importance", 1),
                                  (items[1], "agreement", "unable"), (items[2], "agreement", 1)]:
        r = client.post(url, json={"item": item, "question": question, "value": value}, headers=headers)
        assert r.status_code == 200 and r.json == {"ok": True}, r.json
    with app.app_context():
        stored = {(r.item_id, r.question): r.value for r in db.session.scalars(select(Rating))}
        started = db.session.scalar(select(func.count()).select_from(Participation))
    assert stored == {(items[0], "agreement"): 3, (items[0], "importance"): 4, (items[1], "importance"): 1,
                      (items[1], "agreement"): None, (items[2], "agreement"): 1}
    assert started == 1
    # Two items have both questions answered ("unable to rate" is an answer); the third has one of two.
    page = client.get(f"/expert/rounds/{round_id}", follow_redirects=True)
    assert f"2 of {len(items)} items rated".encode() in page.data


def test_comments_are_saved_replaced_and_removed_when_emptied(app, client, login_as):
    round_id, items = _round(app)
    headers = _expert_page(app, client, login_as, round_id)
    url = f"/expert/rounds/{round_id}/autosave"
    assert client.post(url, json={"item": items[0], "comment": "  Too vague.  "}, headers=headers).json["ok"]
    assert client.post(url, json={"item": items[0], "comment": "Reword level 3."}, headers=headers).json["ok"]
    with app.app_context():
        assert db.session.scalars(select(Comment.text)).all() == ["Reword level 3."]
        assert db.session.scalar(select(func.count()).select_from(Participation)) == 1
    r = client.post(url, json={"item": items[0], "comment": "   "}, headers=headers)
    assert r.status_code == 200 and r.json == {"ok": True}
    assert _stored(app, Comment) == 0
    too_long = client.post(url, json={"item": items[0], "comment": "x" * 5001}, headers=headers)
    assert too_long.status_code == 400 and "at most 5000 characters" in too_long.json["error"]
    assert _stored(app, Comment) == 0


def test_bad_answers_are_refused_with_a_reason_and_store_nothing(app, client, login_as):
    round_id, items = _round(app, TWO_QUESTIONS)
    headers = _expert_page(app, client, login_as, round_id)
    url = f"/expert/rounds/{round_id}/autosave"
    # One good answer first: on PostgreSQL the later ones take the one-statement path with the cached questions.
    good = {"item": items[0], "question": "importance", "value": 3}
    assert client.post(url, json=good, headers=headers).status_code == 200
    cases = [
        ({"item": items[0], "question": "relevance", "value": 1}, "Unknown question 'relevance'"),
        ({"item": items[0], "question": "importance", "value": "unable"}, "not offered"),
        ({"item": items[0], "question": "importance", "value": 6}, "outside the scale 1–5"),
        ({"item": items[0], "question": "importance", "value": 2.5}, "not a whole point"),
        ({"item": items[0], "question": "importance", "value": True}, "not a rating"),
        ({"item": items[0], "question": "importance", "value": None}, "not a rating"),
        ({"item": 999_999, "question": "importance", "value": 2}, "not rated in this round"),
        ({"item": "1", "question": "importance", "value": 2}, "Send JSON with an item id"),
        ({"item": items[0], "question": 3, "value": 2}, "Name the question as text"),
        ({"item": items[0], "comment": ["a"]}, "A comment must be text"),
    ]
    for body, message in cases:
        r = client.post(url, json=body, headers=headers)
        assert r.status_code == 400 and message in r.json["error"], (body, r.status_code, r.json)
    not_json = client.post(url, data="item=1", headers=headers)
    assert not_json.status_code == 400 and not_json.json["ok"] is False
    with app.app_context():
        assert db.session.execute(select(Rating.item_id, Rating.question, Rating.value)).all() == [
            (items[0], "importance", 3)]  # only the good answer, unchanged
    for accepted in (2.0, "3", "unable"):  # what the page never sends but the scale allows, as the Save button
        body = {"item": items[0], "question": "agreement", "value": accepted}
        assert client.post(url, json=body, headers=headers).status_code == 200, accepted
    with app.app_context():
        assert db.session.scalar(select(Rating.value).where(Rating.question == "agreement")) is None


def test_a_session_ended_by_a_password_change_gets_401_and_stores_nothing(app, client, login_as):
    round_id, items = _round(app)
    headers = _expert_page(app, client, login_as, round_id)
    with app.app_context():
        users.set_password(users.find_by_email("expert1@example.org"), "a-new-long-password")
        db.session.commit()
    r = client.post(f"/expert/rounds/{round_id}/autosave", json={"item": items[0], "question": "agreement",
                                                                   "value": 1}, headers=headers)
    assert r.status_code == 401 and "Log in again" in r.json["error"]
    assert _stored(app) == 0


def test_a_deactivated_account_loses_its_sessions(app, client, login_as):
    round_id, items = _round(app)
    headers = _expert_page(app, client, login_as, round_id)
    with app.app_context():
        users.find_by_email("expert1@example.org").active = False
        db.session.commit()
    r = client.post(f"/expert/rounds/{round_id}/autosave", json={"item": items[0], "question": "agreement",
                                                                   "value": 1}, headers=headers)
    assert r.status_code == 401
    assert client.get("/expert/").status_code == 302  # the pages too: back to the login form
    assert _stored(app) == 0


def test_anonymous_and_foreign_experts_cannot_save(app, client, login_as, make_user):
    round_id, items = _round(app)
    body = {"item": items[0], "question": "agreement", "value": 1}
    anonymous = client.post(f"/expert/rounds/{round_id}/autosave", json=body,
                            headers={"X-CSRFToken": csrf_from(client.get("/auth/login").data)})
    assert anonymous.status_code == 401 and "Log in again" in anonymous.json["error"]
    # An expert of another study, with a valid session and CSRF token, probing this round: 404.
    with app.app_context():
        other = make_study(n_experts=0, title="Other study")
        users.create_user("stranger@example.org", "Stranger", "correct-horse-battery")
        from delphi.services.studies import panel

        panel.consent(panel.add(other, "stranger@example.org", "Stranger", by=organiser()), None)
        db.session.commit()
    client.post("/auth/logout", data={"csrf_token": csrf_from(client.get("/auth/login").data)})
    login_as("stranger@example.org")
    token = csrf_from(client.get("/expert/").data)
    for rid in (round_id, 987_654):
        r = client.post(f"/expert/rounds/{rid}/autosave", json=body, headers={"X-CSRFToken": token})
        assert r.status_code == 404 and r.json["ok"] is False
    assert _stored(app) == 0


def test_after_the_close_an_answer_is_refused_and_the_results_count_every_earlier_one(app, client, login_as):
    round_id, items = _round(app)
    headers = _expert_page(app, client, login_as, round_id)
    url = f"/expert/rounds/{round_id}/autosave"
    for item, value in zip(items[:3], (1, 2, 3)):
        assert client.post(url, json={"item": item, "question": "agreement", "value": value},
                           headers=headers).status_code == 200
    with app.app_context():
        rounds.close(db.session.get(Round, round_id), by=organiser())
        db.session.commit()
    late = client.post(url, json={"item": items[3], "question": "agreement", "value": 3}, headers=headers)
    assert late.status_code == 409 and late.json == {
        "ok": False, "error": "Round 1 is closed: answers can no longer be changed."}
    with app.app_context():
        results = db.session.get(Round, round_id).results
        assert _stored(app) == 3
    counted = sum(row["n"] for row in results["questions"]["agreement"]["items"])
    assert counted == 3


def test_each_round_the_expert_answers_in_gets_its_own_participation(app, client, login_as):
    """The "started" mark is per round: answering round 2 starts it, as the first answer of round 1 did."""
    from datetime import timedelta

    from delphi.db import utcnow
    from delphi.models import Decision
    from delphi.services.studies import decisions

    round_id, items = _round(app)
    headers = _expert_page(app, client, login_as, round_id)
    for item in items[:3]:
        assert client.post(f"/expert/rounds/{round_id}/autosave", json={
            "item": item, "question": "agreement", "value": 3}, headers=headers).status_code == 200
    with app.app_context():
        rnd = db.session.get(Round, round_id)
        rounds.close(rnd, by=organiser())
        for ri in rnd.round_items:
            decisions.decide(rnd, ri.item, Decision.RERATE if ri.item_id == items[0] else Decision.ACCEPT,
                             by=organiser())
        round2 = rounds.open_round(rnd.study, utcnow() + timedelta(days=7), by=organiser()).id
        db.session.commit()
    headers = {"X-CSRFToken": csrf_from(client.get(f"/expert/rounds/{round2}", follow_redirects=True).data)}
    for value in (1, 2):
        r = client.post(f"/expert/rounds/{round2}/autosave", json={"item": items[0], "question": "agreement",
                                                                    "value": value}, headers=headers)
        assert r.status_code == 200, r.json
    with app.app_context():
        started = db.session.execute(select(Participation.round_id).order_by(Participation.round_id)).scalars().all()
        second = db.session.scalars(select(Rating.value).where(Rating.round_id == round2)).all()
    assert started == [round_id, round2] and second == [2]
