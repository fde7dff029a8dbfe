"""A lead assessor completes a 1+MG MLM self-assessment in real Chromium: level cards with autosave, results with
radars and the gap list, the PDF report, finalising, and progress against the assessment of a year before."""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login
from tests.conftest import PASSWORD
from tests.web.test_assessment_fixtures import add_member, fill, indicator_ids, start

pytestmark = pytest.mark.browser

LEAD = "lead@pt.example"


def test_assessor_completes_an_mlm_assessment_and_sees_results_pdf_and_progress(page, app, live_server):
    add_member(app, "Portugal", LEAD, "lead", name="Lena Lead")
    baseline = start(app, "Portugal", LEAD, title="Baseline 2024", reference_date=date(2024, 3, 31))
    fill(app, baseline, LEAD, level=lambda n, code: 2, finalise=True)
    follow_up = start(app, "Portugal", LEAD, title="Follow-up 2025", reference_date=date(2025, 3, 31))
    # The service pre-fills 46 indicators; the three of domain I are answered below, in the browser.
    fill(app, follow_up, LEAD, level=lambda n, code: 3 if n % 3 else 2, target=lambda n, cur: min(5, cur + 1),
         skip=3)
    i1, i2, i3 = indicator_ids(app, follow_up)[:3]
    problems: list[str] = []  # script errors and CSP violations (the refused link's 400 is expected)
    page.on("console", lambda m: problems.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource") else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    missing: list[str] = []
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)

    login(page, LEAD, PASSWORD)
    page.goto(f"/assessor/assessments/{follow_up}")
    expect(page.get_by_text("46 of 49 indicators answered")).to_be_visible()
    page.get_by_role("link", name="Answer for domain I", exact=True).click()
    expect(page.get_by_role("heading", name=re.compile("Domain I: Governance"))).to_be_visible()

    # Click level cards: each click saves on its own and the status says so.
    first = page.locator(f"#ind-{i1}")
    first.locator("label.level-card", has_text="Level 2").click()
    expect(page.locator(f"#a{i1}-status")).to_have_text(re.compile(r"^Saved \d"))
    expect(first.get_by_role("radio", name=re.compile("Level 2"))).to_be_checked()
    # A target, evidence and a bad link: the link is refused with a clear message, then corrected.
    first.get_by_text("Target, evidence and confidence").click()
    first.get_by_label("Target level").select_option("4")
    expect(page.locator(f"#a{i1}-status")).to_have_text(re.compile(r"^Saved"))
    first.get_by_label("Links to evidence").fill("javascript:alert(1)")
    expect(page.locator(f"#a{i1}-status")).to_have_text(re.compile("Not saved: .*is not a web link"))
    first.get_by_label("Links to evidence").fill("https://example.org/national-genomics-strategy")
    expect(page.locator(f"#a{i1}-status")).to_have_text(re.compile(r"^Saved"))
    page.locator(f"#ind-{i2} label.level-card", has_text="Level 3").click()
    expect(page.locator(f"#a{i2}-status")).to_have_text(re.compile(r"^Saved"))
    page.locator(f"#ind-{i3} label.level-card", has_text="Level 1").click()
    expect(page.locator(f"#a{i3}-status")).to_have_text(re.compile(r"^Saved"))
    expect(page.locator("#progress-total")).to_have_text("49 of 49 indicators answered")
    expect(page.locator("[data-domain-count='1']")).to_have_text("3 of 3 ✓")

    # Reloading shows what was saved (no duplicate, nothing lost).
    page.reload()
    expect(page.locator(f"#ind-{i1}").get_by_role("radio", name=re.compile("Level 2"))).to_be_checked()
    expect(page.locator(f"#a{i1}-target_level")).to_have_value("4")
    expect(page.locator(f"#a{i1}-links")).to_have_value("https://example.org/national-genomics-strategy")

    # Results: a radar per domain with the numbers beside it, the gap list led by I.1.1 (2 -> 4).
    page.get_by_role("link", name="Results", exact=True).click()
    expect(page.locator("svg.chart.radar")).to_have_count(8)
    expect(page.locator("table.numbers")).to_have_count(8)
    gaps = page.locator("table.gaps")
    expect(gaps).to_be_visible()
    expect(gaps.locator("tbody tr").first).to_contain_text("I.1.1")
    expect(gaps.locator("tbody tr").first).to_contain_text("+2")

    # The PDF report downloads.
    with page.expect_download(timeout=60_000) as download:  # WeasyPrint takes seconds on a busy 2-core machine
        page.get_by_role("link", name="PDF report").click(timeout=60_000)
    pdf = Path(download.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000

    # The lead finalises; progress then compares with the assessment of a year before.
    page.get_by_role("link", name="Overview", exact=True).click()
    page.get_by_role("link", name="Finalise the assessment…").click()
    expect(page.get_by_text("Finalising cannot be undone")).to_be_visible()  # the confirmation step
    page.get_by_role("button", name="Finalise the assessment").click()
    expect(page.get_by_text("Assessment finalised")).to_be_visible()
    page.get_by_role("link", name="Progress", exact=True).click()
    table = page.locator("table.progress-table")
    expect(table).to_contain_text("2024-03-31")
    expect(table).to_contain_text("2025-03-31")
    expect(page.locator("svg.chart.line")).to_be_visible()
    # Baseline: level 2 everywhere; follow-up: 2 for I.1.1 (clicked), 3 for I.2.1, 1 for I.3.1, then 3/2 pattern.
    def change_of(code: str):
        return table.locator("tbody tr").filter(
            has=page.locator("span.code", has_text=re.compile(rf"^{re.escape(code)}$"))).locator("td.change")

    expect(change_of("I.2.1")).to_have_text("▲ +1")
    expect(change_of("I.3.1")).to_have_text("▼ -1")
    expect(page.get_by_text(re.compile(r"\d+ indicators improved"))).to_be_visible()
    assert not problems, problems
    assert [url for url in missing if not url.endswith("/favicon.ico")] == []
