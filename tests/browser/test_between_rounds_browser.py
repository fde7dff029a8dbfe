"""The organiser's work between rounds, clicked through in real Chromium on a small framework with levels: the
round-open e-mail, an extended deadline, a confirmed close, a drop and a merge decided bottom-up (levels first),
an undo, a bulk decision, round 2 opening — with axe-core checking the pages on the way."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, login
from tests.conftest import PASSWORD, outbox

pytestmark = pytest.mark.browser


def _study(app) -> int:
    from delphi.extensions import db
    from delphi.services.frameworks import versions
    from delphi.services.studies import design, panel
    from tests.services.test_study_lifecycle import mini_framework
    from tests.study_helpers import organiser

    with app.app_context():
        org = organiser()
        released = versions.import_document(mini_framework(), slug="mini", label="1", release=True)
        study = design.create("Mini Delphi", released, by=org)
        design.set_protocol(study, dict(study.protocol, rated_kinds=["indicator", "level"]), by=org)
        for i in range(1, 4):
            panel.consent(panel.add(study, f"expert{i}@example.org", f"Expert {i}", by=org), None)
        db.session.commit()
        return study.id


def _rate_everything(app, study_id: int) -> None:
    """Experts' round 1, through the service (the rating pages are clicked through in test_delphi_browser)."""
    from delphi.extensions import db
    from delphi.models import Study
    from delphi.services.studies import ratings

    with app.app_context():
        study = db.session.get(Study, study_id)
        rnd = study.current_round
        for p in study.panelists:
            for ri in rnd.round_items:
                dissent = p.pseudonym == "E03" and ri.item.code.startswith("A.2.2")
                ratings.save(rnd, p, ri.item_id, ratings={"agreement": 1 if dissent else 3},
                             comment="Merge this with A.2.1" if dissent else None)
            ratings.submit(rnd, p)
        db.session.commit()


def _row(page, code: str):
    return page.locator(f"tr:has(strong:text-is('{code}'))")


def test_between_rounds_in_the_browser(page, app, live_server):
    from delphi.db import utcnow

    study_id = _study(app)
    login(page, "olga@example.org", PASSWORD)
    page.goto(f"/organiser/studies/{study_id}")
    page.get_by_role("button", name="Open round").click()
    expect(page.get_by_text(re.compile("Round 1 is open with 24 items"))).to_be_visible()

    # The panel is told, with the link, the deadline and the size of the round.
    told = [m for m in outbox(app) if "Round 1 of" in m["Subject"]]
    assert sorted(m["To"] for m in told) == [f"expert{i}@example.org" for i in (1, 2, 3)]
    assert "24 items to rate" in told[0].get_content()
    assert re.search(r"/expert/rounds/\d+", told[0].get_content())

    # More time for the panel.
    later = (utcnow() + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M")
    page.get_by_label("New deadline (UTC)").fill(later)
    page.get_by_role("button", name="Extend deadline").click()
    expect(page.get_by_text(re.compile("Round 1 now closes"))).to_be_visible()
    assert_accessible(page, "study page with a round open")

    _rate_everything(app, study_id)
    page.reload()
    page.get_by_role("link", name="Close round 1 now…").click()
    expect(page.get_by_text("3 of 3 experts have submitted")).to_be_visible()
    assert_accessible(page, "close confirmation")
    page.get_by_role("button", name="Close round 1").click()
    expect(page.get_by_text("Round 1 closed; results computed.")).to_be_visible()
    assert_accessible(page, "consensus dashboard")

    # Bottom-up: a level first, then its indicator is dropped — the level is settled with it.
    level = _row(page, "A.1.2:L2")
    level.get_by_label("Decision").select_option("rerate")
    level.get_by_role("button", name="Record decision").click()
    expect(page.get_by_text("A.1.2:L2: rerate recorded")).to_be_visible()
    assert _row(page, "A.1.2:L2").get_by_label("Decision").count() == 0  # decided: no form, an undo instead
    ind = _row(page, "A.1.2")
    assert ind.get_by_label("Decision").locator("option[value=drop]").count() == 1
    assert level.locator("option[value=drop]").count() == 0  # a level cannot be dropped: not offered
    ind.get_by_label("Decision").select_option("drop")
    ind.get_by_label("Reason").fill("Duplicates A.1.1")
    ind.get_by_role("button", name="Record decision").click()
    expect(page.get_by_text("A.1.2: drop recorded")).to_be_visible()
    expect(_row(page, "A.1.2:L2")).to_contain_text("dropped with A.1.2")

    # A merge, with the panelist's comment beside it; undone, then made again.
    merge = _row(page, "A.2.2")
    merge.get_by_text("1 comment(s)").click()
    expect(merge.get_by_text("Merge this with A.2.1")).to_be_visible()
    merge.get_by_label("Decision").select_option("merge")
    merge.get_by_label("Merge into (item code, for merge)").fill("A.2.1")
    merge.get_by_role("button", name="Record decision").click()
    expect(page.get_by_text("A.2.2: merge recorded")).to_be_visible()
    expect(_row(page, "A.2.2:L5")).to_contain_text("merged into A.2.1 with A.2.2")
    _row(page, "A.2.2").get_by_role("button", name="Undo").click()
    expect(page.get_by_text("A.2.2: decision undone")).to_be_visible()
    expect(_row(page, "A.2.2:L5").get_by_label("Decision")).to_be_visible()
    merge = _row(page, "A.2.2")
    merge.get_by_label("Decision").select_option("merge")
    merge.get_by_label("Merge into (item code, for merge)").fill("A.2.1")
    merge.get_by_role("button", name="Record decision").click()
    expect(page.get_by_text("A.2.2: merge recorded")).to_be_visible()

    # Many at once: two ticked items re-rated in round 2, then the protocol's defaults for the rest.
    _row(page, "A.1.1").get_by_label("Select A.1.1").check()
    _row(page, "A.2.1").get_by_label("Select A.2.1").check()
    page.get_by_label("Decision for these items").select_option("rerate")
    page.get_by_role("button", name="Apply to the items").click()
    expect(page.get_by_text(re.compile(r"2 item\(s\) decided"))).to_be_visible()
    page.get_by_role("button", name="Apply the default actions").click()
    expect(page.get_by_text(re.compile(r"0 of 24 still without a decision"))).to_be_visible()

    page.get_by_role("link", name=re.compile("Open the next round or end the study")).click()
    page.get_by_role("button", name="Open round").click()
    expect(page.get_by_text(re.compile(r"Round 2 is open with 2 items"))).to_be_visible()
    assert not page.get_by_text("no longer exists in the draft").is_visible()
