"""Pre-filling re-rated items with the expert's previous answer (issue 13; protocol prefill_previous, default off):
shown as "kept unless you change it", stored — marked carried — only when the expert saves or submits, so an
expert who never opens round 2 is no respondent; a revised item is never pre-filled."""
from __future__ import annotations

import csv
import io
import zipfile

from sqlalchemy import select

from delphi.extensions import db
from delphi.models import Decision, Rating, Round
from delphi.services.studies import decisions, design, ratings, results, rounds
from delphi.services.studies.protocols import respondents as respondent_rule
from tests.conftest import csrf_from
from tests.study_helpers import make_study, open_first_round, organiser
from tests.web.test_between_rounds import _decide_the_rest, _login


def _round_two(app, *, prefill: bool = True) -> tuple[int, int, list[int], int]:
    """Round 1 on the 49 indicators: E01 rates 2 everywhere, the others 3; I.2.1 is revised, the rest re-rated
    unchanged; round 2 open. Returns (study, round 2, [unchanged item ids of domain I], revised item id)."""
    with app.app_context():
        study = make_study(n_experts=3)
        protocol = dict(study.protocol)
        protocol["prefill_previous"] = prefill
        design.set_protocol(study, protocol, by=organiser())
        rnd = open_first_round(study)
        for p in study.panelists:
            for ri in rnd.round_items:
                ratings.save(rnd, p, ri.item_id, ratings={"agreement": 2 if p.pseudonym == "E01" else 3})
            ratings.submit(rnd, p)
        rounds.close(rnd, by=organiser())
        revised = next(ri.item for ri in rnd.round_items if ri.item.code == "I.2.1")
        decisions.decide(rnd, revised, Decision.REVISE, by=organiser(), new_text="A reworded statement.",
                         reason="The panel asked for a clearer statement.")
        _decide_the_rest(rnd, Decision.RERATE)
        second = rounds.open_round(study, rnd.deadline, by=organiser())
        db.session.commit()
        unchanged = [ri.item_id for ri in second.round_items if ri.item_id != revised.id
                     and ri.item.domain_code == "I"]  # the items of the page the tests open
        return study.id, second.id, unchanged, revised.id


def _ratings(app, round_id, **where) -> list[Rating]:
    with app.app_context():
        query = select(Rating).where(Rating.round_id == round_id)
        for key, value in where.items():
            query = query.where(getattr(Rating, key) == value)
        rows = list(db.session.scalars(query))
        db.session.expunge_all()
        return rows


def test_the_page_prefills_unchanged_items_and_stores_nothing_until_the_expert_acts(app):
    study_id, round_id, unchanged, revised = _round_two(app)
    client = _login(app, "expert1@example.org")
    html = client.get(f"/expert/rounds/{round_id}/domains/I").data.decode()
    for item_id in unchanged:
        assert f'id="kept-{item_id}-agreement"' in html
        assert f'name="r-{item_id}-agreement" value="2" data-question="agreement"\n              checked' in html
    assert f'id="kept-{revised}-agreement"' not in html  # an answer to the old wording is not carried
    assert 'id="kept-notice"' in html and "48 of 49" in html  # the 48 pre-filled count as answered
    assert _ratings(app, round_id) == []
    # An expert who never came back is no respondent when the round closes.
    with app.app_context():
        rnd = db.session.get(Round, round_id)
        who = results.participation(rnd, respondent_rule(rnd.study.protocol), results.counted_panel(rnd.study))
        assert who["count"] == 0


def test_a_change_is_given_the_rest_is_kept_as_carried_at_submission(app):
    study_id, round_id, unchanged, revised = _round_two(app)
    client = _login(app, "expert1@example.org")
    token = csrf_from(client.get(f"/expert/rounds/{round_id}/domains/I").data)
    url = f"/expert/rounds/{round_id}/autosave"
    headers = {"X-CSRFToken": token}
    assert client.post(url, json={"item": unchanged[0], "question": "agreement", "value": 3},
                       headers=headers).status_code == 200
    assert client.post(url, json={"item": revised, "question": "agreement", "value": 1},
                       headers=headers).status_code == 200
    assert client.post(f"/expert/rounds/{round_id}/submit", data={"csrf_token": token}).status_code == 302
    stored = {r.item_id: (r.value, r.carried) for r in _ratings(app, round_id)}
    assert stored[unchanged[0]] == (3, False) and stored[revised] == (1, False)
    assert all(stored[i] == (2, True) for i in unchanged[1:])
    # A carried answer changed afterwards is the expert's own again.
    client.post(url, json={"item": unchanged[1], "question": "agreement", "value": 2}, headers=headers)
    assert {r.item_id: r.carried for r in _ratings(app, round_id)}[unchanged[1]] is False
    # The report and the data package say how many answers were carried.
    with app.app_context():
        rounds.close(db.session.get(Round, round_id), by=organiser())
        db.session.commit()
    organiser_client = _login(app, "olga@example.org")
    html = organiser_client.get(f"/organiser/studies/{study_id}/report").data.decode()
    carried = 48 - 2  # every unchanged item but the two changed
    assert f"round 2: {carried}" in html
    package = zipfile.ZipFile(io.BytesIO(organiser_client.get(f"/organiser/studies/{study_id}/data-package.zip").data))
    rows = list(csv.DictReader(io.StringIO(package.read("rounds.csv").decode())))
    assert rows[1]["carried_answers"] == str(carried)


def test_the_save_button_keeps_what_the_page_prefilled_as_carried(app):
    study_id, round_id, unchanged, revised = _round_two(app)
    client = _login(app, "expert1@example.org")
    page = client.get(f"/expert/rounds/{round_id}/domains/I").data.decode()
    form = {"csrf_token": csrf_from(page), f"r-{unchanged[0]}-agreement": "2", f"r-{unchanged[1]}-agreement": "1",
            f"r-{revised}-agreement": "3"}
    client.post(f"/expert/rounds/{round_id}/domains/I", data=form)
    stored = {r.item_id: (r.value, r.carried) for r in _ratings(app, round_id)}
    assert stored[unchanged[0]] == (2, True)     # left as pre-filled
    assert stored[unchanged[1]] == (1, False)    # changed
    assert stored[revised] == (3, False)


def test_without_the_protocol_option_nothing_is_prefilled(app):
    study_id, round_id, unchanged, revised = _round_two(app, prefill=False)
    client = _login(app, "expert1@example.org")
    html = client.get(f"/expert/rounds/{round_id}/domains/I").data.decode()
    assert "kept unless you change it" not in html and "0 of" in html
    token = csrf_from(html)
    r = client.post(f"/expert/rounds/{round_id}/submit", data={"csrf_token": token}, follow_redirects=True)
    assert "still need an answer" in r.data.decode() and _ratings(app, round_id) == []
