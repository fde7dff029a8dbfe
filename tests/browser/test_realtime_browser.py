"""Issue 18's "done when", in Chromium: two experts of a real-time study in separate browsers; one answers and
the other sees the panel's distribution change without reloading; the revision shows in the organiser's
convergence chart. axe-core checks every page visited."""
from __future__ import annotations

import os
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import check_visited, login, visited_pages
from tests.browser.test_phone_browser import _fits
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("SHOTS")


def _shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def _study(app) -> dict:
    from delphi.extensions import db
    from delphi.services.studies import design
    from tests.study_helpers import ORGANISER, make_study, open_first_round, organiser

    with app.app_context():
        study = make_study(n_experts=2, kinds=("domain",), title="Real-time validation")
        design.set_protocol(study, {**study.protocol, "mode": "realtime",
                                    "live": {"min_answers": 2, "refresh_seconds": 2}}, by=organiser())
        rnd = open_first_round(study)
        db.session.commit()
        return {"round": rnd.id, "organiser": ORGANISER, "item": rnd.round_items[0].item_id}


def _expert(browser, live_server, email: str, width: int):
    context = browser.new_context(base_url=live_server, viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    visited = visited_pages(page)
    login(page, email, PASSWORD)
    return context, page, visited


@pytest.mark.parametrize("width", [1280, 390])
def test_one_expert_answers_and_the_other_sees_it_live_and_the_organiser_sees_the_revision(
        app, browser, live_server, width):
    world = _study(app)
    round_id, item = world["round"], world["item"]
    first_context, first, first_visited = _expert(browser, live_server, "expert1@example.org", width)
    second_context, second, second_visited = _expert(browser, live_server, "expert2@example.org", width)

    first.goto(f"/expert/rounds/{round_id}")
    panel_1 = first.locator(f'[data-live-item="{item}"]')
    expect(panel_1).to_contain_text("once you have given yours")
    first.locator(f"#item-{item} input[data-question=agreement][value='3']").check()
    expect(first.locator(f"#item-{item} .save-status")).to_have_text("Saved")
    expect(panel_1).to_contain_text("(1 so far)")  # asked at once after the save; one answer is not shown

    second.goto(f"/expert/rounds/{round_id}")
    panel_2 = second.locator(f'[data-live-item="{item}"]')
    second.locator(f"#item-{item} input[data-question=agreement][value='2']").check()
    expect(second.locator(f"#item-{item} .save-status")).to_have_text("Saved")
    expect(panel_2).to_contain_text("Disagree 0, Neither agree nor disagree 1, Agree 1")
    expect(panel_1).to_contain_text("Disagree 0, Neither agree nor disagree 1, Agree 1")  # no reload
    _shot(second, f"live-second-{width}")

    # The first expert revises; the second sees it without reloading, within a few seconds.
    first.locator(f"#item-{item} input[data-question=agreement][value='1']").check()
    expect(first.locator(f"#item-{item} .save-status")).to_have_text("Saved")
    expect(panel_2).to_contain_text("Disagree 1, Neither agree nor disagree 1, Agree 0", timeout=10_000)
    expect(panel_1).to_contain_text(re.compile(r"Your answers so far: 3 .*→ 1"))
    _shot(first, f"live-first-{width}")
    _fits(first, f"the live rating page at {width}px")
    check_visited(first_context, first_visited)
    check_visited(second_context, second_visited)
    first_context.close()
    second_context.close()

    # The organiser's convergence: the revision shows (one expert of two had revised by now), and a snapshot.
    context = browser.new_context(base_url=live_server, viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    visited = visited_pages(page)
    login(page, world["organiser"], PASSWORD)
    page.goto(f"/organiser/rounds/{round_id}/live")
    numbers = page.locator("table").filter(has_text="Experts who had revised")
    expect(numbers.locator("tbody tr").last).to_contain_text("1 (50%)")
    expect(numbers.locator("tbody tr").first).to_contain_text("0 (0%)")
    expect(page.get_by_role("img", name=re.compile("Share of experts who had revised"))).to_have_count(1)
    _shot(page, f"live-organiser-{width}")
    _fits(page, f"the organiser's live page at {width}px")
    page.get_by_label("Label (optional)").fill("Half-way")
    page.get_by_role("button", name="Take a snapshot").click()
    expect(page.get_by_text("Snapshot taken")).to_be_visible()
    expect(page.get_by_text("Half-way")).to_be_visible()
    check_visited(context, visited)
    context.close()
