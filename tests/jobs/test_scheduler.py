"""Scheduled work without redis: the schedule's periods, and the in-process runner `make run` uses."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from delphi.db import utcnow
from delphi.extensions import db
from delphi.jobs import scheduler
from delphi.models import Round, RoundStatus, Token, TokenPurpose
from delphi.services.accounts import users
from tests.study_helpers import make_study, open_first_round


def test_a_round_closes_within_a_minute_of_its_deadline_and_each_job_runs_once_per_period(app):
    assert app.config["JOBS_CLOSE_ROUNDS_SECONDS"] + app.config["JOBS_TICK_SECONDS"] <= 60
    last: dict[str, int] = {}
    assert sorted(scheduler.due(app, 1_000_000.0, last)) == sorted(p.task for p in scheduler.SCHEDULE)
    assert scheduler.due(app, 1_000_001.0, last) == []
    # 30 s later: a new 30 s period, and (1,000,030 s past the epoch) a new minute for the outputs' sweep too.
    assert scheduler.due(app, 1_000_000.0 + app.config["JOBS_CLOSE_ROUNDS_SECONDS"], last) == [
        "deliver_mail", "close_due_rounds", "prepare_outputs"]
    assert scheduler.due(app, 1_000_000.0 + 60, last) == ["deliver_mail", "close_due_rounds"]


def test_in_development_the_scheduler_runs_the_jobs_in_process(app):
    with app.app_context():
        rnd = open_first_round(make_study(n_experts=2))
        user = users.create_user("old@example.org", "Old", None)
        db.session.add(Token(user_id=user.id, purpose=TokenPurpose.INVITATION, token_hash="0" * 64,
                             expires_at=utcnow() - timedelta(days=40)))
        db.session.commit()
        db.session.execute(update(Round).where(Round.id == rnd.id).values(deadline=utcnow() - timedelta(seconds=1)))
        db.session.commit()
        round_id = rnd.id
    scheduler.run_inline(app, ["close_due_rounds", "send_reminders", "expire_tokens", "deliver_mail",
                               "publish_benchmarks"])
    with app.app_context():
        assert db.session.get(Round, round_id).status == RoundStatus.CLOSED
        assert db.session.scalar(select(func.count(Token.id)).where(Token.token_hash == "0" * 64)) == 0


def test_the_scheduler_thread_starts_once_in_development_only(app, client, monkeypatch):
    started = []
    monkeypatch.setattr(scheduler, "start_thread", lambda a, **k: started.append(a) or object())
    monkeypatch.delitem(app.extensions, "delphi_jobs_thread", raising=False)
    client.get("/healthz")
    assert started == []  # TestConfig: no thread
    monkeypatch.setitem(app.config, "JOBS_SCHEDULER_THREAD", True)
    client.get("/healthz")
    client.get("/healthz")
    assert len(started) == 1
    app.extensions.pop("delphi_jobs_thread", None)
