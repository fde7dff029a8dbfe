"""An organiser revises the shipped 1+MG MLM in a real browser and sees the change highlighted in the diff."""
import pytest

from tests.browser.conftest import login
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def shipped(app):
    from delphi.extensions import db
    from delphi.services.frameworks import versions

    with app.app_context():
        versions.ensure_shipped()
        db.session.commit()


def test_organiser_drafts_the_mlm_rewords_an_indicator_and_sees_it_in_the_diff(page, make_user, shipped):
    make_user("olga@example.org", name="Olga", roles=("organiser",))
    login(page, "olga@example.org", PASSWORD)

    page.goto("/organiser/frameworks")
    page.get_by_role("link", name="2022", exact=True).click()
    assert page.get_by_role("heading", name="1+MG Maturity Level Model (MLM) 2022").is_visible()
    assert page.get_by_text("Funded by the European Commission", exact=False).first.is_visible()
    assert page.get_by_role("link", name="Edit this draft").count() == 0
    assert page.get_by_label("Label of the new draft").input_value() == "draft-2"
    page.get_by_role("button", name="New draft from this version").click()

    assert page.get_by_text("Draft 1plusmg-mlm:draft-2 created").is_visible()
    page.get_by_role("link", name="Governance and strategy").click()
    indicator = page.get_by_role("group", name="Indicator I.1.1")
    statement = indicator.get_by_label("Statement")
    statement.fill(statement.input_value().replace("dedicated governance", "dedicated and funded governance"))
    indicator.get_by_role("button", name="Save indicator I.1.1").click()
    assert page.get_by_text("Indicator I.1.1 saved.").is_visible()

    page.get_by_role("link", name="Edit", exact=True).click()
    page.get_by_role("link", name="Changes since 2022").click()
    assert page.get_by_text("1 change.").is_visible()
    inserted = page.locator("ol.changes ins")
    assert inserted.count() == 1 and inserted.inner_text().strip() == "and funded"
    assert page.locator("ol.changes del").count() == 0
    assert "reworded indicator I.1.1 statement" in page.locator("ol.changes").inner_text()


def test_organiser_downloads_a_translation_file_has_it_filled_in_and_uploads_it(page, make_user, shipped, app,
                                                                                tmp_path):
    """The Translations page (axe-checked): download an empty German XLIFF, upload it translated, see 3 of 414."""
    from pathlib import Path

    from delphi.services.frameworks import versions
    from framework import translations as fwtr

    make_user("olga@example.org", name="Olga", roles=("organiser",))
    login(page, "olga@example.org", PASSWORD)
    page.goto("/organiser/frameworks/1plusmg-mlm/versions/2022")
    page.get_by_role("button", name="New draft from this version").click()
    page.get_by_role("link", name="Translations").click()
    assert page.get_by_text("No translation yet.").is_visible()
    page.get_by_label("Language to translate into").fill("de")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the XLIFF file").click()
    assert download.value.suggested_filename == "1plusmg-mlm-draft-2.de.xlf"
    with app.app_context():
        doc = versions.to_document(versions.get_version("1plusmg-mlm:draft-2"))
    empty = fwtr.from_xliff(Path(download.value.path()).read_bytes(), doc)
    assert empty.target_language == "de" and empty.targets == {}
    filled = tmp_path / "de.xlf"
    filled.write_bytes(fwtr.to_xliff(doc, source_language="en", target_language="de", original="draft-2", targets={
        "domain.I.title": "Governance und Strategie", "domain.II.title": "Investitionen und Wirtschaft",
        "indicator.I.1.1.level.1": "Es gibt keine Steuerungsstruktur."}))
    page.get_by_label("Translation file (XLIFF 2.0)").set_input_files(str(filled))
    page.get_by_role("button", name="Import the translation").click()
    assert page.get_by_text("German: 3 new and 0 changed translations stored").is_visible()
    row = page.get_by_role("row", name="German")
    assert "3 of 414" in row.inner_text()
    assert page.get_by_label("German: 0% translated").is_visible()  # 3 of 414 rounds down to 0%
