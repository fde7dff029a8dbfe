"""A report you can hand to a ministry (issue 15): the assessment PDF's cover, executive summary and evidence annex;
the XLSX's native radar charts, percentages, real dates and formula-like texts kept as text; every CSV download
with a byte-order mark (and `?bom=0` without), which the platform's own readers accept."""
from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from openpyxl import load_workbook

from tests.web.test_assessment_fixtures import add_member, indicator_ids, start
from tests.web.test_pdf_structure import block_lines, login

BOM = b"\xef\xbb\xbf"


@pytest.fixture
def team_assessment(app):
    """A team-mode assessment: three members' levels on the first indicator (1, 3, 4), the agreed level 3 with a
    note, evidence and a link, a second indicator not applicable, two actions."""
    from delphi.extensions import db
    from delphi.models.assessment import ActionStatus, Assessment, Confidence
    from delphi.services.accounts import users
    from delphi.services.assessments import actions, answers, lifecycle
    from delphi.services.assessments.answers import CONSENSUS_FIELDS, TEAM_FIELDS, AnswerInput

    add_member(app, "Portugal", "lead@pt.example", "lead", name="Lena Lead")
    add_member(app, "Portugal", "ana@pt.example", "assessor", name="Ana Assessor")
    add_member(app, "Portugal", "bo@pt.example", "assessor", name="Bo Assessor")
    aid = start(app, "Portugal", "lead@pt.example", title="=National baseline 2026",
                team=("ana@pt.example", "bo@pt.example"), team_mode=True, reference_date=date(2025, 12, 31))
    i1, i2 = indicator_ids(app, aid)[:2]
    with app.app_context():
        a = db.session.get(Assessment, aid)
        tree = lifecycle.tree(a.version)
        lead = users.find_by_email("lead@pt.example")
        for email, level in (("ana@pt.example", 1), ("bo@pt.example", 3), ("lead@pt.example", 4)):
            answers.save_my_level(a, tree.by_id[i1], AnswerInput(my_level=level, my_comment=f"{email} says"),
                                  by=users.find_by_email(email))
        answers.save(a, tree.by_id[i1], AnswerInput(current_level=3, target_level=5,
                                                    agreed_note="Agreed after the regional boards' workshop"),
                     fields=CONSENSUS_FIELDS, by=lead)
        answers.save(a, tree.by_id[i1], AnswerInput(
            target_level=5, target_date=date(2027, 12, 31), confidence=Confidence.HIGH,
            evidence="+Strategy 2025–2030, section 4", links=("https://example.org/strategy.pdf",)),
            fields=TEAM_FIELDS, by=lead)
        answers.save(a, tree.by_id[i2], AnswerInput(not_applicable=True, na_reason="No regional level here"),
                     fields=CONSENSUS_FIELDS, by=lead)
        actions.add(a, tree, indicator_id=i1, description="Adopt the national work plan", owner="Ministry",
                    due_date=date(2026, 6, 30), status=ActionStatus.IN_PROGRESS, by=lead)
        actions.add(a, tree, indicator_id=i1, description="Publish the evaluation", owner="Agency",
                    due_date=date(2026, 3, 31), status=ActionStatus.DONE, by=lead)
        db.session.commit()
    return aid


def _pdf_html(app, aid: int, monkeypatch) -> tuple[str, list[str]]:
    from delphi.services.assessments import exports

    seen = {}
    real = exports.to_pdf

    def spy(html, stylesheet_paths):
        seen.update(html=html, stylesheets=stylesheet_paths)
        return real(html, stylesheet_paths)

    monkeypatch.setattr(exports, "to_pdf", spy)
    client = app.test_client()
    login(client, "lead@pt.example")
    assert client.get(f"/assessor/assessments/{aid}/export.pdf").status_code == 200
    return seen["html"], seen["stylesheets"]


def test_the_pdf_has_a_cover_an_executive_summary_and_an_evidence_annex(app, team_assessment, monkeypatch):
    from delphi.services.assessments import exports

    html, stylesheets = _pdf_html(app, team_assessment, monkeypatch)
    text = "\n".join(" ".join(lines) for lines in block_lines(exports.document(html, stylesheets), 1))
    flat = " ".join(text.split())
    # The cover
    for fact in ("Self-assessment report", "=National baseline 2026", "Portugal", "Framework version", "2022",
                 "Reference date", "2025-12-31", "In progress (draft report)", "Date generated"):
        assert fact in html, fact
    # The executive summary: every domain's mean current and target, strengths, gaps, the plan's headline
    assert "Executive summary" in flat and "Mean current" in flat and "Mean target" in flat
    assert "Main strengths (highest levels)" in flat and "Main gaps (target minus current)" in flat
    assert "2 actions planned: 0 open, 1 in progress, 1 done." in flat
    assert "Next actions due" in html and "Adopt the national work plan" in html
    assert html.index("Adopt the national work plan") < html.index("Summary by domain")  # done ones are left out
    assert "Publish the evaluation" not in html[:html.index("Summary by domain")]
    # Radars and heat-map come after the summary, the annex last
    assert html.index("Executive summary") < html.index("Profile per domain") < html.index("Heat-map") \
        < html.index("Annex: evidence per indicator")
    annex = html[html.index("Annex: evidence per indicator"):]
    assert "+Strategy 2025–2030, section 4" in annex and "https://example.org/strategy.pdf" in annex
    assert "Agreed after the regional boards&#39; workshop" in annex
    assert "Not applicable: No regional level here" in annex
    assert "3 given: 1, 3, 4 (lowest 1 · median 3 · highest 4)" in annex
    assert "confidence high" in " ".join(annex.split())
    # The spread carries no names and no members' comments: the levels, not who gave them.
    for private in ("Ana Assessor", "Bo Assessor", "ana@pt.example says"):
        assert private not in annex
    assert "Members' levels" in flat and "Annex: evidence per indicator" in flat


def test_the_executive_summary_gives_each_domains_mean_level_and_target(app, team_assessment):
    from delphi.extensions import db
    from delphi.models.assessment import Assessment
    from delphi.services.assessments import exports

    with app.app_context():
        report = exports.build(db.session.get(Assessment, team_assessment))
        first = report.glance[0]
        assert (first.domain.node.code, first.mean_current, first.mean_target) == ("I", 3.0, 5.0)
        assert [g.mean_current for g in report.glance[1:]] == [None] * 7
        assert [i.node.code for i in report.top_strengths] == ["I.1.1"]
        assert [(g.node.code, g.gap) for g in report.top_gaps] == [("I.1.1", 2)]
        assert report.plan_counts == {"open": 0, "in progress": 1, "done": 1}
        assert [v.action.description for v in report.next_actions] == ["Adopt the national work plan"]
        assert set(report.spreads) == {indicator_ids(app, team_assessment)[0]}


def test_the_xlsx_has_a_radar_chart_per_domain_percentages_dates_and_texts_as_text(app, team_assessment):
    client = app.test_client()
    login(client, "lead@pt.example")
    wb = load_workbook(io.BytesIO(client.get(f"/assessor/assessments/{team_assessment}/export.xlsx").data))
    profiles = [ws for ws in wb.worksheets if ws.title.startswith("Profile ")]
    assert [ws.title for ws in profiles] == [f"Profile {c}" for c in ("I", "II", "III", "IV", "V", "VI", "VII", "VIII")]
    first = profiles[0]
    assert [c.value for c in first[1]] == ["Indicator", "Current level", "Target level"]
    assert [c.value for c in first[2]] == ["I.1.1", 3, 5]
    assert len(first._charts) == 1 and first._charts[0].tagname == "radarChart"

    domains = wb["Domains"]
    share = domains.cell(row=2, column=8)
    assert (share.value, share.number_format) == (1.0, "0%")
    about = wb["Assessment"]
    assert about["B4"].value == datetime(2025, 12, 31) and about["B4"].number_format == "yyyy-mm-dd"
    assert isinstance(about["B9"].value, datetime)
    target_date = wb["Indicators"].cell(row=2, column=7)
    assert target_date.value == datetime(2027, 12, 31) and target_date.number_format == "yyyy-mm-dd"
    due = wb["Action plan"].cell(row=2, column=4)
    assert due.is_date and due.number_format == "yyyy-mm-dd"

    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    title = about["B2"]
    assert (title.value, title.data_type, title.quotePrefix) == ("=National baseline 2026", "s", True)
    evidence = wb["Indicators"].cell(row=2, column=11)
    assert (evidence.value, evidence.data_type) == ("+Strategy 2025–2030, section 4", "s")


# --------------------------------------------------------------------------------------------------------------
# CSV: a byte-order mark by default, plain UTF-8 on request, and the platform reads its own files back

@pytest.fixture
def rated_study(app):
    from delphi.extensions import db
    from delphi.services.studies import ratings, rounds
    from tests.study_helpers import make_study, open_first_round, organiser

    with app.app_context():
        study = make_study(n_experts=3, kinds=("domain",), title="Délfská studie")
        rnd = open_first_round(study)
        for n, p in enumerate(study.panelists):
            for ri in rnd.round_items:
                ratings.save(rnd, p, ri.item_id, ratings={"agreement": 1 + n},
                             comment="Καλό · Хорошо · Dobře" if n == 0 else None)
        rounds.close(rnd, by=organiser())
        db.session.commit()
        return study.id, rnd.id


def test_every_csv_download_starts_with_a_bom_and_bom_0_gives_plain_utf8(app, rated_study, tmp_path):
    from delphi.stats import read_ratings

    study_id, round_id = rated_study
    client = app.test_client()
    login(client, "olga@example.org")
    for url in (f"/organiser/studies/{study_id}/ratings.csv", f"/organiser/rounds/{round_id}/results.csv"):
        with_bom, plain = client.get(url), client.get(url + "?bom=0")
        assert with_bom.status_code == plain.status_code == 200, url
        assert with_bom.mimetype == "text/csv" and with_bom.mimetype_params.get("charset") == "utf-8"
        assert with_bom.data.startswith(BOM) and not with_bom.data[3:].startswith(BOM), url
        assert not plain.data.startswith(BOM) and with_bom.data[3:] == plain.data, url
    ratings_csv = client.get(f"/organiser/studies/{study_id}/ratings.csv").data
    assert "Καλό · Хорошо · Dobře" in ratings_csv.decode("utf-8-sig")
    # delphi analyse reads the file Excel gets
    path = tmp_path / "ratings.csv"
    path.write_bytes(ratings_csv)
    frame = read_ratings(path, (1, 5))
    assert {"round", "item", "panelist", "question", "rating"} <= set(frame.columns) and len(frame) == 3 * 8
    # The data package's CSVs are for re-analysis: plain UTF-8
    import zipfile

    package = zipfile.ZipFile(io.BytesIO(client.get(f"/organiser/studies/{study_id}/data-package.zip").data))
    assert not package.read("ratings.csv").startswith(BOM)


def test_the_framework_csv_download_has_a_bom_and_imports_back_unchanged(app, client, make_user, login_as):
    import framework
    from delphi.extensions import db
    from delphi.services.frameworks import versions

    with app.app_context():
        document = versions.to_document(versions.ensure_shipped())
        db.session.commit()
    make_user("olga@example.org", name="Olga", roles=("organiser",))
    login_as("olga@example.org")
    url = "/organiser/frameworks/1plusmg-mlm/versions/2022/export/csv"
    with_bom, plain = client.get(url), client.get(url + "?bom=0")
    assert with_bom.status_code == 200 and with_bom.data.startswith(BOM)
    assert not plain.data.startswith(BOM) and with_bom.data[3:] == plain.data
    back = framework.load(with_bom.data, "csv", filename="mlm.csv", name=document.name)
    assert list(back.indicators()) == list(document.indicators())
