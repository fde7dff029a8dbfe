"""The job system for real: an RQ worker on a real redis-server delivers the outbox to a real SMTP server; the
scheduler queues each periodic job once; with redis down the site keeps working and no mail is lost."""
from __future__ import annotations

import time
from datetime import timedelta

from redis import Redis
from rq import Queue
from sqlalchemy import select, update

from delphi.db import utcnow
from delphi.extensions import db
from delphi.jobs import queue, scheduler, worker
from delphi.models import OutboxMessage, Round, RoundStatus
from delphi.services.accounts import outbox
from tests.conftest import PASSWORD, csrf_from
from tests.jobs.conftest import RedisServer, free_port, redis_binary
from tests.study_helpers import ORGANISER, make_study, open_first_round


def burst(app) -> None:
    with app.app_context():
        worker.run(app, burst=True)


def queued_jobs(app) -> int:
    return len(Queue(queue.QUEUE_NAME, connection=Redis.from_url(app.config["JOBS_REDIS_URL"])))


def test_an_invitation_request_queues_jobs_and_the_worker_delivers_them_through_smtp(app, client, login_as,
                                                                                    redis_jobs, smtp_sink):
    with app.app_context():
        study_id = make_study(n_experts=5).id
        db.session.commit()
    login_as(ORGANISER)
    page = client.get(f"/organiser/studies/{study_id}/panel")
    response = client.post(f"/organiser/studies/{study_id}/panel/invite", data={"csrf_token": csrf_from(page.data)})
    assert response.status_code == 302
    assert smtp_sink.messages == [] and queued_jobs(app) == 1  # one delivery job for the five
    with app.app_context():
        assert outbox.counts(study_id)["queued"] == 5
    burst(app)
    with app.app_context():
        assert outbox.counts(study_id) == {"queued": 0, "sending": 0, "sent": 5, "failed": 0}
    assert sorted(str(m["To"]) for m in smtp_sink.messages) == [f"expert{i}@example.org" for i in range(1, 6)]
    assert "5 sent" in client.get(f"/organiser/studies/{study_id}/panel").data.decode()


def test_with_redis_down_rating_and_pages_keep_working_and_the_mail_goes_once_redis_is_back(
        app, client, login_as, smtp_sink, monkeypatch):
    server = RedisServer(redis_binary(), port=free_port())  # not started yet: redis is down
    monkeypatch.setitem(app.config, "JOBS_MODE", "rq")
    monkeypatch.setitem(app.config, "JOBS_REDIS_URL", server.url)
    with app.app_context():
        study = make_study(n_experts=3)
        rnd = open_first_round(study)  # the round-open mail to three experts: queued, redis unreachable
        db.session.commit()
        round_id, item = rnd.id, rnd.round_items[0].item_id
        study_id = study.id
    login_as("expert1@example.org", PASSWORD)
    page = client.get(f"/expert/rounds/{round_id}", follow_redirects=True)
    assert page.status_code == 200
    saved = client.post(f"/expert/rounds/{round_id}/autosave", json={"item": item, "question": "agreement",
                                                                    "value": 3},
                        headers={"X-CSRFToken": csrf_from(page.data)})
    assert saved.status_code == 200 and saved.json == {"ok": True}, saved.data
    client.post("/auth/logout", data={"csrf_token": csrf_from(page.data)})
    login_as(ORGANISER)
    panel_page = client.get(f"/organiser/studies/{study_id}/panel")
    assert panel_page.status_code == 200 and "3 waiting" in panel_page.data.decode()
    with app.app_context():
        assert outbox.counts(study_id)["queued"] == 3
    assert smtp_sink.messages == []
    server.start()  # redis is back: the scheduler's sweep queues the delivery, the worker sends
    try:
        with app.app_context():
            assert "deliver_mail" in scheduler.tick_rq(app, time.time(), {})
        burst(app)
    finally:
        server.stop()
    with app.app_context():
        assert outbox.counts(study_id) == {"queued": 0, "sending": 0, "sent": 3, "failed": 0}
    ids = [str(m["Message-ID"]) for m in smtp_sink.messages]
    assert len(ids) == 3 and len(set(ids)) == 3


def test_several_schedulers_queue_each_periodic_job_once_per_period(app, redis_jobs):
    # One second into a UTC day: every period (30 s … a day) divides a day, so `now` and `now + 1` share every
    # period. A moment taken from the clock could straddle a 30 s boundary, where a second queueing is right.
    now = (time.time() // 86400) * 86400 + 1
    with app.app_context():
        first = scheduler.tick_rq(app, now, {})
        second = scheduler.tick_rq(app, now, {})  # another worker machine's scheduler, same moment
        again = scheduler.tick_rq(app, now + 1, {"deliver_mail": int((now + 1) // 30)})
    assert sorted(first) == sorted(p.task for p in scheduler.SCHEDULE)
    assert second == [] and again == []
    assert queued_jobs(app) == len(scheduler.SCHEDULE)


def test_a_round_past_its_deadline_is_closed_by_the_scheduled_job_and_its_experts_are_not_mailed_twice(
        app, redis_jobs, smtp_sink):
    with app.app_context():
        rnd = open_first_round(make_study(n_experts=2))
        db.session.commit()
        round_id = rnd.id
        db.session.execute(update(Round).where(Round.id == round_id).values(deadline=utcnow() - timedelta(seconds=5)))
        db.session.commit()
        scheduler.tick_rq(app, time.time(), {})
    burst(app)  # close_due_rounds, deliver_mail (round-open mail), reminders, benchmarks, token expiry
    burst(app)
    with app.app_context():
        assert db.session.get(Round, round_id).status == RoundStatus.CLOSED
        sent = db.session.scalars(select(OutboxMessage.status)).all()
    assert len(smtp_sink.messages) == 2 == len(sent)


def test_the_worker_command_needs_redis(app, runner, monkeypatch):
    monkeypatch.setitem(app.config, "JOBS_REDIS_URL", None)
    result = runner.invoke(args=["delphi", "worker", "--burst"])
    assert result.exit_code != 0 and "JOBS_REDIS_URL" in result.output
