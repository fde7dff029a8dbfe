"""Studies over HTTP: organiser set-up, expert rating with autosave, closing, decisions, permissions."""
from __future__ import annotations

import io
import json
import re

from sqlalchemy import select

from delphi.extensions import db
from delphi.models import Panelist, Rating, Round, Study
from tests.conftest import csrf_from
from tests.study_helpers import make_study, open_first_round


def _setup(app, n_experts=3, open_round=True):
    with app.app_context():
        study = make_study(n_experts=n_experts)
        rnd = open_first_round(study) if open_round else None
        db.session.commit()
        return study.id, (rnd.id if rnd else None)


def _first_item(app, round_id):
    with app.app_context():
        rnd = db.session.get(Round, round_id)
        return rnd.round_items[0].item_id, rnd.round_items[0].item.domain_code


def test_organiser_creates_a_study_on_the_shipped_release_which_gets_its_own_draft(app, client, login_as):
    from delphi.services.frameworks import versions
    from tests.study_helpers import organiser

    with app.app_context():
        organiser()
        shipped = versions.ensure_shipped()
        db.session.commit()
        shipped_id = shipped.id
    login_as("olga@example.org")
    page = client.get("/organiser/")
    r = client.post("/organiser/studies", data={"title": "New MLM Delphi", "version_id": shipped_id,
                                                "csrf_token": csrf_from(page.data)}, follow_redirects=True)
    assert r.status_code == 200 and b"New MLM Delphi" in r.data and b"1plusmg-mlm:draft-2" in r.data
    with app.app_context():
        study = db.session.scalar(select(Study))
        assert study.framework_version.status.value == "draft" and study.base_version_id == shipped_id


def test_protocol_form_refuses_a_bad_custom_rule_with_a_clear_message(app, client, login_as):
    study_id, _ = _setup(app, open_round=False)
    login_as("olga@example.org")
    page = client.get(f"/organiser/studies/{study_id}/protocol")
    assert page.status_code == 200
    form = {"csrf_token": csrf_from(page.data), "rated_kinds": ["indicator"], "q1_key": "agreement",
            "q1_label": "Agree?", "q1_points": "3", "rule": "custom",
            "custom_rule": json.dumps({"name": "x", "clauses": [{"when": {"nonsense": [">=", 1]}, "outcome": "a"}],
                                       "otherwise": "b"}),
            "stability_threshold": "0.15", "stopping": "all_decided_or_stable", "max_rounds": "3",
            "quartiles": "linear", "consent_text": "Agree to take part."}
    r = client.post(f"/organiser/studies/{study_id}/protocol", data=form)
    assert r.status_code == 400 and b"nonsense" in r.data
    with app.app_context():
        assert db.session.get(Study, study_id).protocol["rule"] == "mlm-2021"  # unchanged


def test_panel_csv_reports_bad_lines_and_adds_only_confirmed_good_rows(app, client, login_as):
    study_id, _ = _setup(app, n_experts=1, open_round=False)
    login_as("olga@example.org")
    page = client.get(f"/organiser/studies/{study_id}/panel")
    csv_data = ("email,name,stakeholder_group,country\nann@example.org,Ann,clinician,PT\n"
                "not-an-email,Bob,,\nann@example.org,Ann again,,\ncarl@example.org,,,\n"
                "dina@example.org,Dina,policy,ES\n").encode()
    r = client.post(f"/organiser/studies/{study_id}/panel/csv",
                    data={"csrf_token": csrf_from(page.data), "file": (io.BytesIO(csv_data), "panel.csv")},
                    content_type="multipart/form-data")
    assert r.status_code == 200
    text = r.data.decode()
    assert "Line 3:" in text and "Line 4:" in text and "Line 5:" in text and "2 expert(s) ready" in text
    with app.app_context():
        assert len(db.session.get(Study, study_id).panelists) == 1  # nothing added before confirmation
    rows = re.search(r'name="rows" value="([^"]*)"', text).group(1)
    import html

    r = client.post(f"/organiser/studies/{study_id}/panel/csv/confirm",
                    data={"csrf_token": csrf_from(r.data), "rows": html.unescape(rows)}, follow_redirects=True)
    assert b"2 experts added" in r.data
    with app.app_context():
        pseudonyms = [p.pseudonym for p in db.session.get(Study, study_id).panelists]
        assert pseudonyms == ["E01", "E02", "E03"]


def test_expert_autosave_upserts_and_refuses_bad_values(app, client, login_as):
    study_id, round_id = _setup(app)
    item_id, domain = _first_item(app, round_id)
    login_as("expert1@example.org")
    page = client.get(f"/expert/rounds/{round_id}/domains/{domain}")
    assert page.status_code == 200
    token = csrf_from(page.data)
    headers = {"X-CSRFToken": token}
    url = f"/expert/rounds/{round_id}/autosave"
    assert client.post(url, json={"item": item_id, "question": "agreement", "value": 2}, headers=headers).json["ok"]
    assert client.post(url, json={"item": item_id, "question": "agreement", "value": 3}, headers=headers).json["ok"]
    bad = client.post(url, json={"item": item_id, "question": "agreement", "value": 7}, headers=headers)
    assert bad.status_code == 400 and "outside the scale" in bad.json["error"]
    bad = client.post(url, json={"item": item_id, "question": "agreement", "value": "x"}, headers=headers)
    assert bad.status_code == 400
    no_csrf = client.post(url, json={"item": item_id, "question": "agreement", "value": 1})
    assert no_csrf.status_code == 400
    with app.app_context():
        values = db.session.scalars(select(Rating.value)).all()
    assert values == [3]
    again = client.get(f"/expert/rounds/{round_id}/domains/{domain}")
    assert re.search(rf'name="r-{item_id}-agreement" value="3"[^>]*\n?\s*checked', again.data.decode())


def test_save_button_without_javascript_saves_the_whole_page(app, client, login_as):
    study_id, round_id = _setup(app)
    item_id, domain = _first_item(app, round_id)
    login_as("expert2@example.org")
    page = client.get(f"/expert/rounds/{round_id}/domains/{domain}")
    r = client.post(f"/expert/rounds/{round_id}/domains/{domain}",
                    data={"csrf_token": csrf_from(page.data), f"r-{item_id}-agreement": "unable",
                          f"c-{item_id}": "Hard to judge"}, follow_redirects=True)
    assert b"saved" in r.data
    with app.app_context():
        rating = db.session.scalar(select(Rating))
        assert rating.value is None  # unable to rate


def test_expert_cannot_submit_until_everything_is_rated(app, client, login_as):
    study_id, round_id = _setup(app)
    login_as("expert1@example.org")
    page = client.get(f"/expert/rounds/{round_id}")
    page = client.get(page.headers["Location"])
    r = client.post(f"/expert/rounds/{round_id}/submit", data={"csrf_token": csrf_from(page.data)},
                    follow_redirects=True)
    assert b"49 item(s) still need an answer" in r.data


def test_expert_of_study_a_gets_404_on_study_b_and_never_sees_other_ratings(app, client, login_as, make_user):
    study_a, round_a = _setup(app, n_experts=2)
    with app.app_context():
        from tests.study_helpers import make_study as make

        other = make(n_experts=0, title="Study B")
        from delphi.services.studies import panel as panel_service

        panel_service.add(other, "outsider@example.org", "Outsider", by=None)
        p = db.session.scalar(select(Panelist).where(Panelist.study_id == other.id))
        panel_service.consent(p, None)
        db.session.commit()
    from tests.conftest import PASSWORD

    with app.app_context():
        from delphi.models import User
        from delphi.services.accounts import users

        user = db.session.scalar(select(User).where(User.email == "outsider@example.org"))
        user.password_hash = users.hash_password(PASSWORD)
        db.session.commit()
    login_as("outsider@example.org")
    item_id, domain = _first_item(app, round_a)
    for url in (f"/expert/rounds/{round_a}", f"/expert/rounds/{round_a}/domains/{domain}",
                f"/expert/studies/{study_a}/consent", f"/organiser/studies/{study_a}",
                f"/organiser/rounds/{round_a}", f"/organiser/studies/{study_a}/ratings.csv"):
        assert client.get(url).status_code in (403, 404), url
    page = client.get("/expert/")
    r = client.post(f"/expert/rounds/{round_a}/autosave", json={"item": item_id, "question": "agreement",
                                                                "value": 1},
                    headers={"X-CSRFToken": csrf_from(page.data)})
    assert r.status_code == 404


def test_organiser_of_study_a_cannot_see_study_b(app, client, login_as, make_user):
    study_a, round_a = _setup(app, n_experts=1)
    make_user("other.org@example.org", roles=("organiser",))
    login_as("other.org@example.org")
    for url in (f"/organiser/studies/{study_a}", f"/organiser/studies/{study_a}/protocol",
                f"/organiser/studies/{study_a}/panel", f"/organiser/rounds/{round_a}",
                f"/organiser/studies/{study_a}/audit", f"/organiser/studies/{study_a}/ratings.xlsx"):
        assert client.get(url).status_code == 404, url
    page = client.get("/organiser/")
    r = client.post(f"/organiser/rounds/{round_a}/close", data={"csrf_token": csrf_from(page.data)})
    assert r.status_code == 404
    with app.app_context():
        assert db.session.get(Round, round_a).status.value == "open"


def test_closing_by_hand_then_rating_is_refused_with_a_clear_message(app, client, login_as):
    study_id, round_id = _setup(app)
    item_id, domain = _first_item(app, round_id)
    login_as("olga@example.org")
    page = client.get(f"/organiser/studies/{study_id}")
    assert b"Round 1 in progress" in page.data
    r = client.post(f"/organiser/rounds/{round_id}/close", data={"csrf_token": csrf_from(page.data)},
                    follow_redirects=True)
    assert b"Round 1 closed" in r.data
    again = client.post(f"/organiser/rounds/{round_id}/close", data={"csrf_token": csrf_from(page.data)},
                        follow_redirects=True)
    assert b"is closed" in again.data
    expert = app.test_client()
    from tests.conftest import PASSWORD, csrf_token

    expert.post("/auth/login", data={"email": "expert1@example.org", "password": PASSWORD,
                                     "csrf_token": csrf_token(expert)})
    page = expert.get("/expert/")
    r = expert.post(f"/expert/rounds/{round_id}/autosave", json={"item": item_id, "question": "agreement",
                                                                 "value": 3},
                    headers={"X-CSRFToken": csrf_from(page.data)})
    assert r.status_code == 409 and "closed" in r.json["error"]


def test_close_due_rounds_command_closes_only_rounds_past_their_deadline(app, runner):
    from datetime import timedelta

    from delphi.db import utcnow

    study_id, round_id = _setup(app, n_experts=1)
    r = runner.invoke(args=["delphi", "close-due-rounds"])
    assert "No round is past its deadline" in r.output
    with app.app_context():
        rnd = db.session.get(Round, round_id)
        rnd.deadline = utcnow() - timedelta(minutes=1)
        db.session.commit()
    r = runner.invoke(args=["delphi", "close-due-rounds"])
    assert r.exit_code == 0 and "Closed round 1" in r.output
    with app.app_context():
        assert db.session.get(Round, round_id).results is not None


def test_invitations_and_reminders_are_sent_and_logged(app, client, login_as):
    from tests.conftest import outbox

    study_id, round_id = _setup(app, n_experts=2)
    login_as("olga@example.org")
    page = client.get(f"/organiser/studies/{study_id}/panel")
    r = client.post(f"/organiser/studies/{study_id}/panel/invite", data={"csrf_token": csrf_from(page.data)},
                    follow_redirects=True)
    assert b"2 invitation(s) sent" in r.data
    r = client.post(f"/organiser/rounds/{round_id}/remind", data={"csrf_token": csrf_from(page.data)},
                    follow_redirects=True)
    assert b"Reminder sent to 2" in r.data
    mails = [m for m in outbox(app) if " is open until " not in m["Subject"]]  # not the round-open news
    assert len(mails) == 4 and sum("Reminder" in m["Subject"] for m in mails) == 2
    log = client.get(f"/organiser/studies/{study_id}/panel").data  # the messages list: kind and state of each
    assert log.count(b"<td>reminder</td>") == 2 and log.count(b"<td>invitation</td>") == 2
    assert log.count(b"Reminder: round 1 of") == 2 and b"6 sent" in log


def test_domain_page_query_count_does_not_grow_with_items_or_panelists(app, client, login_as):
    """Pins N+1 regressions: domains with 3 and 11 indicators, round 2 with feedback, cost the same queries."""
    from datetime import timedelta

    from sqlalchemy import event

    from delphi.db import utcnow
    from delphi.services.studies import decisions, rounds
    from tests.study_helpers import organiser, rate_all

    with app.app_context():
        study = make_study(n_experts=4, kinds=("indicator", "level_set"))
        rnd = open_first_round(study)
        rate_all(rnd, comment="a comment")
        rounds.close(rnd, by=organiser())
        for ri in rnd.round_items:
            decisions.decide(rnd, ri.item, decisions.Decision.RERATE, by=organiser())
        rnd2 = rounds.open_round(study, utcnow() + timedelta(days=3), by=organiser())
        db.session.commit()
        round_id = rnd2.id
        engine = db.engine
    login_as("expert1@example.org")
    counts = {}
    for domain in ("I", "III"):  # 3 vs 11 indicators: 6 vs 22 items on the page
        client.get(f"/expert/rounds/{round_id}/domains/{domain}")  # warm caches
        seen = []
        listener = lambda *a: seen.append(1)  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        assert client.get(f"/expert/rounds/{round_id}/domains/{domain}").status_code == 200
        event.remove(engine, "before_cursor_execute", listener)
        counts[domain] = len(seen)
    assert counts["I"] == counts["III"], counts
    assert counts["I"] <= 25


def test_organiser_adds_a_proposed_indicator_between_rounds_and_it_is_rated_next(app, client, login_as):
    from datetime import timedelta

    from delphi.db import utcnow
    from delphi.models import Decision, Item
    from delphi.services.frameworks import editing
    from delphi.services.studies import decisions, rounds
    from tests.study_helpers import organiser, rate_all

    with app.app_context():
        study = make_study(n_experts=2)
        rnd = open_first_round(study)
        rate_all(rnd)
        rounds.close(rnd, by=organiser())
        editing.add_indicator(study.framework_version, "II.1", "II.1.9",
                                      "A proposed indicator on reimbursement.", [f"Level {n}" for n in range(1, 6)])
        db.session.commit()
        study_id, round_id = study.id, rnd.id
    login_as("olga@example.org")
    page = client.get(f"/organiser/studies/{study_id}")
    assert b"Add an item experts proposed" in page.data
    token = csrf_from(page.data)
    bad = client.post(f"/organiser/studies/{study_id}/items", data={"csrf_token": token, "element_code": "II.1.99",
                                                                    "kind": "indicator"}, follow_redirects=True)
    assert b"is not in the framework draft" in bad.data
    ok = client.post(f"/organiser/studies/{study_id}/items", data={"csrf_token": token, "element_code": "II.1.9",
                                                                   "kind": "indicator"}, follow_redirects=True)
    assert b"Item II.1.9 added" in ok.data
    again = client.post(f"/organiser/studies/{study_id}/items", data={"csrf_token": token, "element_code": "II.1.9",
                                                                      "kind": "indicator"}, follow_redirects=True)
    assert b"already an item" in again.data
    with app.app_context():
        rnd = db.session.get(Round, round_id)
        for ri in rnd.round_items:
            decisions.decide(rnd, ri.item, Decision.ACCEPT, by=organiser())
        rnd2 = rounds.open_round(rnd.study, utcnow() + timedelta(days=2), by=organiser())
        db.session.commit()
        codes = [ri.item.code for ri in rnd2.round_items]
        proposed = db.session.scalar(select(Item).where(Item.code == "II.1.9"))
        assert codes == ["II.1.9"] and proposed.proposed and proposed.domain_code == "II"


def test_live_progress_json_gives_totals_and_no_individual(app, client, login_as):
    from delphi.services.studies import ratings as rating_service

    study_id, round_id = _setup(app, n_experts=3)
    with app.app_context():
        rnd = db.session.get(Round, round_id)
        first = rnd.round_items[0].item_id
        rating_service.save(rnd, rnd.study.panelists[0], first, ratings={"agreement": 1}, comment="secret view")
        db.session.commit()
    login_as("olga@example.org")
    page = client.get(f"/organiser/studies/{study_id}")
    assert b"progress.js" in page.data and b"/progress.json" in page.data
    body = client.get(f"/organiser/rounds/{round_id}/progress.json")
    assert body.status_code == 200
    assert body.json["started"] == 1 and body.json["completed"] == 0 and body.json["panel"] == 3
    assert body.json["per_item"] == {str(first): 1}
    text = body.data.decode()
    assert "E01" not in text and "secret view" not in text and "Expert 1" not in text
