"""The organiser's live page of a real-time round: statistics, convergence, snapshots; its report and data package."""
from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from delphi.db import utcnow
from delphi.extensions import db
from delphi.models import RatingEvent, Round, RoundSnapshot, Study
from delphi.services.release import data_package
from delphi.services.studies import convergence, design, ratings, rounds
from tests.conftest import csrf_from
from tests.study_helpers import ORGANISER, make_study, open_first_round, organiser, rate_all


def _live_round(mode: str = "realtime") -> tuple[int, int]:
    """Three experts rate the 8 domains 3, 3 and 1; E03 then changes domain I to 3. Events a minute apart."""
    study = make_study(n_experts=3, kinds=("domain",))
    if mode != "classic":
        protocol = dict(study.protocol)
        protocol["mode"] = mode
        design.set_protocol(study, protocol, by=organiser())
    rnd = open_first_round(study)
    rate_all(rnd, {"E01": 3, "E02": 3, "E03": 1})
    first = rnd.round_items[0]
    ratings.save(rnd, study.panelists[2], first.item_id, ratings={"agreement": 3})
    start = utcnow() - timedelta(hours=1)
    for k, event in enumerate(db.session.scalars(select(RatingEvent).order_by(RatingEvent.id))):
        event.given_at = start + timedelta(minutes=k)
    db.session.commit()
    return study.id, rnd.id


@pytest.fixture
def live(app):
    with app.app_context():
        return _live_round()


def test_live_page_shows_current_statistics_and_the_revision_in_the_charts(client, login_as, live):
    study_id, round_id = live
    login_as(ORGANISER)
    page = client.get(f"/organiser/rounds/{round_id}/live")
    assert page.status_code == 200
    html = page.data.decode()
    assert "Take a snapshot" in html and f"/organiser/rounds/{round_id}/close" in html
    # domain I at 12 moments over the hour since the first answer (about 5.5 minutes apart): E01 and E02 rated it
    # 3 (minutes 0 and 8), E03 1 (minute 16), then 3 (minute 24): 67 % at the moments about 16.4 and 21.8 minutes
    # in, 100 % before and after; one revision by one expert; first → last % change (|1-0| + |2-3|) / (2·3)
    row = re.search(r'<th scope="row" class="code">I</th>(.*?)</tr>', html, re.S).group(1)
    assert "1 (1)" in row and "33%" in row and ": 100%, 100%, 100%, 67%, 67%, 100%, 100%" in row
    other = re.search(r'<th scope="row" class="code">II</th>(.*?)</tr>', html, re.S).group(1)
    assert "67%" in other and "0 (0)" in other
    # the panel table: one of three experts had revised at the last moment (shown in the chart's text too)
    assert "1 (33%)" in html
    assert "Share of experts who had revised an answer" in html and "Kendall" in html
    study_page = client.get(f"/organiser/studies/{study_id}").data.decode()
    assert f"/organiser/rounds/{round_id}/live" in study_page


def test_snapshot_needs_the_csrf_token_and_is_listed(app, client, login_as, live):
    _study_id, round_id = live
    login_as(ORGANISER)
    url = f"/organiser/rounds/{round_id}/snapshot"
    assert client.post(url, data={"label": "day 1"}).status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count(RoundSnapshot.id))) == 0
    token = csrf_from(client.get(f"/organiser/rounds/{round_id}/live").data)
    response = client.post(url, data={"label": "day 1", "csrf_token": token}, follow_redirects=True)
    assert response.status_code == 200
    html = response.data.decode()
    assert "Snapshot taken" in html and "day 1" in html
    with app.app_context():
        snap = db.session.scalars(select(RoundSnapshot)).one()
        assert snap.label == "day 1" and snap.results["questions"]["agreement"]["items"]
    too_long = client.post(url, data={"label": "x" * 201, "csrf_token": token}, follow_redirects=True)
    assert "at most 200 characters" in too_long.data.decode()


def test_other_organisers_get_404(app, client, login_as, make_user, live):
    _study_id, round_id = live
    make_user("other@example.org", name="Other Organiser", roles=("organiser",))
    login_as("other@example.org")
    assert client.get(f"/organiser/rounds/{round_id}/live").status_code == 404
    token = csrf_from(client.get("/organiser/").data)
    assert client.post(f"/organiser/rounds/{round_id}/snapshot", data={"csrf_token": token}).status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count(RoundSnapshot.id))) == 0


def test_a_closed_round_refuses_a_snapshot_and_its_page_shows_the_final_outcomes(app, client, login_as, live):
    _study_id, round_id = live
    with app.app_context():
        rounds.close(db.session.get(Round, round_id), by=organiser())
        db.session.commit()
    login_as(ORGANISER)
    html = client.get(f"/organiser/rounds/{round_id}/live").data.decode()
    assert "Take a snapshot" not in html and "Results and decisions" in html
    token = csrf_from(client.get(f"/organiser/rounds/{round_id}").data)
    refused = client.post(f"/organiser/rounds/{round_id}/snapshot", data={"csrf_token": token}, follow_redirects=True)
    assert "its results are its final statistics" in refused.data.decode()


def _close_with_snapshot(round_id: int) -> Study:
    rnd = db.session.get(Round, round_id)
    convergence.take_snapshot(rnd, "midway", by=organiser())
    rounds.close(rnd, by=organiser())
    db.session.commit()
    return rnd.study


def test_report_of_a_real_time_study_has_its_section(app, client, login_as, live):
    study_id, round_id = live
    with app.app_context():
        _close_with_snapshot(round_id)
    login_as(ORGANISER)
    html = client.get(f"/organiser/studies/{study_id}/report").data.decode()
    section = html[html.index('id="realtime"'):]
    assert "midway" in section and "Mean agreement over time" in section and "Kendall" in section
    assert "First versus last answers" in section
    row = re.search(r'<td class="code">I</td>(.*?)</tr>', section, re.S).group(1)
    assert "33%" in row   # first 3, 3, 1 → last 3, 3, 3: (|1-0| + |2-3|) / (2·3)
    assert "Real-time Delphi" in html[html.index('id="accord"'):]


def test_data_package_of_a_real_time_study_has_the_answer_history_and_snapshots(app, live):
    _study_id, round_id = live
    with app.app_context():
        study = _close_with_snapshot(round_id)
        z = zipfile.ZipFile(io.BytesIO(data_package.build(study)))
        history = list(csv.DictReader(io.StringIO(z.read("answer-history.csv").decode())))
        assert len(history) == 8 * 3 + 1
        assert set(history[0]) == {"round", "pseudonym", "item", "question", "value", "language", "carried",
                                   "given_at"}
        assert {row["pseudonym"] for row in history} == {"E01", "E02", "E03"}
        e03 = [row["value"] for row in history if row["pseudonym"] == "E03" and row["item"] == "I"]
        assert e03 == ["1", "3"]
        assert history[0]["given_at"].endswith("+00:00") and history[0]["language"] == "en"
        snapshots = json.loads(z.read("snapshots.json"))
        assert [s["label"] for s in snapshots] == ["midway"]
        assert set(snapshots[0]["results"]) >= {"questions", "respondents", "round"}
        readme = z.read("README.md").decode()
        assert "answer-history.csv" in readme and "snapshots.json" in readme
        stored = json.loads(z.read("results/round-1.json"))
        assert stored["first_last"]["agreement"]


def test_a_classic_study_has_neither_in_its_report_nor_package(app, client, login_as):
    with app.app_context():
        study_id, round_id = _live_round("classic")
        rounds.close(db.session.get(Round, round_id), by=organiser())
        db.session.commit()
        z = zipfile.ZipFile(io.BytesIO(data_package.build(db.session.get(Study, study_id))))
        assert "answer-history.csv" not in z.namelist() and "snapshots.json" not in z.namelist()
        assert "answer-history.csv" not in z.read("README.md").decode()
    login_as(ORGANISER)
    html = client.get(f"/organiser/studies/{study_id}/report").data.decode()
    assert 'id="realtime"' not in html
    assert client.get(f"/organiser/rounds/{round_id}/live").status_code == 200   # the history exists anyway

