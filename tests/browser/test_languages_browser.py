"""The interface in German and Portuguese, in Chromium: a German browser gets German pages without asking, the
switcher changes to Portuguese and the choice follows the person; every page passes axe-core (lang attributes
included) and the header with its switcher fits a 390 px phone in each language."""
from __future__ import annotations

import pytest

from tests.browser.conftest import check_visited, visited_pages
from tests.browser.test_phone_browser import _fits
from tests.conftest import PASSWORD
from tests.i18n.test_catalogues import catalogue

pytestmark = pytest.mark.browser


def t(language: str, msgid: str) -> str:
    return catalogue(language).get(msgid).string


@pytest.mark.parametrize("width", [1280, 390])
def test_a_german_browser_then_portuguese_by_the_switcher(browser, live_server, make_user, width):
    make_user("olga@example.org", name="Olga", roles=("organiser",))
    context = browser.new_context(base_url=live_server, locale="de-DE", viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    visited = visited_pages(page)
    page.goto("/auth/login")
    assert page.get_attribute("html", "lang") == "de"
    page.get_by_label(t("de", "E-mail")).fill("olga@example.org")
    page.get_by_label(t("de", "Password")).fill(PASSWORD)
    page.get_by_role("button", name=t("de", "Log in")).click()
    page.wait_for_load_state()
    assert page.get_by_role("link", name=t("de", "Organise")).count() == 1
    _fits(page, f"the German organiser page at {width}px")

    page.get_by_label(t("de", "Language")).select_option("pt")
    page.get_by_role("button", name=t("de", "Change")).click()
    page.wait_for_load_state()
    assert page.get_attribute("html", "lang") == "pt"
    assert page.get_by_role("button", name=t("pt", "Log out")).count() == 1
    _fits(page, f"the Portuguese organiser page at {width}px")

    # Another browser, German again: once logged in, the person's own choice (Portuguese) wins.
    other = browser.new_context(base_url=live_server, locale="de-DE", viewport={"width": width, "height": 900})
    second = other.new_page()
    second.goto("/auth/login")
    second.get_by_label(t("de", "E-mail")).fill("olga@example.org")
    second.get_by_label(t("de", "Password")).fill(PASSWORD)
    second.get_by_role("button", name=t("de", "Log in")).click()
    second.wait_for_load_state()
    assert second.get_attribute("html", "lang") == "pt"
    other.close()
    check_visited(context, visited)
    context.close()
