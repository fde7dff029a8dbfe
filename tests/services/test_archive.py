"""Archived studies through the services: the demo's MLM round 1 rebuilt from its published agreement, and what an
archived study refuses (a round, a panelist, an invitation, a rating by either write path)."""
from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from delphi.db import utcnow
from delphi.extensions import db
from delphi.models import Rating, Round, Study
from delphi.services.frameworks import versions
from delphi.services.operations import mlm_archive
from delphi.services.release import data_package, report
from delphi.services.studies import archive, archive_input, autosave, design, panel, ratings, results, rounds
from delphi.services.studies.round_lock import RoundNotOpen
from tests.study_helpers import organiser

SHARED = Path("/work/shared/mlm/round1-agreement.json")
RECONSTRUCTED = "Reconstructed from published percentages, not real ratings"


@pytest.fixture
def demo(app):
    with app.app_context():
        study = mlm_archive.seed(organiser(), versions.ensure_shipped())
        db.session.commit()
        yield db.session.get(Study, study.id)


def test_the_shipped_agreement_is_the_published_file():
    if SHARED.exists():
        assert mlm_archive.published() == json.loads(SHARED.read_text(encoding="utf-8"))
    assert len(mlm_archive.published()) == 49


def test_the_reconstructed_round_1_has_the_published_agreement_of_every_indicator(demo):
    published = {e["code"]: e["round1_percent_agreement"] for e in mlm_archive.published()}
    (rnd,) = demo.rounds
    rows = results.item_rows(rnd)
    assert set(rows) == set(published)
    for code, percent in published.items():
        row = rows[code]["agreement"]
        assert round(100 * row["agree_pct"]) == percent, code
        assert row["n"] + row["n_abstain"] == 14 and row["n"] >= 12, code
    assert results.respondents(rnd)["count"] == 14 and len(demo.panelists) == 14


def test_the_reconstruction_is_deterministic_and_seeding_twice_adds_nothing(demo):
    assert mlm_archive.ratings().equals(mlm_archive.ratings())
    again = mlm_archive.seed(organiser(), versions.ensure_shipped())
    assert again.id == demo.id
    assert db.session.scalar(select(func.count(Study.id)).where(Study.archive.is_not(None))) == 1


def test_the_demo_is_labelled_reconstructed_in_the_report_and_the_package(demo):
    assert RECONSTRUCTED in demo.archive_label and "not run on this platform" in demo.archive_label
    assert demo.base_version_id == versions.ensure_shipped().id  # the release diff is against the MLM 2022
    built = report.build(demo)
    assert built["study"].archive_label == demo.archive_label
    package = data_package.build(demo)
    with zipfile.ZipFile(io.BytesIO(package)) as z:
        assert RECONSTRUCTED in z.read("README.md").decode()


def test_an_archived_study_refuses_a_round_panelists_invitations_and_ratings(demo):
    org = organiser()
    with pytest.raises(design.StudyArchived):
        rounds.open_round(demo, utcnow() + timedelta(days=7), by=org)
    with pytest.raises(design.StudyArchived):
        panel.add(demo, "new@example.org", "New Expert", by=org)
    with pytest.raises(design.StudyArchived):
        panel.invite(demo, list(demo.panelists), by=org)
    for change in (lambda p: panel.edit(p, by=org, stakeholder_group="x"), lambda p: panel.withdraw(p, "", by=org)):
        with pytest.raises(design.StudyArchived):
            change(demo.panelists[0])
    db.session.rollback()
    rnd = db.session.get(Round, demo.rounds[0].id)
    p = rnd.study.panelists[0]
    item_id = rnd.round_items[0].item_id
    before = db.session.scalar(select(func.count(Rating.id)))
    with pytest.raises(RoundNotOpen):
        ratings.save(rnd, p, item_id, ratings={"agreement": 1})
    db.session.rollback()
    with pytest.raises(autosave.DomainError):
        autosave.save_answer(p.user_id, p.user.session_version, rnd.id, item_id, question="agreement", value=1)
    assert db.session.scalar(select(func.count(Rating.id))) == before
    assert not p.user.active and p.user.password_hash is None and p.user.email.endswith(".invalid")


def test_a_plan_with_refusals_is_not_stored(ctx):
    plan = archive_input.read([archive_input.Upload("r.csv", b"round,item,panelist,rating\n1,A,p1,6\n")],
                              archive_input.Upload("items.csv", b"code,text\nA,An item\n"),
                              archive_input.Settings(points=5))
    assert plan.refused == ["r.csv: line 2: rating 6 is outside the scale 1-5"] and not plan.ok
    with pytest.raises(archive.InvalidInput):
        archive.store(plan, "Refused", by=organiser())
    assert db.session.scalar(select(func.count(Study.id))) == 0


def test_item_texts_may_be_a_framework_file_or_a_workbook(ctx, tmp_path):
    import openpyxl

    ratings_csv = archive_input.Upload("r.csv", b"round,item,panelist,rating\n" + b"".join(
        f"1,{code},p{p},{3 if p % 3 else 1}\n".encode() for code in ("I.1.1", "II.3.2") for p in range(1, 8)))
    shipped = Path(__file__).resolve().parents[2] / "framework" / "data" / "1plusmg-mlm.json"
    plan = archive_input.read([ratings_csv], archive_input.Upload("mlm.json", shipped.read_bytes()),
                              archive_input.Settings(points=3))
    assert plan.ok, plan.refused
    study = archive.store(plan, "MLM elsewhere", by=organiser())
    assert [ri.wording["label"] for ri in study.rounds[0].round_items] == ["Indicator I.1.1", "Indicator II.3.2"]
    book = openpyxl.Workbook()
    book.active.append(["Item code", "Wording"])
    book.active.append(["Q1", "Shared data"])
    path = tmp_path / "items.xlsx"
    book.save(path)
    plan = archive_input.read([archive_input.Upload("r.csv", b"round,item,panelist,rating\n1,Q1,a,5\n1,Q1,b,4\n")],
                              archive_input.Upload("items.xlsx", path.read_bytes()), archive_input.Settings())
    assert plan.ok, plan.refused
    assert plan.doc.find("Q1").statement == "Shared data"
