"""Ending a study: release of the validated framework, the Delphi report (HTML, PDF) and the data package."""
from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import pytest

from delphi.db import utcnow
from delphi.extensions import db
from delphi.models import Decision, FrameworkVersion, Study, VersionStatus
from delphi.services.release import publication
from delphi.services.studies import decisions, ratings, rounds
from tests.conftest import csrf_from
from tests.study_helpers import make_study, open_first_round, organiser


def _two_round_study() -> int:
    """5 experts rate the 8 domains; E05 disagrees with I and II, E04 with II; I revised, VIII dropped, II re-rated."""
    study = make_study(n_experts=5, kinds=("domain",))
    rnd = open_first_round(study)
    org = organiser()
    for p in study.panelists:
        for ri in rnd.round_items:
            dissent = (p.pseudonym == "E05" and ri.item.code in ("I", "II")) or \
                (p.pseudonym == "E04" and ri.item.code == "II")
            ratings.save(rnd, p, ri.item_id, ratings={"agreement": 1 if dissent else 3},
                         comment="Split this domain" if dissent else None)
    rounds.close(rnd, by=org)
    for ri in rnd.round_items:
        code = ri.item.code
        if code == "I":
            decisions.decide(rnd, ri.item, Decision.REVISE, by=org, reason="E05's comment",
                             new_text="Governance and national strategy")
        elif code == "II":
            decisions.decide(rnd, ri.item, Decision.RERATE, by=org)
        elif code == "VIII":
            decisions.decide(rnd, ri.item, Decision.DROP, by=org, reason="Out of scope")
        else:
            decisions.decide(rnd, ri.item, Decision.ACCEPT, by=org)
    rnd2 = rounds.open_round(study, utcnow() + timedelta(days=3), by=org)
    for p in study.panelists:
        for ri in rnd2.round_items:
            ratings.save(rnd2, p, ri.item_id, ratings={"agreement": 3})
    rounds.close(rnd2, by=org)
    for ri in rnd2.round_items:
        decisions.decide(rnd2, ri.item, Decision.ACCEPT, by=org)
    db.session.commit()
    return study.id


@pytest.fixture
def finished_study(app):
    with app.app_context():
        return _two_round_study()


def _release(client, study_id, label="2026"):
    page = client.get(f"/organiser/studies/{study_id}/release")
    return client.post(f"/organiser/studies/{study_id}/release",
                       data={"csrf_token": csrf_from(page.data), "label": label, "notes": "Validated."},
                       follow_redirects=True)


def test_release_shows_the_diff_then_publishes_an_immutable_citable_version(app, client, login_as, finished_study):
    login_as("olga@example.org")
    preview = client.get(f"/organiser/studies/{finished_study}/release")
    text = preview.data.decode()
    assert preview.status_code == 200
    # Domain I reworded; domain VIII removed with its 5 subdomains and 9 indicators: 1 + 1 + 5 + 9 changes.
    assert "Changes against 1plusmg-mlm:2022 (16)" in text
    assert "reworded domain I title" in text and "removed domain VIII" in text
    assert "Governance and <ins>national </ins>strategy" in text

    page = _release(client, finished_study)
    assert page.status_code == 200 and b"Released 1plusmg-mlm:2026" in page.data
    assert b"How to cite" in page.data and b"SHA-256" in page.data
    with app.app_context():
        study = db.session.get(Study, finished_study)
        version = study.released_version
        assert version.status == VersionStatus.RELEASED and version.label == "2026"
        assert len(version.checksum) == 64 and study.status.value == "finished"
        assert [d.code for d in version.domains] == ["I", "II", "III", "IV", "V", "VI", "VII"]
        assert version.domains[0].title == "Governance and national strategy"
    api = client.get("/api/v1/frameworks/1plusmg-mlm/versions/2026")
    assert api.status_code == 200 and api.json["domains"][0]["title"] == "Governance and national strategy"


def test_releasing_twice_is_refused_and_changes_nothing(app, client, login_as, finished_study):
    login_as("olga@example.org")
    _release(client, finished_study)
    with app.app_context():
        study = db.session.get(Study, finished_study)
        with pytest.raises(publication.AlreadyReleased):
            publication.publish(study, "2027", "", by=organiser())
        db.session.rollback()
        labels = sorted(v.label for v in db.session.query(FrameworkVersion).all())
    assert labels == ["2022", "2026"]


def test_releasing_with_a_round_open_is_refused_with_a_clear_message(app, client, login_as):
    with app.app_context():
        study = make_study(n_experts=2, kinds=("domain",))
        open_first_round(study)
        db.session.commit()
        study_id = study.id
    login_as("olga@example.org")
    page = client.get(f"/organiser/studies/{study_id}/release")
    assert b"Round 1 is still open; close it before releasing." in page.data
    r = _release(client, study_id)
    assert b"Round 1 is still open" in r.data
    with app.app_context():
        assert db.session.get(Study, study_id).released_version_id is None


def test_no_round_can_open_or_close_again_after_the_study_ended(app, client, login_as, finished_study):
    login_as("olga@example.org")
    _release(client, finished_study)
    with app.app_context():
        study = db.session.get(Study, finished_study)
        last = study.rounds[-1]
        with pytest.raises(rounds.RoundNotOpen):
            rounds.close(last, by=organiser())
        db.session.rollback()
        from delphi.errors import InvalidInput

        with pytest.raises(InvalidInput, match="ended"):
            rounds.open_round(study, utcnow() + timedelta(days=1), by=organiser())
        db.session.rollback()
        assert len(db.session.get(Study, finished_study).rounds) == 2


def test_report_html_has_the_protocol_panel_rounds_and_key_numbers(app, client, login_as, finished_study):
    login_as("olga@example.org")
    _release(client, finished_study)
    html = client.get(f"/organiser/studies/{finished_study}/report").data.decode()
    assert "Fixed before round 1 and locked on" in html
    assert "mlm-2021" in html
    # Round 1: 8 items, 5 panelists; domain I: 4 of 5 agree = 80 % with 1 disagreement → reformulated.
    assert "<td class=\"code\">I</td><td>agreement</td><td class=\"num\">5</td>" in html
    assert "reformulated" in html and "Governance and national strategy" in html and "Out of scope" in html
    assert "ACCORD" in html and "To be added by the authors" in html
    public = app.test_client().get(f"/studies/{finished_study}/report")
    assert public.status_code == 200 and b"expert1@example.org" not in public.data and b"Expert 1" not in public.data


def test_report_pdf_renders(app, client, login_as, finished_study):
    login_as("olga@example.org")
    pdf = client.get(f"/organiser/studies/{finished_study}/report.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF") and len(pdf.data) > 10_000


def test_data_package_reproduces_the_stored_results_with_delphi_analyse(app, client, login_as, finished_study,
                                                                        tmp_path, capsys):
    from delphi.stats.cli import main as analyse_main
    from tests.services.test_round_results import _normalise

    login_as("olga@example.org")
    r = client.get(f"/organiser/studies/{finished_study}/data-package.zip")
    z = zipfile.ZipFile(io.BytesIO(r.data))
    names = set(z.namelist())
    assert {"README.md", "protocol.json", "panel.csv", "ratings.csv", "items.csv", "rounds.csv", "decisions.csv",
            "results/round-1.json", "results/round-2.json", "analysis.json", "framework-final.json"} <= names
    assert "@example.org" not in z.read("panel.csv").decode()  # pseudonymised
    settings = json.loads(z.read("analysis.json"))
    q = settings["questions"]["agreement"]
    (tmp_path / "ratings.csv").write_bytes(z.read("ratings.csv"))
    code = analyse_main(["analyse", str(tmp_path / "ratings.csv"), "--scale", q["scale"], "--agree", q["agree"],
                         "--disagree", q["disagree"], "--rule", settings["rule"], "--quartiles",
                         settings["quartiles"], "--panel-size", str(settings["panel_size"]),
                         "--max-rounds", str(settings["max_rounds"])])
    assert code == 0
    reproduced = json.loads(capsys.readouterr().out)
    stored = json.loads(z.read("results/round-2.json"))["questions"]["agreement"]
    for table in ("items", "stability", "panel"):
        assert _normalise(reproduced[table]) == _normalise(stored[table]), table


def test_dashboard_filters_by_outcome_and_sorts_by_agreement(app, client, login_as, finished_study):
    login_as("olga@example.org")
    with app.app_context():
        round_id = db.session.get(Study, finished_study).rounds[0].id
    page = client.get(f"/organiser/rounds/{round_id}?outcome=reformulated").data.decode()
    assert "2 of 2 matching items shown; 8 items in the round" in page
    page = client.get(f"/organiser/rounds/{round_id}?sort=agreement").data.decode()
    # II (3 of 5 agree) before I (4 of 5) before the 100 % items; framework order would be I, II, III.
    assert page.index("<strong>II</strong>") < page.index("<strong>I</strong>") < page.index("<strong>III</strong>")
    assert "continue:" in page or "stop:" in page  # the stopping verdict in words


def test_item_flow_counts_decisions_per_round(app, client, login_as, finished_study):
    login_as("olga@example.org")
    html = client.get(f"/organiser/studies/{finished_study}/flow").data.decode()
    # Round 1: 8 rated, 5 accepted, 1 revised, 1 dropped, carried 2 (revised + re-rated); round 2: 2 rated, 2 accepted.
    assert '<td>1</td><td class="num">8</td><td class="num">5</td><td class="num">1</td><td class="num">1</td><td class="num">2</td>' in html
    assert '<td>2</td><td class="num">2</td><td class="num">2</td><td class="num">0</td><td class="num">0</td><td class="num">0</td>' in html
    assert "<svg" in html
