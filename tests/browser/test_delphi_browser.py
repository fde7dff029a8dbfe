"""A two-round Delphi on the 1+MG MLM draft, clicked through in real Chromium."""
from __future__ import annotations

import re

import pytest

from tests.browser.conftest import login
from tests.conftest import PASSWORD, outbox

pytestmark = pytest.mark.browser

EXPERTS = [(f"panel{i}@example.org", f"Panel Expert {i}") for i in range(1, 6)]


def _logout(page):
    page.get_by_role("button", name="Log out").click()
    page.wait_for_load_state()


def _rate_round(page, number: int, choice_for_domain) -> None:
    """On the expert's round pages, rate every domain item with the label choice_for_domain(code) gives."""
    page.get_by_role("link", name=re.compile("Start rating|Continue rating|Review")).first.click()
    page.wait_for_load_state()
    while True:
        for article in page.locator("article.rating-item").all():
            label = choice_for_domain(article.locator("h3").inner_text())
            article.get_by_label(label, exact=False).first.check()
            article.locator(".save-status").filter(has_text="Saved").wait_for()
        nxt = page.get_by_role("button", name=re.compile("Save and go to domain"))
        if nxt.count() == 0:
            break
        nxt.click()
        page.wait_for_load_state()
    page.get_by_role("button", name=f"Submit round {number}").click()
    page.wait_for_load_state()
    assert page.get_by_text(f"Round {number} submitted").is_visible()


def test_two_round_delphi_on_the_mlm_draft(page, app, live_server):
    from delphi.extensions import db
    from delphi.services.frameworks import versions
    from tests.study_helpers import organiser

    with app.app_context():
        organiser()
        versions.ensure_shipped()
        db.session.commit()

    # The organiser creates the study and sets up the protocol: rate the eight domains.
    login(page, "olga@example.org", PASSWORD)
    page.get_by_label("Title").fill("MLM domains Delphi")
    page.get_by_role("button", name="Create study").click()
    page.get_by_role("link", name="Edit the protocol").click()
    for label in ("Subdomains", "Indicators", "Each indicator's set of five levels (one item)"):
        page.get_by_label(label, exact=True).uncheck()
    page.get_by_label("Domains", exact=True).check()
    page.get_by_role("button", name="Save protocol").click()
    assert page.get_by_text("Protocol saved").is_visible()

    # Five experts on the panel, invited by e-mail.
    page.get_by_role("link", name="Manage the panel").click()
    for email, name in EXPERTS:
        page.get_by_label("E-mail", exact=True).fill(email)
        page.get_by_label("Name", exact=True).fill(name)
        page.get_by_label("Stakeholder group").fill("clinician")
        page.get_by_role("button", name="Add to panel").click()
    page.get_by_role("button", name="Send invitations to everyone not yet invited").click()
    assert page.get_by_text("5 invitation(s) sent").is_visible()
    page.get_by_role("link", name=re.compile("MLM domains Delphi")).click()
    page.get_by_role("button", name="Open round").click()
    assert page.get_by_text(re.compile("Round 1 is open with 8 items")).is_visible()
    _logout(page)

    links = {m["To"]: re.search(r"http://\S+/auth/invite/\S+", m.get_content()).group(0) for m in outbox(app)}
    # Round 1: four experts agree with everything; E05 disagrees with domains I and II and says why.
    for i, (email, name) in enumerate(EXPERTS):
        page.goto(links[email].replace("http://127.0.0.1:5000", live_server))
        page.get_by_role("button", name="Accept and continue").click()
        page.get_by_label("I have read this and agree to take part").check()
        page.get_by_role("button", name="Accept and continue").click()
        page.goto("/expert/")

        def choice(heading, dissent=(i == 4)):
            return "1 · Disagree" if dissent and heading in ("Domain I", "Domain II") else "3 · Agree"

        if i == 4:
            page.goto("/expert/")
            page.get_by_role("link", name="Start rating").click()
            page.locator("textarea[id^=c-]").first.fill("Governance and strategy should be split.")
            page.locator("textarea[id^=c-]").first.blur()
            page.goto("/expert/")
        _rate_round(page, 1, choice)
        _logout(page)

    # The organiser closes round 1, revises two items and drops one.
    login(page, "olga@example.org", PASSWORD)
    page.get_by_role("link", name="MLM domains Delphi").click()
    page.get_by_role("link", name="Close round 1 now…").click()
    assert page.get_by_text("Closing cannot be undone").is_visible()  # the confirmation step
    page.get_by_role("button", name="Close round 1").click()
    assert page.get_by_text("Round 1 closed; results computed.").is_visible()
    rows = page.locator("table.results tbody tr")
    assert rows.count() == 8
    assert page.locator("#item-1 .badge").inner_text() == "reformulated"
    for n, text in ((1, "Governance"), (2, "Investment and economic models")):
        row = page.locator(f"tr:has(strong:text-is('{'I' if n == 1 else 'II'}'))")
        row.get_by_label("Decision").select_option("revise")
        row.get_by_label("New wording (for revise)").fill(text)
        row.get_by_label("Reason").fill("E05's comment")
        row.get_by_role("button", name="Record decision").click()
        assert page.get_by_text("revise recorded").is_visible()
    row = page.locator("tr:has(strong:text-is('VIII'))")
    row.get_by_label("Decision").select_option("drop")
    row.get_by_label("Reason").fill("Out of scope for this revision")
    row.get_by_role("button", name="Record decision").click()
    for code in ("III", "IV", "V", "VI", "VII"):
        row = page.locator(f"tr:has(strong:text-is('{code}'))")
        row.get_by_label("Decision").select_option("accept")
        row.get_by_role("button", name="Record decision").click()
    page.get_by_role("link", name=re.compile("MLM domains Delphi")).click()
    page.get_by_role("button", name="Open round").click()
    assert page.get_by_text(re.compile("Round 2 is open with 2 items")).is_visible()
    _logout(page)

    # Round 2: experts see the feedback (distribution, their own rating, the revision) and re-rate.
    for i, (email, _) in enumerate(EXPERTS):
        page.goto(links[email].replace("http://127.0.0.1:5000", live_server))  # used link: refused
        assert page.get_by_text("already been used").is_visible()
        # Experts joined without a password; the test gives them one through the service to log back in.
        with app.app_context():
            from delphi.services.accounts import users

            user = users.find_by_email(email)
            users.set_password(user, PASSWORD)
            db.session.commit()
        login(page, email, PASSWORD)
        page.get_by_role("link", name="Start rating").click()
        assert page.get_by_text("Round 1: what the panel said").first.is_visible()
        assert page.get_by_text(re.compile("Revised since round 1")).first.is_visible()
        own = "1" if i == 4 else "3"
        assert page.locator("aside.feedback").first.get_by_text(re.compile(f"Your rating: {own}")).is_visible()
        if i != 4:
            assert page.get_by_text("1 comment(s) from other panelists").first.is_visible()
        page.goto("/expert/")
        _rate_round(page, 2, lambda heading: "3 · Agree")
        _logout(page)

    login(page, "olga@example.org", PASSWORD)
    page.get_by_role("link", name="MLM domains Delphi").click()
    page.get_by_role("link", name="Close round 2 now…").click()
    page.get_by_role("button", name="Close round 2").click()
    assert page.get_by_text("Round 2 closed; results computed.").is_visible()
    assert page.locator("table.results tbody tr").count() == 2
    assert page.locator("table.results .badge.validated").count() == 2

    # Issue 6: the organiser accepts the re-rated items, releases the validated framework and opens the report.
    for code in ("I", "II"):
        row = page.locator(f"tr:has(strong:text-is('{code}'))")
        row.get_by_label("Decision").select_option("accept")
        row.get_by_role("button", name="Record decision").click()
        assert page.get_by_text(f"{code}: accept recorded").is_visible()
    page.get_by_role("link", name=re.compile("MLM domains Delphi")).click()
    page.get_by_role("link", name=re.compile("End the study and release")).click()
    assert page.get_by_text("removed domain VIII").is_visible()
    assert page.locator("ins", has_text="Governance").count() + page.locator("del").count() > 0
    page.get_by_label("Version label").fill("2026-validated")
    page.get_by_role("button", name="Release and end the study").click()
    assert page.get_by_text("Released 1plusmg-mlm:2026-validated").is_visible()
    assert page.get_by_text("How to cite").is_visible()
    assert page.locator(".citation").inner_text().startswith("1+MG Maturity Level Model")
    page.get_by_role("link", name="methods and results report").click()
    assert page.get_by_role("heading", name="1. Protocol as pre-registered").is_visible()
    assert page.get_by_text("Fixed before round 1 and locked on").is_visible()
