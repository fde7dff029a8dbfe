"""The "being prepared" page in a real browser: with a worker on redis (rq mode), the organiser follows the report
link, sees the page (axe-checked, at 1280 and 390 px), and the download starts by itself once the worker built it."""
from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from delphi.extensions import db
from delphi.services.studies import rounds
from tests.browser.conftest import assert_accessible, login
from tests.jobs.conftest import redis_jobs, redis_session  # noqa: F401 — the real redis-server fixtures
from tests.jobs.test_worker import burst
from tests.study_helpers import ORGANISER, make_study, open_first_round, organiser, rate_all


def test_the_report_is_prepared_by_the_worker_while_the_page_shows_progress_then_downloads(
        app, page, redis_jobs):  # noqa: F811
    with app.app_context():
        study = make_study(n_experts=3, kinds=("domain",), title="Česko – Ελλάδα")
        rnd = open_first_round(study)
        rate_all(rnd)
        rounds.close(rnd, by=organiser())
        db.session.commit()
        study_id = study.id
    login(page, ORGANISER, "correct-horse-battery")
    page.goto(f"/organiser/studies/{study_id}/report")
    with page.expect_navigation():
        page.get_by_role("link", name="Download PDF").click()
    expect(page.get_by_role("heading", name="The Delphi report (PDF) is being prepared")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Waiting for a worker")
    expect(page.get_by_label("Progress")).to_be_visible()
    assert_accessible(page, "the being-prepared page")
    page.set_viewport_size({"width": 390, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    with page.expect_download(timeout=60_000) as download:
        burst(app)  # the worker builds the report; the page's next poll sees it ready and starts the download
    pdf = Path(download.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF")
    assert download.value.suggested_filename == f"delphi-report-study-{study_id}-česko-ελλάδα.pdf"
    expect(page.get_by_role("status")).to_contain_text("Ready")
