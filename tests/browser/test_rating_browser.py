"""The expert's rating page in real Chromium: autosave, the progress the page counts, and a closed round."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from delphi.extensions import db
from delphi.models import Round
from delphi.services.studies import design, rounds
from tests.browser.conftest import assert_accessible, login
from tests.conftest import PASSWORD
from tests.study_helpers import make_study, open_first_round, organiser

pytestmark = pytest.mark.browser


def _two_question_round(app) -> tuple[int, int]:
    with app.app_context():
        study = make_study(n_experts=1, kinds=("indicator",), title="Two questions")
        protocol = dict(study.protocol)
        protocol["questions"] = [
            {"key": "agreement", "label": "Do you agree?", "points": 3, "allow_unable": True},
            {"key": "importance", "label": "How important?", "points": 5, "allow_unable": False},
        ]
        design.set_protocol(study, protocol, by=organiser())
        rnd = open_first_round(study)
        db.session.commit()
        return rnd.id, len(rnd.round_items)


def test_progress_counts_items_with_every_question_answered_and_a_closed_round_says_so(page, app, live_server):
    round_id, total = _two_question_round(app)
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    login(page, "expert1@example.org", PASSWORD)
    page.goto(f"/expert/rounds/{round_id}")
    progress = page.locator("#progress-text")
    expect(progress).to_have_text(f"0 of {total} items rated")
    assert_accessible(page, "expert rating page")

    first, second = page.locator("article.rating-item").nth(0), page.locator("article.rating-item").nth(1)
    first.locator("input[data-question=agreement][value='3']").check()
    expect(first.locator(".save-status")).to_have_text("Saved")
    expect(progress).to_have_text(f"0 of {total} items rated")  # one of its two questions
    first.locator("input[data-question=importance][value='4']").check()
    expect(first.locator(".save-status")).to_have_text("Saved")
    expect(progress).to_have_text(f"1 of {total} items rated")
    expect(page.locator("#submit-hint")).to_have_text(f"Rate all {total} items first ({total - 1} left).")
    first.locator("input[data-question=importance][value='5']").check()  # a change is not a new item
    expect(first.locator(".save-status")).to_have_text("Saved")
    expect(progress).to_have_text(f"1 of {total} items rated")
    expect(page.locator("#progress-bar")).to_have_attribute("max", str(total))
    assert page.locator("#progress-bar").evaluate("el => el.value") == 1

    # The server's own count on a fresh page agrees, and the answers are still there.
    page.reload()
    expect(progress).to_have_text(f"1 of {total} items rated")
    first = page.locator("article.rating-item").nth(0)
    expect(first.locator("input[data-question=importance][value='5']")).to_be_checked()

    # The organiser closes the round while the page is open: the next click is refused, and says why.
    with app.app_context():
        rounds.close(db.session.get(Round, round_id), by=organiser())
        db.session.commit()
    second.locator("input[data-question=agreement][value='1']").check()
    expect(second.locator(".save-status")).to_contain_text("Not saved: Round 1 is closed")
    expect(progress).to_have_text(f"1 of {total} items rated")
    assert problems == []


def test_a_comment_typed_then_the_page_reloaded_is_kept(page, app, live_server):
    round_id, _ = _two_question_round(app)
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    login(page, "expert1@example.org", PASSWORD)
    page.goto(f"/expert/rounds/{round_id}")
    first = page.locator("article.rating-item").nth(0)
    area = first.locator("textarea[data-comment]")
    area.click()
    area.press_sequentially("Saved while typing")
    expect(first.locator(".save-status")).to_have_text("Saved")  # after the pause, without leaving the field
    page.reload()
    expect(page.locator("article.rating-item").nth(0).locator("textarea[data-comment]")).to_have_value(
        "Saved while typing")

    # Typed and left at once: the page warns, and what was typed is sent on the way out.
    dialogs: list[str] = []

    def accept(dialog):
        dialogs.append(dialog.type)
        dialog.accept()

    page.on("dialog", accept)
    area = page.locator("article.rating-item").nth(1).locator("textarea[data-comment]")
    area.click()
    area.press_sequentially("Typed just before leaving")
    page.goto("/expert/")
    page.wait_for_timeout(500)
    assert dialogs == ["beforeunload"]
    page.goto(f"/expert/rounds/{round_id}")
    expect(page.locator("article.rating-item").nth(1).locator("textarea[data-comment]")).to_have_value(
        "Typed just before leaving")
    assert problems == []


def test_closed_round_says_reload_not_the_save_button(page, app, live_server):
    round_id, _ = _two_question_round(app)
    login(page, "expert1@example.org", PASSWORD)
    page.goto(f"/expert/rounds/{round_id}")
    with app.app_context():
        rounds.close(db.session.get(Round, round_id), by=organiser())
        db.session.commit()
    first = page.locator("article.rating-item").nth(0)
    first.locator("input[data-question=agreement][value='1']").check()
    expect(first.locator(".save-status")).to_contain_text("Reload the page")
    expect(first.locator(".save-status")).not_to_contain_text("Save button")
    page.reload()
    expect(page.get_by_text("Round 1 closed")).to_be_visible()
    assert_accessible(page, "a closed round, read-only")
    assert page.locator("button", has_text="Save this page").count() == 0
