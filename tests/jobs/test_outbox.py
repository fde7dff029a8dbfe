"""The outbox: mail is written with the action that causes it, delivered after the commit, retried with backoff,
marked sent or failed with the reason, and never sent twice — against a real SMTP server (aiosmtpd)."""
from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select

from delphi.db import utcnow
from delphi.extensions import db
from delphi.models import OutboxMessage, OutboxStatus
from delphi.services.accounts import mail, outbox
from delphi.services.studies import panel
from tests.conftest import csrf_from, outbox as file_outbox
from tests.study_helpers import ORGANISER, make_study, organiser


def invite_panel(n: int) -> int:
    study = make_study(n_experts=n)
    panel.invite(study, list(study.panelists), by=organiser())
    db.session.commit()
    return study.id


def statuses() -> dict[str, int]:
    return outbox.counts()


def test_a_message_is_queued_in_the_transaction_and_a_rollback_sends_nothing(app, ctx):
    mail.send("ann@example.org", "Hello", "Not this one.")
    db.session.rollback()
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0
    assert file_outbox(app) == []
    mail.send("ann@example.org", "Hello", "This one.")
    db.session.commit()
    row = db.session.scalars(select(OutboxMessage)).one()
    assert row.status == OutboxStatus.SENT and row.body is None and row.attempts == 1  # the body (links) is gone
    sent = file_outbox(app)
    assert [m["To"] for m in sent] == ["ann@example.org"]
    assert sent[0]["Message-ID"] == f"<{row.idempotency_key}@delphi.local>"


def test_smtp_down_then_up_messages_wait_then_go_none_lost_none_doubled(app, ctx, smtp_sink):
    smtp_sink.stop()  # the mail server is down when the panel is invited
    study_id = invite_panel(6)
    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.study_id == study_id)).all()
    assert len(rows) == 6
    assert all(r.status == OutboxStatus.QUEUED and r.attempts == 1 and r.last_error for r in rows)
    assert all(r.next_attempt_at > utcnow() + timedelta(seconds=50) for r in rows)  # backoff: not before a minute
    assert outbox.deliver_due().sent == 0  # not due yet
    smtp_sink.start()
    later = utcnow() + timedelta(minutes=2)
    assert outbox.deliver_due(now=later).sent == 6
    assert outbox.deliver_due(now=later + timedelta(hours=1)).sent == 0
    db.session.expire_all()
    keys = {f"<{r.idempotency_key}@delphi.local>" for r in
            db.session.scalars(select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.SENT))}
    assert len(smtp_sink.messages) == 6 and set(smtp_sink.handler.message_ids()) == keys
    assert statuses() == {"queued": 0, "sending": 0, "sent": 6, "failed": 0}


def test_backoff_doubles_up_to_the_cap_and_gives_up_after_the_last_attempt(app, ctx, smtp_sink, monkeypatch):
    monkeypatch.setitem(app.config, "OUTBOX_MAX_ATTEMPTS", 3)
    assert [outbox.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [60, 120, 240, 480]
    assert outbox.backoff(30) == timedelta(seconds=app.config["OUTBOX_BACKOFF_MAX_SECONDS"])
    smtp_sink.stop()
    mail.send("ann@example.org", "Hello", "body")
    db.session.commit()
    for hours in (1, 2):
        outbox.deliver_due(now=utcnow() + timedelta(hours=hours))
    row = db.session.scalars(select(OutboxMessage)).one()
    db.session.refresh(row)
    assert row.status == OutboxStatus.FAILED and row.attempts == 3 and "Connection" in row.last_error


def test_a_refused_recipient_fails_at_once_with_the_reason_and_the_organiser_retries_it(app, client, login_as,
                                                                                      smtp_sink):
    with app.app_context():
        study = make_study(n_experts=2)
        panel.add(study, "refuse-me@example.org", "Refused", by=organiser())
        panel.invite(study, list(study.panelists), by=organiser())
        db.session.commit()
        study_id = study.id
        assert statuses()["failed"] == 1 and statuses()["sent"] == 2
    assert len(smtp_sink.messages) == 2
    login_as(ORGANISER)
    page = client.get(f"/organiser/studies/{study_id}/panel").data.decode()
    assert "1 failed" in page and "PermanentFailure" in page and "550" in page and "Try again" in page
    smtp_sink.handler.handle_RCPT = _accept_all  # the address was fixed at the receiving end
    response = client.post(f"/organiser/studies/{study_id}/panel/mail/retry", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 302
    with app.app_context():
        assert statuses() == {"queued": 0, "sending": 0, "sent": 3, "failed": 0}
    assert sorted(str(m["To"]) for m in smtp_sink.messages) == [
        "expert1@example.org", "expert2@example.org", "refuse-me@example.org"]
    page = client.get(f"/organiser/studies/{study_id}/panel").data.decode()
    assert "3 sent" in page and "Try again" not in page


async def _accept_all(server, session, envelope, address, rcpt_options):
    envelope.rcpt_tos.append(address)
    return "250 OK"


def test_a_dead_workers_claim_expires_and_its_message_goes_exactly_once(app, ctx, smtp_sink, monkeypatch):
    monkeypatch.setitem(app.config, "JOBS_MODE", "rq")  # nothing delivers at commit (no redis: queued, logged)
    monkeypatch.setitem(app.config, "JOBS_REDIS_URL", "redis://127.0.0.1:1/0")
    for i in range(3):
        mail.send(f"p{i}@example.org", "Hello", "body")
    db.session.commit()
    token, rows = outbox.claim(2)  # a worker takes two, then dies before sending
    assert len(rows) == 2
    assert outbox.deliver_due().sent == 1  # the third; the first two stay claimed by the dead worker
    assert outbox.deliver_due(now=utcnow() + timedelta(seconds=30)).sent == 0  # within the lease: not taken
    assert outbox.deliver_due(now=utcnow() + timedelta(seconds=app.config["OUTBOX_LEASE_SECONDS"] + 1)).sent == 2
    assert sorted(str(m["To"]) for m in smtp_sink.messages) == ["p0@example.org", "p1@example.org", "p2@example.org"]


def test_four_workers_at_once_send_each_message_once(app, ctx, smtp_sink, monkeypatch):
    monkeypatch.setitem(app.config, "JOBS_MODE", "rq")
    monkeypatch.setitem(app.config, "JOBS_REDIS_URL", "redis://127.0.0.1:1/0")
    for i in range(40):
        mail.send(f"p{i:02d}@example.org", f"Hello {i}", "body")
    db.session.commit()
    results = []

    def work():
        with app.app_context():
            results.append(outbox.deliver_due(batch=5).sent)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(results) == 40
    ids = smtp_sink.handler.message_ids()
    assert len(ids) == 40 and len(set(ids)) == 40


def test_inviting_with_the_file_backend_writes_the_links_at_commit_as_before(app, ctx):
    invite_panel(3)
    assert sorted(str(m["To"]) for m in file_outbox(app)) == [f"expert{i}@example.org" for i in (1, 2, 3)]
    assert statuses()["sent"] == 3


def test_an_organiser_cannot_retry_another_studys_message(app, client, login_as, smtp_sink):
    with app.app_context():
        mine = make_study(n_experts=1, title="Mine")
        other = make_study(n_experts=1, title="Other")
        panel.add(other, "refuse-other@example.org", "Refused", by=organiser())
        panel.invite(other, list(other.panelists), by=organiser())
        db.session.commit()
        failed = db.session.scalars(select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.FAILED)).one()
        mine_id, failed_id = mine.id, failed.id
    login_as(ORGANISER)
    page = client.get(f"/organiser/studies/{mine_id}/panel").data
    response = client.post(f"/organiser/studies/{mine_id}/panel/mail/retry",
                           data={"csrf_token": csrf_from(page), "message_id": failed_id})
    assert response.status_code == 404
    with app.app_context():
        assert db.session.get(OutboxMessage, failed_id).status == OutboxStatus.FAILED
