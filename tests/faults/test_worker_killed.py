"""A gunicorn worker killed in the middle of a request leaves nothing of that request in the database."""
from __future__ import annotations

import os
import signal
import threading

from sqlalchemy import func, select

from delphi.extensions import db
from delphi.models import Participation, Rating
from tests.faults.conftest import csrf, radio_items
from tests.study_helpers import make_study, open_first_round


def test_worker_killed_between_two_writes_of_one_save_leaves_no_partial_write(app, serve):
    with app.app_context():
        study = make_study(n_experts=2, kinds=("domain", "subdomain", "indicator"))
        rnd = open_first_round(study)
        db.session.commit()
        round_id, domain = rnd.id, rnd.round_items[0].item.domain_code
    server = serve()
    expert = server.session()
    expert.log_in("expert1@example.org")
    page = expert.page(f"/expert/rounds/{round_id}/domains/{domain}")
    items = radio_items(page)
    assert len(items) >= 3, "the page must save several rows in one transaction"
    form = {"csrf_token": csrf(page), **{f"r-{item}-agreement": "2" for item in items}}

    outcome: dict = {}

    def save_page() -> None:  # the no-JavaScript Save button: every answer of the page in one transaction
        try:
            outcome["response"] = expert.post_form(f"/expert/rounds/{round_id}/domains/{domain}", form,
                                                   headers={"X-Test-Pause-After-Insert": "ratings:2"})
        except OSError as exc:  # the worker died: the connection closes without a response
            outcome["error"] = exc

    saving = threading.Thread(target=save_page)
    saving.start()
    worker = server.wait_paused()  # two rating rows written, transaction open
    os.kill(worker, signal.SIGKILL)
    saving.join(20)
    assert not saving.is_alive()
    assert "response" not in outcome or outcome["response"][0] >= 500, outcome

    with app.app_context():
        assert db.session.scalar(select(func.count(Rating.id))) == 0
        assert db.session.scalar(select(func.count(Participation.id))) == 0
        db.session.remove()

    # gunicorn replaces the worker; the same save then goes through whole.
    server.reset()
    server.wait_healthy()
    status, head, _ = expert.post_form(f"/expert/rounds/{round_id}/domains/{domain}", form)
    assert status == 302, status
    with app.app_context():
        assert db.session.scalar(select(func.count(Rating.id))) == len(items)
        db.session.remove()
