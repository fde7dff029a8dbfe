"""The anonymous benchmark: nothing below three contributing organisations; correct median and highest level from
three on; only opted-in organisations' latest finalised assessment counts; no other organisation is ever named."""
from __future__ import annotations

import io
import json
from datetime import date

from openpyxl import load_workbook

from tests.web.test_assessment_fixtures import add_member, fill, start

OTHERS = {"Bravo Health Region": "bravo", "Charlie National System": "charlie", "Delta Care": "delta",
          "Echo Not Opted In": "echo", "Foxtrot Still Drafting": "foxtrot"}


def level_a(n: int) -> int:  # the viewer (Portugal)
    return 1 + n % 5


def level_b(n: int) -> int:
    return 2 + n % 4


def level_c(n: int) -> int | None:
    return None if n == 0 else 3  # indicator 0 not applicable: only two levels remain there


def _org(app, name: str, slug: str, *, opt_in: bool, levels, finalise: bool = True,
         reference_date: date = date(2025, 6, 30), title: str = "Assessment") -> int:
    add_member(app, name, f"lead@{slug}.example", "lead", name=f"Lead of {name}")
    aid = start(app, name, f"lead@{slug}.example", title=title, reference_date=reference_date, opt_in=opt_in)
    fill(app, aid, f"lead@{slug}.example", level=lambda n, code: levels(n), target=None, finalise=finalise)
    return aid


def _capture_pdf_html(monkeypatch) -> list[str]:
    from delphi.services.assessments import exports

    seen: list[str] = []
    original = exports.to_pdf

    def spy(html, stylesheets):
        seen.append(html)
        return original(html, stylesheets)

    monkeypatch.setattr(exports, "to_pdf", spy)
    return seen


def _everything(client, aid: int, monkeypatch) -> tuple[str, dict, list[str], str]:
    seen = _capture_pdf_html(monkeypatch)
    page = client.get(f"/assessor/assessments/{aid}/benchmark")
    assert page.status_code == 200
    doc = json.loads(client.get(f"/assessor/assessments/{aid}/export.json").data)
    wb = load_workbook(io.BytesIO(client.get(f"/assessor/assessments/{aid}/export.xlsx").data))
    cells = [str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    pdf = client.get(f"/assessor/assessments/{aid}/export.pdf")
    assert pdf.data.startswith(b"%PDF")
    return page.data.decode(), doc, cells + wb.sheetnames, seen[-1]


def _assert_nobody_named(html: str, doc: dict, cells: list[str], pdf_html: str) -> None:
    text = "\n".join([html, json.dumps(doc), "\n".join(cells), pdf_html])
    for name, slug in OTHERS.items():
        assert name not in text, name
        assert slug not in text.lower(), slug


def test_two_contributing_organisations_show_nothing(app, client, login_as, monkeypatch):
    mine = _org(app, "Portugal", "pt", opt_in=True, levels=level_a)
    _org(app, "Bravo Health Region", "bravo", opt_in=True, levels=level_b)
    _org(app, "Echo Not Opted In", "echo", opt_in=False, levels=lambda n: 5)  # finalised but not opted in
    _org(app, "Foxtrot Still Drafting", "foxtrot", opt_in=True, levels=lambda n: 5, finalise=False)
    login_as("lead@pt.example")
    html, doc, cells, pdf_html = _everything(client, mine, monkeypatch)
    assert "No benchmark yet" in html and "fewer than 3 organisations have contributed" in html
    assert "Median</th>" not in html and "participating organisations" not in html
    assert doc["benchmark"]["available"] is False and "indicators" not in doc["benchmark"]
    assert "Benchmark" not in cells  # no benchmark sheet
    assert "No benchmark is available" in pdf_html
    _assert_nobody_named(html, doc, cells, pdf_html)


def test_three_contributing_organisations_give_the_correct_median_and_highest(app, client, login_as, monkeypatch):
    mine = _org(app, "Portugal", "pt", opt_in=True, levels=level_a)
    # Bravo's older assessment (all 5) is superseded by its later one: only the latest finalised counts.
    _org(app, "Bravo Health Region", "bravo", opt_in=True, levels=lambda n: 5, reference_date=date(2023, 1, 1),
         title="Old")
    _org(app, "Bravo Health Region", "bravo", opt_in=True, levels=level_b)
    _org(app, "Charlie National System", "charlie", opt_in=True, levels=level_c)
    _org(app, "Echo Not Opted In", "echo", opt_in=False, levels=lambda n: 5)
    _org(app, "Foxtrot Still Drafting", "foxtrot", opt_in=True, levels=lambda n: 5, finalise=False)
    login_as("lead@pt.example")
    html, doc, cells, pdf_html = _everything(client, mine, monkeypatch)
    assert "Based on <strong>3 participating organisations</strong>, including yours" in html
    rows = {r["code"]: r for r in doc["benchmark"]["indicators"]}
    assert doc["benchmark"]["participants"] == 3 and len(rows) == 49
    # By hand (indicator n: Portugal 1 + n % 5, Bravo 2 + n % 4, Charlie 3; Charlie is N/A on n = 0):
    # I.1.1 (n=0): only 1 and 2 -> fewer than 3 levels, hidden.
    assert rows["I.1.1"] == {"code": "I.1.1", "own_level": 1, "median": None, "highest": None}
    # I.2.1 (n=1): 2, 3, 3 -> median 3, highest 3.
    assert (rows["I.2.1"]["median"], rows["I.2.1"]["highest"]) == (3.0, 3)
    # I.3.1 (n=2): 3, 4, 3 -> median 3, highest 4.
    assert (rows["I.3.1"]["median"], rows["I.3.1"]["highest"]) == (3.0, 4)
    # II.1.1 (n=3): 4, 5, 3 -> median 4, highest 5.
    assert (rows["II.1.1"]["median"], rows["II.1.1"]["highest"]) == (4.0, 5)
    # II.2.1 (n=4): 5, 2, 3 -> median 3, highest 5.
    assert (rows["II.2.1"]["median"], rows["II.2.1"]["highest"]) == (3.0, 5)
    codes = list(rows)
    for n, code in enumerate(codes[1:], start=1):
        values = sorted([level_a(n), level_b(n), 3])
        assert (rows[code]["median"], rows[code]["highest"]) == (float(values[1]), values[2]), code
    assert "too few levels to show" in html
    assert "Benchmark" in cells and "Based on 3 participating organisations" in pdf_html
    _assert_nobody_named(html, doc, cells, pdf_html)


def test_four_organisations_median_of_an_even_number_is_the_mean_of_the_middle_two(app, client, login_as):
    mine = _org(app, "Portugal", "pt", opt_in=True, levels=level_a)
    _org(app, "Bravo Health Region", "bravo", opt_in=True, levels=level_b)
    _org(app, "Charlie National System", "charlie", opt_in=True, levels=level_c)
    _org(app, "Delta Care", "delta", opt_in=True, levels=lambda n: 1)
    login_as("lead@pt.example")
    doc = json.loads(client.get(f"/assessor/assessments/{mine}/export.json").data)
    rows = {r["code"]: r for r in doc["benchmark"]["indicators"]}
    # I.1.1: 1, 2, 1 (Charlie N/A) -> three levels: median 1, highest 2.
    assert (rows["I.1.1"]["median"], rows["I.1.1"]["highest"]) == (1.0, 2)
    # I.2.1: 2, 3, 3, 1 -> 1 2 3 3: median (2 + 3) / 2 = 2.5, highest 3.
    assert (rows["I.2.1"]["median"], rows["I.2.1"]["highest"]) == (2.5, 3)
    html = client.get(f"/assessor/assessments/{mine}/benchmark").data.decode()
    assert "<td class=\"num\">2.5</td>" in html and "below by 0.5" in html


def test_an_organisation_that_does_not_contribute_still_sees_the_benchmark_but_is_not_counted(app, client,
                                                                                              login_as):
    mine = _org(app, "Portugal", "pt", opt_in=False, levels=lambda n: 5)
    _org(app, "Bravo Health Region", "bravo", opt_in=True, levels=level_b)
    _org(app, "Charlie National System", "charlie", opt_in=True, levels=lambda n: 3)
    _org(app, "Delta Care", "delta", opt_in=True, levels=lambda n: 1)
    login_as("lead@pt.example")
    html = client.get(f"/assessor/assessments/{mine}/benchmark").data.decode()
    assert "Based on <strong>3 participating organisations</strong>." in html and "including yours" not in html
    doc = json.loads(client.get(f"/assessor/assessments/{mine}/export.json").data)
    first = doc["benchmark"]["indicators"][0]
    assert (first["own_level"], first["median"], first["highest"]) == (5, 2.0, 3)  # Bravo 2, Charlie 3, Delta 1
