"""Live feedback in a real-time round (issue 18), over HTTP: what an expert sees of the group while rating, when,
and the history every answer leaves."""
from __future__ import annotations

import json
import re

import numpy as np
import pytest
from sqlalchemy import func, select

from delphi.errors import InvalidInput
from delphi.extensions import db
from delphi.models import RatingEvent, Round
from delphi.services.studies import design, protocols, ratings
from tests.conftest import csrf_from
from tests.study_helpers import make_study, open_first_round, organiser


def live_round(app, n_experts: int = 4, **live) -> tuple[int, list[int]]:
    with app.app_context():
        study = make_study(n_experts=n_experts, kinds=("domain",))
        design.set_protocol(study, {**study.protocol, "mode": "realtime", "live": live}, by=organiser())
        rnd = open_first_round(study)
        db.session.commit()
        return rnd.id, [ri.item_id for ri in rnd.round_items]


def _login_page(client, login_as, round_id: int, email: str) -> str:
    login_as(email)
    page = client.get(f"/expert/rounds/{round_id}", follow_redirects=True)
    assert page.status_code == 200
    return page.data.decode()


def _answer(client, token: str, round_id: int, item: int, value, comment: str | None = None) -> None:
    body = {"item": item, "question": "agreement", "value": value}
    assert client.post(f"/expert/rounds/{round_id}/autosave", json=body,
                       headers={"X-CSRFToken": token}).status_code == 200
    if comment is not None:
        assert client.post(f"/expert/rounds/{round_id}/autosave", json={"item": item, "comment": comment},
                           headers={"X-CSRFToken": token}).status_code == 200


def _logout(client) -> None:
    page = client.get("/expert/")
    if page.status_code == 200 and b"/auth/logout" in page.data:
        client.post("/auth/logout", data={"csrf_token": csrf_from(page.data)})


def _as(client, login_as, round_id: int, email: str) -> str:
    _logout(client)
    return csrf_from(_login_page(client, login_as, round_id, email))


def _live(client, round_id: int, items: list[int], etag: str | None = None):
    headers = {"If-None-Match": etag} if etag else {}
    return client.get(f"/expert/rounds/{round_id}/live?items={','.join(map(str, items))}", headers=headers)


def test_the_protocol_makes_a_real_time_study_one_round_and_never_shows_a_single_answer(app):
    with app.app_context():
        checked = protocols.validate({**protocols.default_protocol(), "mode": "realtime"})
        assert checked["max_rounds"] == 1 and checked["live"] == {"min_answers": 3, "after_own_answer": True,
                                                                  "refresh_seconds": 3}
        with pytest.raises(InvalidInput, match="at least 2 experts"):
            protocols.validate({**protocols.default_protocol(), "mode": "realtime", "live": {"min_answers": 1}})
        with pytest.raises(InvalidInput, match="classic"):
            protocols.validate({**protocols.default_protocol(), "mode": "rounds"})
        assert not protocols.is_live(protocols.validate(protocols.default_protocol()))


def test_the_group_appears_after_ones_own_answer_and_with_enough_answers_and_updates(app, client, login_as):
    round_id, items = live_round(app)
    first = items[0]
    page = _login_page(client, login_as, round_id, "expert1@example.org")
    assert "data-live=" in page and "once you have given yours" in page
    assert "— real-time Delphi</h1>" in page and "Submit my answers" in page and "Submit round 1" not in page
    token = csrf_from(page)
    _answer(client, token, round_id, first, 3, comment="My own reason")
    shown = _live(client, round_id, [first]).get_json()["items"][str(first)]
    assert "(1 so far)" in shown  # one answer: not shown

    values = {"expert2@example.org": 2, "expert3@example.org": 3, "expert4@example.org": 1}
    for email, value in values.items():
        token = _as(client, login_as, round_id, email)
        _answer(client, token, round_id, first, value, comment=f"Reason of {email.split('@')[0]}")
    token = _as(client, login_as, round_id, "expert1@example.org")
    response = _live(client, round_id, [first])
    assert response.status_code == 200 and response.headers["Cache-Control"].startswith("private, no-store")
    shown = response.get_json()["items"][str(first)]
    given = np.array([3, 2, 3, 1])
    q1, median, q3 = np.percentile(given, [25, 50, 75])  # numpy's linear method, the protocol's default
    agree = np.mean(given == 3)  # the default 3-point scale agrees at 3
    assert f"median {median:.2f}, IQR {q3 - q1:.2f}, {agree:.0%} agree (n 4)" in shown
    assert "Disagree 1, Neither agree nor disagree 1, Agree 2" in shown
    assert "Reason of expert2" in shown and "Reason of expert4" in shown and "My own reason" not in shown
    assert "expert2@example.org" not in shown and "E02" not in shown  # anonymous

    # Nothing changed: 304 on the same ETag; a revision by another expert changes it.
    tag = response.headers["ETag"]
    assert _live(client, round_id, [first], etag=tag).status_code == 304
    token = _as(client, login_as, round_id, "expert4@example.org")
    _answer(client, token, round_id, first, 3)
    token = _as(client, login_as, round_id, "expert1@example.org")
    again = _live(client, round_id, [first], etag=tag)
    assert again.status_code == 200 and "(n 4)" in again.get_json()["items"][str(first)]
    assert "Disagree 0, Neither agree nor disagree 1, Agree 3" in again.get_json()["items"][str(first)]
    # The expert's own earlier answers once they revise.
    _answer(client, token, round_id, first, 2)
    mine = _live(client, round_id, [first]).get_json()["items"][str(first)]
    assert re.search(r"Your answers so far: 3 .*→ 2", mine)


def test_every_answer_is_kept_in_the_history_on_each_path(app, client, login_as):
    round_id, items = live_round(app, n_experts=2)
    token = _as(client, login_as, round_id, "expert1@example.org")
    for value in (1, 2, 3):
        _answer(client, token, round_id, items[0], value)
    with app.app_context():
        rnd = db.session.get(Round, round_id)
        p = rnd.study.panelists[1]
        ratings.save(rnd, p, items[0], ratings={"agreement": "unable"})
        db.session.commit()
        history = db.session.execute(select(RatingEvent.panelist_id, RatingEvent.value)
                                     .where(RatingEvent.round_id == round_id).order_by(RatingEvent.id)).all()
        first_panelist = rnd.study.panelists[0].id
        assert history == [(first_panelist, 1), (first_panelist, 2), (first_panelist, 3), (p.id, None)]
        assert db.session.scalar(select(func.count()).select_from(RatingEvent)) == 4


def test_the_protocol_can_show_the_group_before_ones_own_answer_and_from_two_answers(app, client, login_as):
    round_id, items = live_round(app, n_experts=3, min_answers=2, after_own_answer=False)
    for email, value in (("expert1@example.org", 3), ("expert2@example.org", 2)):
        token = _as(client, login_as, round_id, email)
        _answer(client, token, round_id, items[0], value)
    _as(client, login_as, round_id, "expert3@example.org")
    shown = _live(client, round_id, [items[0]]).get_json()["items"][str(items[0])]
    assert "(n 2)" in shown


def test_a_classic_round_has_no_live_feedback_and_other_people_get_nothing(app, client, login_as, make_user):
    with app.app_context():
        study = make_study(n_experts=1, kinds=("domain",))
        rnd = open_first_round(study)
        db.session.commit()
        classic = rnd.id
    page = _login_page(client, login_as, classic, "expert1@example.org")
    assert "data-live=" not in page
    assert client.get(f"/expert/rounds/{classic}/live?items=1").status_code == 404
    round_id, items = live_round(app, n_experts=1)
    make_user("outsider@example.org")
    _logout(client)
    login_as("outsider@example.org")
    assert _live(client, round_id, items).status_code == 404
    _logout(client)
    assert _live(client, round_id, items).status_code in (302, 401)
    _as(client, login_as, round_id, "expert1@example.org")
    bad = client.get(f"/expert/rounds/{round_id}/live?items=1,x")
    assert bad.status_code == 400 and "whole numbers" in json.dumps(bad.get_json())
    foreign = _live(client, round_id, [10**6]).get_json()
    assert foreign["items"] == {}  # items of no round of this expert's are simply not there


def test_the_invitation_to_a_real_time_study_says_how_it_works(app):
    from delphi.services.studies import panel

    round_id, _items = live_round(app, n_experts=1)
    with app.app_context():
        study = db.session.get(Round, round_id).study
        purpose, details = panel.invitation_purpose(study)
        assert "real-time Delphi study" in purpose and "change yours until the study closes" in purpose
        assert "rounds" not in purpose


def test_a_real_time_study_titled_in_three_scripts_downloads_its_report_and_package(app, client, login_as):
    """'Česko – Ελλάδα – Україна': the report PDF carries the title and its fonts, the package's file name is
    RFC 6266 (filename*), and the answer history is in it."""
    import io
    import zipfile

    import pypdf

    from delphi.services.studies import rounds
    from tests.study_helpers import ORGANISER

    title = "Česko – Ελλάδα – Україна"
    with app.app_context():
        study = make_study(n_experts=3, kinds=("domain",), title=title)
        design.set_protocol(study, {**study.protocol, "mode": "realtime"}, by=organiser())
        rnd = open_first_round(study)
        for p in study.panelists:
            ratings.save(rnd, p, rnd.round_items[0].item_id, ratings={"agreement": 3})
        ratings.save(rnd, study.panelists[0], rnd.round_items[0].item_id, ratings={"agreement": 2})
        rounds.close(rnd, by=organiser())
        db.session.commit()
        study_id = study.id
    login_as(ORGANISER)
    pdf = client.get(f"/organiser/studies/{study_id}/report.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf.data)).pages)
    assert title in text and "Real-time Delphi" in text
    package = client.get(f"/organiser/studies/{study_id}/data-package.zip")
    assert package.status_code == 200
    assert "filename*=UTF-8''" in package.headers["Content-Disposition"]
    disposition = package.headers["Content-Disposition"]
    assert 'filename="delphi-study-' in disposition and "%C4%8Desko" in disposition  # č (the slug is lowercase)
    assert "%CE%B5%CE%BB%CE%BB%CE%AC%CE%B4%CE%B1" in disposition and "%D1%83%D0%BA%D1%80" in disposition
    history = zipfile.ZipFile(io.BytesIO(package.data)).read("answer-history.csv").decode("utf-8")
    assert len(history.strip().splitlines()) == 1 + 4  # a header and four answers, the revision included
