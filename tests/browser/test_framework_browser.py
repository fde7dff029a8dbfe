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
