"""On a 390 px phone, with a title in three scripts: the organiser's study, round and dashboard pages, the
expert's rating page and an assessment's exports — each page checked by axe-core, no page wider than the screen."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, login
from tests.browser.test_between_rounds_browser import _rate_everything, _study
from tests.conftest import PASSWORD
from tests.web.test_assessment_fixtures import add_member, start

pytestmark = pytest.mark.browser
TITLE = "Česko – Ελλάδα – Україна"


def _fits(page, where: str) -> None:
    overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    widest = page.evaluate("""() => [...document.querySelectorAll('main *')]
        .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1
                     && !(e.parentElement && e.parentElement.closest('table')))
        .slice(0, 4).map(e => e.tagName + '.' + e.className + '#' + e.id + ':' + Math.round(e.getBoundingClientRect().right))""")
    assert overflow <= 1, f"{where} is {overflow}px wider than a 390px screen: {widest}"


def test_a_study_and_an_assessment_in_three_scripts_on_a_phone(browser, app, live_server):
    from delphi.extensions import db
    from delphi.models import Study

    study_id = _study(app)
    with app.app_context():
        db.session.get(Study, study_id).title = TITLE
        db.session.commit()
    context = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(20_000)
    login(page, "olga@example.org", PASSWORD)
    page.goto(f"/organiser/studies/{study_id}")
    expect(page.get_by_role("heading", name=TITLE)).to_be_visible()
    page.get_by_role("button", name="Open round").click()
    expect(page.get_by_text(re.compile("Round 1 is open"))).to_be_visible()
    assert_accessible(page, "study page on a phone")
    _fits(page, "the study page")

    _rate_everything(app, study_id)
    page.goto(f"/organiser/studies/{study_id}")
    page.get_by_role("link", name="Close round 1 now…").click()
    page.get_by_role("button", name="Close round 1").click()
    expect(page.get_by_text("Round 1 closed; results computed.")).to_be_visible()
    assert_accessible(page, "consensus dashboard on a phone")
    _fits(page, "the consensus dashboard")
    page.goto(f"/organiser/studies/{study_id}/panel")
    assert_accessible(page, "panel page on a phone")

    with page.expect_download(timeout=60_000) as download:
        page.goto(f"/organiser/studies/{study_id}")
        page.locator(f"a[href='/organiser/studies/{study_id}/data-package.zip']").first.click()
    assert download.value.suggested_filename == f"delphi-study-{study_id}-data-česko-ελλάδα-україна.zip"
    page.get_by_role("button", name="Log out").click()

    with app.app_context():  # the expert joined by invitation, without a password; give one to log in here
        from delphi.services.accounts import users

        users.set_password(users.find_by_email("expert1@example.org"), PASSWORD)
        db.session.commit()
    login(page, "expert1@example.org", PASSWORD)
    page.goto("/expert/")
    expect(page.get_by_role("heading", name=TITLE)).to_be_visible()
    assert_accessible(page, "expert home on a phone")
    _fits(page, "the expert home")

    add_member(app, "Україна", "lead@ua.example", role="lead")
    aid = start(app, "Україна", "lead@ua.example", title=TITLE)
    page.get_by_role("button", name="Log out").click()
    login(page, "lead@ua.example", PASSWORD)
    page.goto(f"/assessor/assessments/{aid}")
    for fmt in ("json", "xlsx", "pdf"):
        with page.expect_download(timeout=60_000) as download:
            page.evaluate(f"() => {{ const a = document.createElement('a'); a.href = '/assessor/assessments/{aid}"
                          f"/export.{fmt}'; document.body.appendChild(a); a.click(); }}")
        assert download.value.suggested_filename == f"assessment-{aid}-česko-ελλάδα-україна.{fmt}"
    context.close()


def test_every_assessor_page_reflows_at_320_px(browser, app, live_server):
    """WCAG 1.4.10: at 320 CSS px (1280 px zoomed to 400 %) no assessor page scrolls sideways; wide tables scroll
    inside themselves. A visually hidden cell inside such a table once widened the whole overview page."""
    from tests.web.test_assessment_fixtures import fill

    add_member(app, "Portugal", "lead@pt.example", "lead")
    aid = start(app, "Portugal", "lead@pt.example", title=TITLE)
    fill(app, aid, "lead@pt.example", only=10)
    context = browser.new_context(base_url=live_server, viewport={"width": 320, "height": 720})
    page = context.new_page()
    page.set_default_timeout(20_000)
    login(page, "lead@pt.example", PASSWORD)
    for path in ("", "/domains/1", "/domains/2", "/results", "/actions", "/benchmark", "/settings"):
        page.goto(f"/assessor/assessments/{aid}{path}")
        _fits(page, f"the assessment page '{path or 'overview'}' at 320 px")
        assert_accessible(page, f"assessment {path or 'overview'} at 320 px")
    context.close()
