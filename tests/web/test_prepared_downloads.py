"""Prepared downloads with JOBS_MODE=inline (make run, the suite): the request builds a heavy output once and
keeps it; the same inputs are served from the kept copy, changed inputs build it again; the copies are derived
data (deleted with their subject, left out of a backup)."""
from __future__ import annotations

import json
import zipfile

from sqlalchemy import func, select

from delphi.extensions import db
from delphi.models import Decision, PreparedOutput, Study
from delphi.services.studies import decisions
from tests.conftest import csrf_token
from tests.study_helpers import ORGANISER, closed_study, make_study, open_first_round, organiser
from tests.web.test_assessment_fixtures import add_member, fill, start


def kept(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(PreparedOutput))


def counting(monkeypatch, target: str) -> list[int]:
    """Wrap a builder so the test sees how often it runs."""
    import importlib

    module_name, _, name = target.rpartition(".")
    module = importlib.import_module(module_name)
    original, calls = getattr(module, name), []

    def wrapper(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, wrapper)
    return calls


def test_a_download_is_built_once_kept_and_built_again_when_its_inputs_change(app, client, login_as,
                                                                              monkeypatch):
    study_id = closed_study(app)
    calls = counting(monkeypatch, "delphi.services.release.data_package.build")
    login_as(ORGANISER)
    url = f"/organiser/studies/{study_id}/data-package.zip"
    first = client.get(url)
    assert first.status_code == 200 and len(calls) == 1 and kept(app) == 1
    again = client.get(url)
    assert again.status_code == 200 and again.data == first.data and len(calls) == 1  # the kept copy
    with app.app_context():
        rnd = db.session.get(Study, study_id).rounds[0]
        decisions.decide(rnd, rnd.round_items[0].item, Decision.DROP, by=organiser(), reason="Out of scope")
        db.session.commit()
    changed = client.get(url)
    assert changed.status_code == 200 and len(calls) == 2 and kept(app) == 1
    decided = zipfile.ZipFile(__import__("io").BytesIO(changed.data)).read("decisions.csv").decode()
    assert "Out of scope" in decided


def test_an_open_rounds_new_rating_changes_the_inputs(app, client, login_as, monkeypatch):
    from delphi.services.studies import ratings

    with app.app_context():
        study = make_study(n_experts=2, kinds=("domain",))
        rnd = open_first_round(study)
        db.session.commit()
        study_id, round_id = study.id, rnd.id
    calls = counting(monkeypatch, "delphi.services.release.data_package.build")
    login_as(ORGANISER)
    url = f"/organiser/studies/{study_id}/data-package.zip"
    assert client.get(url).status_code == 200 and client.get(url).status_code == 200 and len(calls) == 1
    with app.app_context():
        from delphi.models import Round

        rnd = db.session.get(Round, round_id)
        ratings.save(rnd, rnd.study.panelists[0], rnd.round_items[0].item_id, ratings={"agreement": 2})
        db.session.commit()
    assert client.get(url).status_code == 200 and len(calls) == 2


def test_the_assessment_pdf_is_kept_and_deleted_with_its_assessment(app, client, login_as, monkeypatch):
    monkeypatch.setattr("delphi.services.assessments.exports.to_pdf", lambda html, css: b"%PDF-stub " + html[:40]
                        .encode())
    add_member(app, "Portugal", "lead@pt.example", "lead")
    aid = start(app, "Portugal", "lead@pt.example")
    fill(app, aid, "lead@pt.example", only=5)
    login_as("lead@pt.example")
    assert client.get(f"/assessor/assessments/{aid}/export.pdf").data.startswith(b"%PDF-stub")
    assert kept(app) == 1
    token = csrf_token(client, f"/assessor/assessments/{aid}")
    assert client.post(f"/assessor/assessments/{aid}/delete", data={"csrf_token": token}).status_code == 302
    assert kept(app) == 0


def test_a_backup_leaves_the_kept_downloads_out(app, client, login_as, tmp_path):
    study_id = closed_study(app)
    login_as(ORGANISER)
    assert client.get(f"/organiser/studies/{study_id}/report.pdf").status_code == 200
    assert kept(app) == 1
    dump = tmp_path / "backup.zip"
    result = app.test_cli_runner().invoke(args=["delphi", "backup", str(dump)])
    assert result.exit_code == 0, result.output
    tables = {t["name"] for t in json.loads(zipfile.ZipFile(dump).read("manifest.json"))["tables"]}
    assert "prepared_outputs" not in tables and "ratings" in tables
