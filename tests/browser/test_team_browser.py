"""Issue 15 in real Chromium: two people of one team edit one domain at once (two browser contexts) and nothing is
lost — the member's level never carries the lead's evidence away, a real conflict on one field is resolved by
choosing — and a refused field keeps the other field saved and the refused value on the page, with a warning
before leaving."""
from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, login
from tests.conftest import PASSWORD
from tests.web.test_assessment_fixtures import add_member, indicator_ids, start

pytestmark = pytest.mark.browser

LEAD, ANA = "lead@pt.example", "ana@pt.example"


def _stored(app, indicator_id):
    from delphi.extensions import db
    from delphi.models.assessment import AssessmentAnswer

    with app.app_context():
        row = db.session.query(AssessmentAnswer).filter_by(indicator_id=indicator_id).one_or_none()
        return None if row is None else (row.current_level, row.target_level, row.evidence)


def _my_level(app, indicator_id):
    from delphi.extensions import db
    from delphi.models.assessment import AssessmentMemberLevel
    from delphi.services.accounts import users

    with app.app_context():
        row = db.session.query(AssessmentMemberLevel).filter_by(
            indicator_id=indicator_id, user_id=users.find_by_email(ANA).id).one_or_none()
        return None if row is None else row.level


def test_two_team_members_edit_one_domain_at_once_and_nothing_is_lost(page, browser, live_server, app):
    add_member(app, "Portugal", LEAD, "lead", name="Lena Lead")
    add_member(app, "Portugal", ANA, "assessor", name="Ana Assessor")
    aid = start(app, "Portugal", LEAD, team=(ANA,), team_mode=True, reference_date=date(2025, 1, 31))
    ind = indicator_ids(app, aid)[1]  # I.2.1
    url = f"/assessor/assessments/{aid}/domains/1"
    problems: list[str] = []
    ana_context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    ana = ana_context.new_page()
    ana.set_default_timeout(10_000)
    for p in (page, ana):
        p.on("pageerror", lambda e: problems.append(str(e)))
    try:
        # Ana opens the domain first; then the lead writes the evidence of I.2.1.
        login(ana, ANA, PASSWORD)
        ana.goto(url)
        expect(ana.locator("#my-progress")).to_have_text("Your levels: 0 of 49 indicators rated")
        assert_accessible(ana, "member's answer page")
        login(page, LEAD, PASSWORD)
        page.goto(url)
        lead_ind = page.locator(f"#ind-{ind}")
        lead_ind.get_by_text("Target, evidence and confidence").click()
        lead_ind.get_by_label("Evidence", exact=True).fill("Lead: national strategy 2024")
        expect(page.locator(f"#a{ind}-status")).to_have_text(re.compile(r"^Saved \d"))
        assert _stored(app, ind)[2] == "Lead: national strategy 2024"

        # Ana, on her older page, clicks her own level, then presses "Save this domain" twice.
        ana.locator(f"#ind-{ind} label.level-card", has_text="Level 3").click()
        expect(ana.locator(f"#a{ind}-status")).to_have_text(re.compile(r"^Saved \d"))
        expect(ana.locator("#my-progress")).to_have_text("Your levels: 1 of 49 indicators rated")
        for _ in range(2):
            ana.get_by_role("button", name="Save this domain").click()
            ana.wait_for_load_state()
            expect(ana.get_by_text(re.compile("Saved domain I"))).to_be_visible()
        assert _stored(app, ind)[2] == "Lead: national strategy 2024" and _my_level(app, ind) == 3
        expect(ana.locator(f"#a{ind}-evidence")).to_have_value("Lead: national strategy 2024")
        expect(ana.locator(f"#a{ind}-status")).to_have_text(re.compile(r"You last saved \d{4}-\d\d-\d\d"))
        assert_accessible(ana, "member's page after saving twice")

        # A real conflict: both change the evidence; Ana sees both versions and keeps hers.
        lead_ind.get_by_label("Evidence", exact=True).fill("Lead: strategy and budget")
        expect(page.locator(f"#a{ind}-status")).to_have_text(re.compile(r"^Saved \d"))
        ana_ind = ana.locator(f"#ind-{ind}")
        expect(ana_ind.locator("details.more")).to_have_attribute("open", "")  # it has evidence: drawn open
        ana_ind.get_by_label("Evidence", exact=True).fill("Ana: the strategy has no budget line")
        expect(ana.locator(f"#a{ind}-status")).to_have_text(re.compile("Not saved: I.2.1 was changed by Lena Lead"))
        conflict = ana_ind.locator(".conflict")
        expect(conflict).to_contain_text("Lead: strategy and budget")
        expect(conflict).to_contain_text("Ana: the strategy has no budget line")
        assert_accessible(ana, "member's page with a conflict")
        assert _stored(app, ind)[2] == "Lead: strategy and budget"
        conflict.get_by_role("button", name="Keep mine").click()
        expect(ana.locator(f"#a{ind}-status")).to_have_text(re.compile(r"^Saved \d"))
        expect(ana_ind.locator(".conflict")).to_have_count(0)
        assert _stored(app, ind)[2] == "Ana: the strategy has no budget line"
        # The lead's target, set meanwhile, does not conflict with anything of Ana's.
        lead_ind.get_by_label("Target level").select_option("4")
        expect(page.locator(f"#a{ind}-status")).to_have_text(re.compile(r"^Saved \d"))
        assert _stored(app, ind)[1:] == (4, "Ana: the strategy has no budget line")
        assert_accessible(page, "lead's answer page")
    finally:
        ana_context.close()
    assert not problems, problems


def test_a_refused_target_keeps_the_evidence_saved_and_the_refused_value_on_the_page(page, app):
    add_member(app, "Portugal", LEAD, "lead", name="Lena Lead")
    aid = start(app, "Portugal", LEAD, reference_date=date(2025, 1, 31))
    ind = indicator_ids(app, aid)[0]
    login(page, LEAD, PASSWORD)
    page.goto(f"/assessor/assessments/{aid}/domains/1")
    card = page.locator(f"#ind-{ind}")
    status = page.locator(f"#a{ind}-status")
    card.locator("label.level-card", has_text="Level 4").click()
    expect(status).to_have_text(re.compile(r"^Saved \d"))
    card.get_by_text("Target, evidence and confidence").click()
    card.get_by_label("Target level").select_option("2")
    expect(status).to_have_text(re.compile(r"Not saved: The target level \(2\) is below the current level \(4\)"))
    card.get_by_label("Evidence", exact=True).fill("Board minutes 2024")
    expect(status).to_have_text(re.compile("The other changes were saved"))
    assert _stored(app, ind) == (4, None, "Board minutes 2024")
    expect(card.get_by_label("Target level")).to_have_value("2")
    expect(card.get_by_label("Target level")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page, "answer page with a refused target")

    # Going to the next domain asks first: the refused target is not saved.
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.type), d.dismiss()))
    page.get_by_role("navigation", name="Other domains").get_by_role("link", name="Domain II →").click()
    page.wait_for_timeout(500)
    assert dialogs == ["beforeunload"]
    assert page.url.endswith("/domains/1")

    # Corrected, it saves, and the page can be left without a question.
    card.get_by_label("Target level").select_option("5")
    expect(status).to_have_text(re.compile(r"^Saved \d"))
    assert _stored(app, ind) == (4, 5, "Board minutes 2024")
    page.get_by_role("navigation", name="Other domains").get_by_role("link", name="Domain II →").click()
    page.wait_for_url(re.compile(r"/domains/2$"))
    assert dialogs == ["beforeunload"]
