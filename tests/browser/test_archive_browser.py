"""An organiser archives a Delphi run elsewhere in a real browser: upload, preview, store, then the dashboard and
the report, every page saying it is archived (and every page checked by axe)."""
import pytest

from tests.browser.conftest import assert_accessible, login
from tests.conftest import PASSWORD
from tests.web.test_archive_pages import LONG, TEXTS

pytestmark = pytest.mark.browser


def test_organiser_previews_and_stores_an_archived_study_then_reads_its_results(page, make_user, tmp_path):
    make_user("olga@example.org", name="Olga", roles=("organiser",))
    (tmp_path / "ratings.csv").write_text(LONG, encoding="utf-8")
    (tmp_path / "items.csv").write_text(TEXTS, encoding="utf-8")
    login(page, "olga@example.org", PASSWORD)

    page.goto("/organiser/")
    page.get_by_role("link", name="Archive a Delphi run elsewhere").click()
    page.get_by_label("Title of the study").fill("Genomics policy Delphi 2023")
    page.get_by_label("Where it was run (tool or project)").fill("LimeSurvey 2023")
    page.get_by_label("Ratings (CSV or XLSX").set_input_files(str(tmp_path / "ratings.csv"))
    page.get_by_label("Item texts").set_input_files(str(tmp_path / "items.csv"))
    page.get_by_role("button", name="Check the files and preview").click()

    assert page.get_by_text("2 round(s) · 3 items · 5 panelists").is_visible()
    assert_accessible(page, "the preview (a POST response, so not among the visited pages axe checks at the end)")
    page.get_by_role("button", name="Store as an archived study").click()
    banner = page.locator("p.notice.archived")
    assert "imported from LimeSurvey 2023" in banner.inner_text()
    assert page.get_by_role("button", name="Open round").count() == 0

    page.get_by_role("link", name="Results and decisions").first.click()
    assert "not run on this platform" in page.locator("p.notice.archived").inner_text()
    page.go_back()
    page.get_by_role("link", name="Delphi report").click()
    assert "imported from LimeSurvey 2023" in page.locator("p.notice.archived").first.inner_text()
