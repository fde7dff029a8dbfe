"""A lead imports the spreadsheet the team kept before the platform, in real Chromium: upload, the row-by-row
report, the import as a finalised baseline, and progress that starts from it (axe checks every page visited)."""
from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, login
from tests.conftest import PASSWORD
from tests.web.test_assessment_fixtures import add_member, fill, start

pytestmark = pytest.mark.browser
LEAD = "lead@cz.example"


def _file(app) -> bytes:
    from delphi.extensions import db
    from delphi.services.assessments import lifecycle
    from delphi.services.frameworks import versions

    with app.app_context():
        codes = [i.code for i in lifecycle.tree(versions.ensure_shipped()).indicators]
        db.session.commit()
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(["Kód / code", "Level", "Target", "Evidence"])
    for n, code in enumerate(codes):
        writer.writerow([code, 1 + n % 3, 2 + n % 3, f"Národní strategie, bod {n}"])
    writer.writerow(["IX.1.1", 2, 3, "a code that does not exist"])
    return buffer.getvalue().encode("utf-8-sig")


def test_a_lead_imports_an_earlier_assessment_and_progress_starts_from_it(page, app, live_server):
    add_member(app, "Česko", LEAD, "lead", name="Libuše Lead")
    later = start(app, "Česko", LEAD, title="Hodnocení 2025", reference_date=date(2025, 6, 30))
    fill(app, later, LEAD, level=lambda n, code: 3, finalise=True)
    login(page, LEAD, PASSWORD)
    page.goto("/assessor/")
    page.get_by_role("link", name="Česko").first.click()
    page.get_by_role("link", name="Import an earlier assessment").click()
    page.get_by_label("Spreadsheet (CSV or XLSX)").set_input_files(
        {"name": "základ-2023.csv", "mimeType": "text/csv", "buffer": _file(app)})
    page.get_by_label("Title").fill("Základ 2023")
    page.get_by_label("Reference date").fill("2023-12-31")
    page.get_by_role("button", name="Check the file").click()
    expect(page.locator("#baseline-summary")).to_contain_text("49 rows read, 1 refused")
    expect(page.get_by_text("'IX.1.1' is not an indicator")).to_be_visible()
    assert_accessible(page, "the import report")
    # One refused row: not a finalised baseline; import what was read, then the lead completes and finalises.
    expect(page.get_by_role("button", name="Import as a finalised baseline")).to_have_count(0)
    page.get_by_role("button", name="Import as an assessment in progress").click()
    expect(page.get_by_text(re.compile(r"Imported 49 indicators from základ-2023\.csv"))).to_be_visible()
    page.get_by_role("link", name="Finalise").first.click()
    page.get_by_role("button", name=re.compile("Finalise")).last.click()
    expect(page.get_by_text(re.compile("Assessment finalised"))).to_be_visible()
    page.goto("/assessor/")
    page.get_by_role("link", name="Česko").first.click()
    page.get_by_role("link", name="Progress over time").click()
    expect(page.get_by_text("Základ 2023").first).to_be_visible()
    expect(page.get_by_text("Hodnocení 2025").first).to_be_visible()
