"""Heavy outputs off the request (issue 19): a study's report PDF and data package and an assessment's PDF are
built by a real RQ worker on a real redis-server, kept in the database, and served at once while their inputs
are unchanged; meanwhile the download answers "being prepared" with the worker's progress."""
from __future__ import annotations

import io
import zipfile
from datetime import timedelta

from sqlalchemy import func, select, update

from delphi.db import utcnow
from delphi.extensions import db
from delphi.jobs import tasks
from delphi.models import Decision, OutputStatus, PreparedOutput, Study
from delphi.services.studies import decisions
from tests.jobs.test_worker import burst
from tests.study_helpers import ORGANISER, closed_study, make_study, organiser
from tests.web.test_assessment_fixtures import add_member, fill, start

REPORT = "/organiser/studies/{}/report.pdf"
PACKAGE = "/organiser/studies/{}/data-package.zip"


def builds_queued(app) -> int:
    from redis import Redis
    from rq import Queue

    from delphi.jobs import queue

    jobs = Queue(queue.QUEUE_NAME, connection=Redis.from_url(app.config["JOBS_REDIS_URL"])).jobs
    return sum(1 for job in jobs if job.func_name == "delphi.jobs.tasks.prepare_output")


def rows(app) -> dict[str, PreparedOutput]:
    with app.app_context():
        found = db.session.scalars(select(PreparedOutput)).all()
        for row in found:
            db.session.expunge(row)
        return {row.kind: row for row in found}


def test_closing_a_round_queues_its_outputs_and_the_worker_builds_them_to_be_served_at_once(
        app, client, login_as, redis_jobs, monkeypatch):
    study_id = closed_study(app)
    assert {k: r.status for k, r in rows(app).items()} == {"study-report-pdf": OutputStatus.QUEUED,
                                                            "study-data-package": OutputStatus.QUEUED}
    assert builds_queued(app) == 2
    login_as(ORGANISER)
    waiting = client.get(REPORT.format(study_id))  # before the worker ran: the page says so, nothing is built here
    assert waiting.status_code == 202
    page = waiting.data.decode()
    assert "being prepared" in page and "<progress" in page and 'role="status"' in page and "Check again" in page
    assert "no-store" in waiting.headers["Cache-Control"]
    burst(app)
    assert {k: r.status for k, r in rows(app).items()} == {"study-report-pdf": OutputStatus.READY,
                                                            "study-data-package": OutputStatus.READY}
    # Served from the kept copy: nothing is rendered in the request any more.
    monkeypatch.setattr("delphi.services.release.pdf.render", lambda *a, **k: (_ for _ in ()).throw(
        AssertionError("rendered in the request")))
    pdf = client.get(REPORT.format(study_id))
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF") and pdf.mimetype == "application/pdf"
    assert 'filename="delphi-report-study-' in pdf.headers["Content-Disposition"]
    package = client.get(PACKAGE.format(study_id))
    assert package.status_code == 200 and "ratings.csv" in zipfile.ZipFile(io.BytesIO(package.data)).namelist()


def test_changed_inputs_are_prepared_again_with_progress_and_the_wait_ends_on_the_new_build(
        app, client, login_as, redis_jobs):
    study_id = closed_study(app)
    burst(app)
    login_as(ORGANISER)
    first = client.get(REPORT.format(study_id))
    assert first.status_code == 200
    with app.app_context():  # the organiser decides on an item: the report's decisions change
        study = db.session.get(Study, study_id)
        rnd = study.rounds[0]
        decisions.decide(rnd, rnd.round_items[0].item, Decision.DROP, by=organiser(), reason="Out of scope")
        db.session.commit()
    waiting = client.get(REPORT.format(study_id))
    assert waiting.status_code == 202
    poll = client.get(REPORT.format(study_id) + "?progress=1").get_json()
    assert poll["status"] == "queued" and poll["ready"] is False and poll["download"] is None
    assert poll["stage"] == "Waiting for a worker"
    burst(app)
    poll = client.get(REPORT.format(study_id) + "?progress=1").get_json()
    assert poll["ready"] is True and poll["progress"] == 100 and "built=" in poll["download"]
    second = client.get(poll["download"])
    assert second.status_code == 200 and second.data.startswith(b"%PDF") and second.data != first.data


def test_a_poll_never_queues_a_build_and_two_requests_queue_one(app, client, login_as, redis_jobs):
    with app.app_context():
        study_id = make_study(n_experts=2, kinds=("domain",)).id
        db.session.commit()
    login_as(ORGANISER)
    assert client.get(REPORT.format(study_id) + "?progress=1").get_json()["status"] == "missing"
    assert builds_queued(app) == 0
    assert client.get(REPORT.format(study_id)).status_code == 202
    assert client.get(REPORT.format(study_id)).status_code == 202  # another click, or another app server
    assert builds_queued(app) == 1


def test_a_build_whose_worker_died_is_taken_up_again_by_the_sweep(app, client, login_as, redis_jobs):
    study_id = closed_study(app)
    with app.app_context():  # a worker claimed both and was killed: its lease has run out
        db.session.execute(update(PreparedOutput).values(status=OutputStatus.BUILDING, stage="Laying out the pages",
                                                         progress=20, started_at=utcnow() - timedelta(hours=1),
                                                         lease_until=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    from redis import Redis

    Redis.from_url(app.config["JOBS_REDIS_URL"]).flushdb()  # and its jobs are gone with it
    with app.app_context():
        assert sorted(tasks.prepare_outputs()) == sorted(r.id for r in rows(app).values())
    burst(app)
    assert {r.status for r in rows(app).values()} == {OutputStatus.READY}
    login_as(ORGANISER)
    assert client.get(REPORT.format(study_id)).status_code == 200


def test_with_redis_down_the_download_waits_and_the_sweep_builds_it_once_redis_is_back(
        app, client, login_as, redis_jobs, monkeypatch):
    with app.app_context():
        study_id = make_study(n_experts=2, kinds=("domain",)).id
        db.session.commit()
    login_as(ORGANISER)
    good = app.config["JOBS_REDIS_URL"]
    monkeypatch.setitem(app.config, "JOBS_REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens there
    app.extensions.pop("delphi_jobs_redis", None)
    waiting = client.get(REPORT.format(study_id))
    assert waiting.status_code == 202 and "being prepared" in waiting.data.decode()
    monkeypatch.setitem(app.config, "JOBS_REDIS_URL", good)
    app.extensions.pop("delphi_jobs_redis", None)
    assert builds_queued(app) == 0
    with app.app_context():
        db.session.execute(update(PreparedOutput).values(requested_at=utcnow() - timedelta(minutes=5)))
        db.session.commit()
        assert len(tasks.prepare_outputs()) == 1
    burst(app)
    assert client.get(REPORT.format(study_id)).status_code == 200


def test_a_failed_build_says_why_and_a_new_click_asks_again(app, client, login_as, redis_jobs, monkeypatch):
    study_id = closed_study(app)
    monkeypatch.setattr("delphi.services.release.pdf.render",
                        lambda *a, **k: (_ for _ in ()).throw(RuntimeError("the fonts are missing")))
    burst(app)
    login_as(ORGANISER)
    poll = client.get(REPORT.format(study_id) + "?progress=1").get_json()
    assert poll["status"] == "failed" and "the fonts are missing" in poll["error"]
    assert builds_queued(app) == 0
    monkeypatch.undo()
    monkeypatch.setitem(app.config, "JOBS_MODE", "rq")
    monkeypatch.setitem(app.config, "JOBS_REDIS_URL", redis_jobs.url)
    again = client.get(REPORT.format(study_id))
    assert again.status_code == 202 and "Check again" in again.data.decode()
    burst(app)
    assert client.get(REPORT.format(study_id)).status_code == 200


def test_finalising_an_assessment_prepares_its_pdf_for_the_team(app, client, login_as, redis_jobs):
    add_member(app, "Portugal", "lead@pt.example", "lead")
    aid = start(app, "Portugal", "lead@pt.example")
    fill(app, aid, "lead@pt.example")
    login_as("lead@pt.example")
    from tests.conftest import csrf_token

    token = csrf_token(client, f"/assessor/assessments/{aid}")
    client.post(f"/assessor/assessments/{aid}/finalise", data={"csrf_token": token})
    assert rows(app)["assessment-pdf"].status == OutputStatus.QUEUED
    burst(app)
    pdf = client.get(f"/assessor/assessments/{aid}/export.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert pdf.headers["Content-Disposition"].startswith("attachment")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PreparedOutput)) == 1


def test_a_build_no_worker_takes_says_so_after_two_minutes(app, client, login_as, redis_jobs):
    with app.app_context():
        study_id = make_study(n_experts=2, kinds=("domain",)).id
        db.session.commit()
    login_as(ORGANISER)
    assert client.get(REPORT.format(study_id)).status_code == 202
    with app.app_context():
        db.session.execute(update(PreparedOutput).values(requested_at=utcnow() - timedelta(minutes=3)))
        db.session.commit()
    stage = client.get(REPORT.format(study_id) + "?progress=1").get_json()["stage"]
    assert stage.startswith("Still waiting for a worker after 3 minutes") and "make worker" in stage
