"""Importing an earlier assessment from the spreadsheet a team kept (issue 15): a row-by-row report first, nothing
stored until confirmed; a complete file becomes a finalised baseline that progress over time starts from."""
from __future__ import annotations

import io
import re

from openpyxl import Workbook
from sqlalchemy import func, select

from delphi.extensions import db
from delphi.models.assessment import Assessment, AssessmentAnswer, AssessmentStatus
from tests.conftest import csrf_from
from tests.web.test_assessment_fixtures import add_member

LEAD = "lead@cz.example"


def _codes(app) -> list[str]:
    with app.app_context():
        from delphi.services.assessments import lifecycle
        from delphi.services.frameworks import versions

        shipped = versions.ensure_shipped()
        db.session.commit()
        return [i.code for i in lifecycle.tree(shipped).indicators], shipped.id


def _csv(rows, sep=",", header=("Indicator code", "Current level", "Target", "Evidence")) -> bytes:
    import csv

    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=sep)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def _upload(client, org_id, version_id, data: bytes, filename: str):
    page = client.get(f"/assessor/organisations/{org_id}/baseline")
    assert page.status_code == 200
    return client.post(f"/assessor/organisations/{org_id}/baseline", data={
        "csrf_token": csrf_from(page.data), "file": (io.BytesIO(data), filename), "title": "Baseline 2023 (Česko)",
        "reference_date": "2023-12-31", "version": str(version_id)}, content_type="multipart/form-data")


def _confirm(client, preview_html: str, org_id: int, finalise: str):
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', preview_html))
    fields["csrf_token"] = csrf_from(preview_html)
    fields["finalise"] = finalise
    import html as h

    fields = {k: h.unescape(v) for k, v in fields.items()}
    return client.post(f"/assessor/organisations/{org_id}/baseline/confirm", data=fields, follow_redirects=True)


def _stored(app):
    with app.app_context():
        return (db.session.scalar(select(func.count()).select_from(Assessment)),
                db.session.scalar(select(func.count()).select_from(AssessmentAnswer)))


def test_a_complete_semicolon_csv_becomes_a_finalised_baseline(app, client, login_as):
    org_id = add_member(app, "Česko", LEAD, "lead") and None
    codes, version_id = _codes(app)
    with app.app_context():
        from delphi.models import Organisation

        org_id = db.session.scalar(select(Organisation.id).where(Organisation.name == "Česko"))
    rows = [(code, 1 + n % 4, 2 + n % 4, f"Zdroj č. {n}; viz strategie") for n, code in enumerate(codes)]
    rows[3] = (codes[3], "n/a", "", "Not organised nationally")
    login_as(LEAD)
    preview = _upload(client, org_id, version_id, _csv(rows, sep=";"), "základ.csv")
    html = preview.data.decode()
    assert preview.status_code == 200 and f"{len(codes)} rows read" in html and "0 refused" in html
    assert _stored(app) == (0, 0)  # nothing stored before the confirmation
    done = _confirm(client, html, org_id, "1")
    assert "as “Baseline 2023 (Česko)” (finalised)" in done.data.decode()
    with app.app_context():
        a = db.session.scalar(select(Assessment))
        assert a.status == AssessmentStatus.FINALISED and a.reference_date.isoformat() == "2023-12-31"
        from delphi.models import Indicator

        stored = {code: ans for ans, code in db.session.execute(
            select(AssessmentAnswer, Indicator.code).join(Indicator, Indicator.id == AssessmentAnswer.indicator_id)
            .where(AssessmentAnswer.assessment_id == a.id))}
        assert stored[codes[0]].current_level == 1 and stored[codes[0]].target_level == 2
        assert stored[codes[0]].evidence == "Zdroj č. 0; viz strategie"
        assert stored[codes[3]].not_applicable and stored[codes[3]].na_reason == "Not organised nationally"


def test_refused_rows_are_reported_by_line_and_the_rest_imports_in_progress(app, client, login_as):
    add_member(app, "Česko", LEAD, "lead")
    codes, version_id = _codes(app)
    with app.app_context():
        from delphi.models import Organisation

        org_id = db.session.scalar(select(Organisation.id).where(Organisation.name == "Česko"))
    wb = Workbook()
    ws = wb.active
    ws.append(["Baseline kept by the national team"])  # a title above the table
    ws.append(["Code", "Level", "Target level", "Comments"])
    ws.append([codes[0], 3, 4, "ok"])
    ws.append([codes[1], 4, 2, "target below"])
    ws.append(["IX.9.9", 2, 3, "no such indicator"])
    ws.append([codes[0], 2, 3, "again"])
    ws.append([codes[2], 7, None, "off the scale"])
    ws.append([codes[4], 2.0, 3.0, "numbers as Excel writes them"])
    buffer = io.BytesIO()
    wb.save(buffer)
    login_as(LEAD)
    preview = _upload(client, org_id, version_id, buffer.getvalue(), "baseline.xlsx")
    html = preview.data.decode()
    assert "2 rows read" in html and "4 refused" in html
    for line, reason in ((4, "target 2 is below the level 4"), (5, "&#39;IX.9.9&#39; is not an indicator"),
                         (6, "already has a row (row 3)"), (7, "level &#39;7&#39; is not a whole number")):
        assert re.search(rf'<td class="num">{line}</td>(?:(?!<tr>).)*?{re.escape(reason)}', html, re.S), (line, reason)
    assert "Import as a finalised baseline" not in html
    refused = _confirm(client, html, org_id, "1")  # a finalised import of an incomplete file is refused
    assert "A finalised baseline needs every indicator" in refused.data.decode() and _stored(app) == (0, 0)
    done = _confirm(client, html, org_id, "0")
    assert "(in progress: complete it, then finalise)" in done.data.decode()
    assert _stored(app) == (1, 2)


def test_a_file_without_the_columns_is_refused_with_one_message(app, client, login_as):
    add_member(app, "Česko", LEAD, "lead")
    _codes_, version_id = _codes(app)
    with app.app_context():
        from delphi.models import Organisation

        org_id = db.session.scalar(select(Organisation.id).where(Organisation.name == "Česko"))
    login_as(LEAD)
    r = _upload(client, org_id, version_id, b"name,score\nx,1\n", "other.csv")
    assert r.status_code == 400 and "No header row with an indicator code column and a level column" in r.data.decode()
    assert _stored(app) == (0, 0)
    # An unquoted separator inside the evidence: the row is refused with its line, not cut short.
    r = _upload(client, org_id, version_id, b"code;level;evidence\nI.1.1;2;see; the plan\nI.2.1;3;fine\n", "x.csv")
    html = r.data.decode()
    assert "1 rows read" in html and "has 4 fields but the header has 3" in html


def test_only_the_lead_imports(app, client, login_as):
    add_member(app, "Česko", LEAD, "lead")
    add_member(app, "Česko", "member@cz.example", "assessor")
    with app.app_context():
        from delphi.models import Organisation

        org_id = db.session.scalar(select(Organisation.id).where(Organisation.name == "Česko"))
    login_as("member@cz.example")
    assert client.get(f"/assessor/organisations/{org_id}/baseline").status_code == 403
