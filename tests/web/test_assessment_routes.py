"""Self-assessment pages: privacy (404 outside the organisation), roles (403 inside it), and the main flows."""
from __future__ import annotations

import io
import json
from datetime import date

from tests.conftest import csrf_from, csrf_token
from tests.web.test_assessment_fixtures import (
    add_action,
    add_member,
    fill,
    indicator_ids,
    org_id,
    page_urls,
    post_urls,
    start,
)


def _count(app, model, **where) -> int:
    from sqlalchemy import func, select

    from delphi.extensions import db

    with app.app_context():
        query = select(func.count()).select_from(model)
        for key, value in where.items():
            query = query.where(getattr(model, key) == value)
        return db.session.scalar(query)


def _two_organisations(app):
    add_member(app, "Portugal", "lead@pt.example", "lead", name="Lena Lead")
    add_member(app, "Portugal", "ana@pt.example", "assessor", name="Ana Assessor")
    add_member(app, "Estonia", "lead@ee.example", "lead")
    add_member(app, "Estonia", "eve@ee.example", "assessor")
    aid = start(app, "Portugal", "lead@pt.example", team=("ana@pt.example",))
    fill(app, aid, "lead@pt.example", only=10)
    action = add_action(app, aid, "lead@pt.example")
    return aid, org_id(app, "Portugal"), action


def test_anonymous_visitor_is_sent_to_login_from_every_page_and_export(app, client):
    aid, org, _ = _two_organisations(app)
    for url in ["/assessor/", *page_urls(aid, org)]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/auth/login" in response.headers["Location"], url


def test_assessor_of_another_organisation_gets_404_on_every_page_export_and_action(app, client, login_as):
    aid, org, action = _two_organisations(app)
    ind = indicator_ids(app, aid)[0]
    for email in ("eve@ee.example", "lead@ee.example"):
        login_as(email)
        for url in page_urls(aid, org):
            assert client.get(url).status_code == 404, (email, url)
        token = csrf_token(client, "/assessor/")
        for url in post_urls(aid, org, ind, action):
            response = client.post(url, data={"csrf_token": token, "opt_in": "y", "title": "x"},
                                   headers={"X-CSRFToken": token})
            assert response.status_code == 404, (email, url)
        client.post("/auth/logout", data={"csrf_token": token})
    # Nothing of Portugal's changed, and Estonia's own page never names it.
    from delphi.models.assessment import AssessmentAction, AssessmentAnswer

    assert _count(app, AssessmentAction) == 1 and _count(app, AssessmentAnswer) == 10
    login_as("eve@ee.example")
    assert b"Portugal" not in client.get("/assessor/").data


def test_unknown_assessment_and_action_ids_are_404(app, client, login_as):
    aid, org, action = _two_organisations(app)
    login_as("lead@pt.example")
    assert client.get("/assessor/assessments/99999").status_code == 404
    assert client.get(f"/assessor/assessments/{aid}/domains/99").status_code == 404
    other = start(app, "Portugal", "lead@pt.example", title="Second")
    token = csrf_token(client, "/assessor/")
    # An action of one assessment cannot be reached through another.
    assert client.post(f"/assessor/assessments/{other}/actions/{action}/delete",
                       data={"csrf_token": token}).status_code == 404


def test_non_lead_member_gets_403_for_lead_actions_and_nothing_changes(app, client, login_as):
    from delphi.models.assessment import Assessment, AssessmentStatus

    aid, org, _ = _two_organisations(app)
    fill(app, aid, "lead@pt.example")  # complete, so only the role stops finalising
    login_as("ana@pt.example")
    assert client.get(f"/assessor/organisations/{org}/assessments/new").status_code == 403
    assert client.get(f"/assessor/assessments/{aid}/settings").status_code == 403
    assert client.get(f"/assessor/assessments/{aid}/domains/1/consensus").status_code == 403
    token = csrf_token(client, f"/assessor/assessments/{aid}")
    new = client.post(f"/assessor/organisations/{org}/assessments/new",
                      data={"csrf_token": token, "title": "Mine", "reference_date": "2025-01-01", "version": 1})
    assert new.status_code == 403
    for url in (f"/assessor/assessments/{aid}/finalise", f"/assessor/assessments/{aid}/delete",
                f"/assessor/organisations/{org}/benchmark"):
        assert client.post(url, data={"csrf_token": token, "opt_in": "y"}).status_code == 403, url
    assert _count(app, Assessment) == 1
    assert _count(app, Assessment, status=AssessmentStatus.FINALISED) == 0
    page = client.get(f"/assessor/assessments/{aid}").data
    assert b"Finalise the assessment" not in page and b"Start an assessment" not in page


def test_admin_reads_every_organisation_but_cannot_answer(app, client, make_user, login_as):
    aid, org, _ = _two_organisations(app)
    make_user("root@example.org", roles=("admin",))
    login_as("root@example.org")
    for url in page_urls(aid, org):
        if url.endswith(("/new", "/settings", "/consensus")):
            assert client.get(url).status_code == 403, url
        else:
            assert client.get(url).status_code == 200, url
    token = csrf_token(client, f"/assessor/assessments/{aid}")
    ind = indicator_ids(app, aid)[0]
    r = client.post(f"/assessor/assessments/{aid}/indicators/{ind}/answer", json={"current_level": 2},
                    headers={"X-CSRFToken": token, "Accept": "application/json"})
    assert r.status_code == 403 and r.get_json()["error"] == "forbidden"


def test_lead_starts_an_assessment_with_a_team_through_the_form(app, client, login_as):
    from sqlalchemy import select

    from delphi.extensions import db
    from delphi.models import FrameworkVersion
    from delphi.models.assessment import Assessment

    add_member(app, "Portugal", "lead@pt.example", "lead")
    ana = add_member(app, "Portugal", "ana@pt.example", "assessor")
    login_as("lead@pt.example")
    org = org_id(app, "Portugal")
    page = client.get(f"/assessor/organisations/{org}/assessments/new")
    assert page.status_code == 200 and b"1+MG" in page.data  # the shipped MLM is offered on a fresh install
    with app.app_context():
        version_id = db.session.scalar(select(FrameworkVersion.id))
    bad = client.post(f"/assessor/organisations/{org}/assessments/new",
                      data={"csrf_token": csrf_from(page.data), "title": "", "reference_date": "2025-03-31",
                            "version": version_id})
    assert bad.status_code == 400 and b"Give the assessment a title." in bad.data
    r = client.post(f"/assessor/organisations/{org}/assessments/new",
                    data={"csrf_token": csrf_from(page.data), "title": "National baseline 2025",
                          "scope": "Whole country", "reference_date": "2025-03-31", "version": version_id,
                          "team": [str(ana)], "team_mode": "y"})
    assert r.status_code == 302
    with app.app_context():
        a = db.session.scalar(select(Assessment))
        assert (a.title, a.reference_date, a.team_mode) == ("National baseline 2025", date(2025, 3, 31), True)
        assert [m.user_id for m in a.team] == [ana]
    overview = client.get(r.headers["Location"]).data.decode()
    assert "0 of 49 indicators answered" in overview


def test_save_button_without_javascript_stores_the_whole_domain(app, client, login_as):
    from delphi.extensions import db
    from delphi.models.assessment import AssessmentAnswer

    add_member(app, "Portugal", "lead@pt.example", "lead")
    aid = start(app, "Portugal", "lead@pt.example")
    i1, i2, i3 = indicator_ids(app, aid)[:3]  # domain I has three indicators
    login_as("lead@pt.example")
    page = client.get(f"/assessor/assessments/{aid}/domains/1")
    assert page.status_code == 200
    html = page.data.decode()
    assert "<fieldset class=\"levels\"" in html and "<legend>Current level of I.1.1</legend>" in html
    assert "0 of 49 indicators answered" in html
    r = client.post(f"/assessor/assessments/{aid}/domains/1", data={
        "csrf_token": csrf_from(page.data),
        f"a{i1}-current_level": "2", f"a{i1}-target_level": "4", f"a{i1}-target_date": "2027-12-31",
        f"a{i1}-confidence": "medium", f"a{i1}-evidence": "Strategy 2023", f"a{i1}-revision": "0",
        f"a{i1}-links": "https://example.org/strategy\nhttp://example.org/law",
        f"a{i2}-not_applicable": "1", f"a{i2}-na_reason": "No such body in a federal system",
        f"a{i3}-current_level": "", f"a{i3}-revision": "0", "next": "1"})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/assessments/{aid}/domains/2")
    with app.app_context():
        rows = {a.indicator_id: a for a in db.session.query(AssessmentAnswer).all()}
    assert set(rows) == {i1, i2}  # an untouched indicator gets no empty row
    assert (rows[i1].current_level, rows[i1].target_level, rows[i1].confidence.value) == (2, 4, "medium")
    assert rows[i1].links == ["https://example.org/strategy", "http://example.org/law"]
    assert rows[i2].not_applicable and rows[i2].current_level is None
    again = client.get(f"/assessor/assessments/{aid}/domains/1").data.decode()
    assert "2 of 49 indicators answered" in again and "2 of 3" in again


def test_bad_value_on_the_page_shows_a_message_next_to_the_field_and_saves_only_the_valid_fields(app, client,
                                                                                                login_as):
    from delphi.extensions import db
    from delphi.models.assessment import AssessmentAnswer

    add_member(app, "Portugal", "lead@pt.example", "lead")
    aid = start(app, "Portugal", "lead@pt.example")
    i1, i2, _ = indicator_ids(app, aid)[:3]
    login_as("lead@pt.example")
    token = csrf_token(client, f"/assessor/assessments/{aid}/domains/1")
    r = client.post(f"/assessor/assessments/{aid}/domains/1", data={
        "csrf_token": token, f"a{i1}-current_level": "3", f"a{i1}-evidence": "kept on the page",
        f"a{i2}-current_level": "4", f"a{i2}-target_level": "2"})
    assert r.status_code == 400
    html = r.data.decode()
    assert "not saved entirely: everything else was saved" in html
    assert f'id="a{i2}-target_level-error"' in html and "The target level (2) is below the current level (4)" in html
    assert f'aria-describedby="a{i2}-target_level-error" aria-invalid="true"' in html
    assert "kept on the page" in html  # what the person typed is not lost
    with app.app_context():  # issue 15: the refused target is not stored, the valid fields are
        rows = {a.indicator_id: (a.current_level, a.target_level, a.evidence)
                for a in db.session.query(AssessmentAnswer)}
    assert rows == {i1: (3, None, "kept on the page"), i2: (4, None, "")}
    link = client.post(f"/assessor/assessments/{aid}/domains/1", data={
        "csrf_token": token, f"a{i1}-current_level": "3", f"a{i1}-links": "javascript:alert(1)"})
    assert link.status_code == 400 and b"is not a web link" in link.data
    seven = client.post(f"/assessor/assessments/{aid}/domains/1", data={"csrf_token": token,
                                                                        f"a{i1}-current_level": "7"})
    assert seven.status_code == 400 and b"must be a whole number from 1 to 5" in seven.data
    with app.app_context():
        assert db.session.query(AssessmentAnswer).filter_by(indicator_id=i1).one().links == []
    assert _count(app, AssessmentAnswer) == 2


def test_finalise_needs_every_indicator_then_makes_the_assessment_read_only(app, client, login_as):
    from delphi.extensions import db
    from delphi.models.assessment import Assessment, AssessmentStatus

    add_member(app, "Portugal", "lead@pt.example", "lead")
    aid = start(app, "Portugal", "lead@pt.example")
    fill(app, aid, "lead@pt.example", only=45)
    login_as("lead@pt.example")
    token = csrf_token(client, f"/assessor/assessments/{aid}")
    r = client.post(f"/assessor/assessments/{aid}/finalise", data={"csrf_token": token}, follow_redirects=True)
    assert b"4 indicators have no level yet" in r.data
    fill(app, aid, "lead@pt.example")
    r = client.post(f"/assessor/assessments/{aid}/finalise", data={"csrf_token": token}, follow_redirects=True)
    assert b"Assessment finalised" in r.data
    with app.app_context():
        assert db.session.get(Assessment, aid).status == AssessmentStatus.FINALISED
    page = client.get(f"/assessor/assessments/{aid}/domains/1").data.decode()
    assert "finalised: answers are read-only" in page and "Save this domain" not in page
    again = client.post(f"/assessor/assessments/{aid}/finalise", data={"csrf_token": token}, follow_redirects=True)
    assert b"was finalised" in again.data
    settings = client.get(f"/assessor/assessments/{aid}/settings")
    assert settings.status_code == 302
    ind = indicator_ids(app, aid)[0]
    refused = client.post(f"/assessor/assessments/{aid}/domains/1",
                          data={"csrf_token": token, f"a{ind}-current_level": "5"}, follow_redirects=True)
    assert b"read-only; nothing was changed" in refused.data
    deleted = client.post(f"/assessor/assessments/{aid}/delete", data={"csrf_token": token}, follow_redirects=True)
    assert b"read-only" in deleted.data
    with app.app_context():
        assert db.session.get(Assessment, aid) is not None


def test_action_plan_shows_each_action_with_its_gap_and_stays_live(app, client, login_as):
    from delphi.extensions import db
    from delphi.models.assessment import ActionStatus, AssessmentAction

    add_member(app, "Portugal", "lead@pt.example", "lead")
    aid = start(app, "Portugal", "lead@pt.example")
    fill(app, aid, "lead@pt.example", level=lambda n, code: 2, target=lambda n, cur: 4)
    ind = indicator_ids(app, aid)[0]
    login_as("lead@pt.example")
    page = client.get(f"/assessor/assessments/{aid}/actions?indicator={ind}")
    assert page.status_code == 200
    r = client.post(f"/assessor/assessments/{aid}/actions", data={
        "csrf_token": csrf_from(page.data), "indicator": ind, "description": "Set up a national genomics board",
        "owner": "Ministry of Health", "due_date": "2026-06-30", "status": "open"}, follow_redirects=True)
    html = r.data.decode()
    assert "Action added" in html and "Set up a national genomics board" in html
    assert "level 2 → target 4 (gap +2)" in html
    with app.app_context():
        action = db.session.query(AssessmentAction).one()
    fill(app, aid, "lead@pt.example", level=lambda n, code: 2, target=lambda n, cur: 4, finalise=True)
    edit = client.post(f"/assessor/assessments/{aid}/actions/{action.id}", data={
        "csrf_token": csrf_from(page.data), f"act{action.id}-indicator": ind,
        f"act{action.id}-description": "Set up a national genomics board", f"act{action.id}-owner": "MoH",
        f"act{action.id}-due_date": "2026-06-30", f"act{action.id}-status": "done"}, follow_redirects=True)
    assert b"Action saved" in edit.data
    with app.app_context():
        assert db.session.get(AssessmentAction, action.id).status == ActionStatus.DONE
    empty = client.post(f"/assessor/assessments/{aid}/actions", data={
        "csrf_token": csrf_from(page.data), "indicator": ind, "description": ""})
    assert empty.status_code == 400 and b"Describe the action." in empty.data


def test_exports_carry_the_results_and_neutralise_spreadsheet_formulas(app, client, login_as):
    from openpyxl import load_workbook

    from delphi.extensions import db
    from delphi.models.assessment import Assessment
    from delphi.services.accounts import users
    from delphi.services.assessments import answers, lifecycle
    from delphi.services.assessments.answers import SOLO_FIELDS, AnswerInput

    add_member(app, "Portugal", "lead@pt.example", "lead")
    aid = start(app, "Portugal", "lead@pt.example", title="=cmd|' /C calc'!A0")
    fill(app, aid, "lead@pt.example")
    with app.app_context():
        a = db.session.get(Assessment, aid)
        ind = lifecycle.tree(a.version).indicators[0]
        answers.save(a, ind, AnswerInput(current_level=1, target_level=3,
                                                    evidence='=HYPERLINK("http://evil.example","click")'),
                                fields=SOLO_FIELDS, by=users.find_by_email("lead@pt.example"))
        db.session.commit()
    add_action(app, aid, "lead@pt.example", description="+SUM(1,2)")
    login_as("lead@pt.example")
    data = client.get(f"/assessor/assessments/{aid}/export.json")
    assert data.status_code == 200 and data.mimetype == "application/json"
    assert "attachment" in data.headers["Content-Disposition"] and data.headers["Cache-Control"] == "private, no-store"
    doc = json.loads(data.data)
    assert doc["assessment"]["organisation"] == "Portugal" and len(doc["indicators"]) == 49
    assert doc["indicators"][0]["current_level"] == 1 and doc["gaps"][0]["gap"] == 2
    assert doc["methods"]["median"].startswith("Median")
    xlsx = client.get(f"/assessor/assessments/{aid}/export.xlsx")
    assert xlsx.status_code == 200
    wb = load_workbook(io.BytesIO(xlsx.data))
    assert set(wb.sheetnames) >= {"Assessment", "Indicators", "Domains", "Gaps", "Action plan"}
    # Formula-like texts are kept as they are, in cells typed as text (with Excel's quote prefix): never run.
    cells = {c.value: c for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    for text in ('=HYPERLINK("http://evil.example","click")', "+SUM(1,2)", "=cmd|' /C calc'!A0"):
        assert cells[text].data_type == "s" and cells[text].quotePrefix, text
    assert all(c.data_type == "s" for t, c in cells.items() if t[:1] in ("=", "+", "-", "@"))
    assert all(c.data_type != "f" for ws in wb.worksheets for row in ws.iter_rows() for c in row)
    pdf = client.get(f"/assessor/assessments/{aid}/export.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF") and pdf.mimetype == "application/pdf"
    assert client.get(f"/assessor/assessments/{aid}/export.csv").status_code == 404


def test_results_page_has_a_radar_per_domain_with_numbers_beside_and_labelled_methods(app, client, login_as):
    add_member(app, "Portugal", "lead@pt.example", "lead")
    aid = start(app, "Portugal", "lead@pt.example")
    fill(app, aid, "lead@pt.example", level=lambda n, code: 1 + n % 5, target=lambda n, cur: min(5, cur + 2))
    login_as("lead@pt.example")
    html = client.get(f"/assessor/assessments/{aid}/results").data.decode()
    assert html.count('<svg class="chart radar"') == 8
    assert html.count('<table class="numbers">') == 8
    assert "no official aggregate score" in html and "Median: the middle value" in html
    assert '<table class="heatmap">' in html and html.count('<td class="heat lv-') == 49
    assert "Gaps, largest first" in html and "Strengths (" in html and "Weaknesses (" in html
    assert "Plan an action" in html


def test_benchmark_opt_in_is_the_leads_choice(app, client, login_as):
    from delphi.extensions import db
    from delphi.models import Organisation

    add_member(app, "Portugal", "lead@pt.example", "lead")
    add_member(app, "Portugal", "ana@pt.example", "assessor")
    org = org_id(app, "Portugal")
    login_as("ana@pt.example")
    page = client.get(f"/assessor/organisations/{org}")
    assert b"Your lead assessor decides" in page.data
    assert client.post(f"/assessor/organisations/{org}/benchmark",
                       data={"csrf_token": csrf_from(page.data), "opt_in": "y"}).status_code == 403
    client.post("/auth/logout", data={"csrf_token": csrf_from(page.data)})
    login_as("lead@pt.example")
    page = client.get(f"/assessor/organisations/{org}")
    r = client.post(f"/assessor/organisations/{org}/benchmark", data={"csrf_token": csrf_from(page.data),
                                                                      "opt_in": "y"}, follow_redirects=True)
    assert b"now contributes" in r.data
    with app.app_context():
        assert db.session.get(Organisation, org).benchmark_opt_in is True
    client.post(f"/assessor/organisations/{org}/benchmark", data={"csrf_token": csrf_from(page.data)})
    with app.app_context():
        assert db.session.get(Organisation, org).benchmark_opt_in is False


def test_team_mode_lead_sees_the_spread_and_records_the_agreed_level(app, client, login_as):
    from delphi.extensions import db
    from delphi.models.assessment import AssessmentAnswer

    add_member(app, "Portugal", "lead@pt.example", "lead", name="Lena Lead")
    add_member(app, "Portugal", "ana@pt.example", "assessor", name="Ana Assessor")
    add_member(app, "Portugal", "bo@pt.example", "assessor", name="Bo Assessor")
    aid = start(app, "Portugal", "lead@pt.example", team=("ana@pt.example", "bo@pt.example"), team_mode=True)
    i1, i2, _ = indicator_ids(app, aid)[:3]
    for email, levels in (("ana@pt.example", (1, 3)), ("bo@pt.example", (3, 3)), ("lead@pt.example", (4, 3))):
        login_as(email)
        token = csrf_token(client, f"/assessor/assessments/{aid}/domains/1")
        for ind, level in zip((i1, i2), levels):
            r = client.post(f"/assessor/assessments/{aid}/indicators/{ind}/answer",
                            json={"my_level": level, "my_comment": f"{email} thinks {level}"},
                            headers={"X-CSRFToken": token, "Accept": "application/json"})
            assert r.status_code == 200, r.get_json()
            assert r.get_json()["progress"]["answered"] == 0  # individual levels are not the agreed answer
        if email != "lead@pt.example":
            assert client.get(f"/assessor/assessments/{aid}/domains/1/consensus").status_code == 403
            client.post("/auth/logout", data={"csrf_token": token})
    page = client.get(f"/assessor/assessments/{aid}/domains/1/consensus")
    html = page.data.decode()
    assert "min 1 · median 3 · max 4" in html and "discuss: levels differ by 3" in html
    assert "min 3 · median 3 · max 3" in html and html.count("discuss: levels differ") == 1
    assert "Ana Assessor" in html and "ana@pt.example thinks 1" in html
    overview = client.get(f"/assessor/assessments/{aid}").data.decode()
    assert "1 differ by 2+" in overview
    r = client.post(f"/assessor/assessments/{aid}/domains/1/consensus", data={
        "csrf_token": csrf_from(page.data), f"a{i1}-current_level": "3", f"a{i1}-target_level": "4",
        f"a{i1}-agreed_note": "Agreed after discussing the regional boards", f"a{i1}-revision": "0",
        f"a{i2}-current_level": "3", f"a{i2}-revision": "0"})
    assert r.status_code == 302
    with app.app_context():
        agreed = db.session.query(AssessmentAnswer).filter_by(indicator_id=i1).one()
        assert (agreed.current_level, agreed.agreed_note, agreed.agreed_by_id is not None) == (
            3, "Agreed after discussing the regional boards", True)
    answer_page = client.get(f"/assessor/assessments/{aid}/domains/1").data.decode()
    assert "Agreed level:" in answer_page and "<strong>3</strong>" in answer_page
    assert "2 of 49 indicators answered" in answer_page


def test_glossary_terms_are_explained_where_they_occur_and_absent_glossary_shows_no_list(app, client, login_as):
    from dataclasses import replace

    import framework as fwlib

    from delphi.extensions import db
    from delphi.services.frameworks import versions

    add_member(app, "Portugal", "lead@pt.example", "lead")
    with app.app_context():
        doc = fwlib.load_shipped("1plusmg-mlm")
        doc = replace(doc, glossary=(fwlib.GlossaryTerm(term="Centrally", definition="Based within a national or "
                                                        "regional <node>."),
                                     fwlib.GlossaryTerm(term="governance", definition="How decisions are made.")))
        versions.import_document(doc, slug="mlm-glossary", label="g1", release=True)
        versions.import_document(replace(doc, glossary=()), slug="mlm-plain", label="p1", release=True)
        db.session.commit()
    with_terms = start(app, "Portugal", "lead@pt.example", version_ref="mlm-glossary:g1")
    plain = start(app, "Portugal", "lead@pt.example", title="Plain", version_ref="mlm-plain:p1")
    login_as("lead@pt.example")
    html = client.get(f"/assessor/assessments/{with_terms}/domains/1").data.decode()
    assert '<abbr class="term" title="Based within a national or regional &lt;node&gt;.">centrally</abbr>' in html
    assert "Terms used on this page" in html and "<dfn>Centrally</dfn>" in html
    assert '<abbr class="term" title="How decisions are made.">governance</abbr>' in html
    html = client.get(f"/assessor/assessments/{plain}/domains/1").data.decode()
    assert "<abbr" not in html and "Terms used on this page" not in html


def test_progress_page_compares_assessments_a_year_apart(app, client, login_as):
    add_member(app, "Portugal", "lead@pt.example", "lead")
    first = start(app, "Portugal", "lead@pt.example", title="Baseline", reference_date=date(2024, 3, 31))
    fill(app, first, "lead@pt.example", level=lambda n, code: 2, finalise=True)
    second = start(app, "Portugal", "lead@pt.example", title="Follow-up", reference_date=date(2025, 3, 31))
    fill(app, second, "lead@pt.example", level=lambda n, code: 3 if n < 10 else (1 if n == 10 else 2),
         finalise=True)
    login_as("lead@pt.example")
    html = client.get(f"/assessor/organisations/{org_id(app, 'Portugal')}/progress").data.decode()
    assert "2024-03-31" in html and "2025-03-31" in html and '<svg class="chart line"' in html
    assert "10 indicators improved" in html and "1 declined" in html and "38 unchanged" in html
    assert html.count("▲ +1") == 10 and html.count("▼ -1") == 1


def test_team_member_saves_individual_levels_without_javascript(app, client, login_as):
    from delphi.extensions import db
    from delphi.models.assessment import AssessmentAnswer, AssessmentMemberLevel

    add_member(app, "Portugal", "lead@pt.example", "lead")
    ana = add_member(app, "Portugal", "ana@pt.example", "assessor")
    aid = start(app, "Portugal", "lead@pt.example", team=("ana@pt.example",), team_mode=True)
    i1, i2, _ = indicator_ids(app, aid)[:3]
    login_as("ana@pt.example")
    page = client.get(f"/assessor/assessments/{aid}/domains/1")
    html = page.data.decode()
    assert "<legend>Your individual level for I.1.1</legend>" in html and "Agreed level:" in html
    assert f'name="a{i1}-not_applicable"' not in html  # not applicable is part of the agreement, set by the lead
    r = client.post(f"/assessor/assessments/{aid}/domains/1", data={
        "csrf_token": csrf_from(page.data), f"a{i1}-my_level": "4", f"a{i1}-my_comment": "Board exists",
        f"a{i1}-target_level": "5", f"a{i2}-my_level": "2", f"a{i1}-current_level": "1"})
    assert r.status_code == 302
    with app.app_context():
        mine = {m.indicator_id: (m.level, m.comment) for m in db.session.query(AssessmentMemberLevel)
                .filter_by(user_id=ana)}
        shared = db.session.query(AssessmentAnswer).filter_by(indicator_id=i1).one()
    assert mine == {i1: (4, "Board exists"), i2: (2, "")}
    assert (shared.current_level, shared.target_level) == (None, 5)  # only the lead's agreement sets the level


def test_stale_page_save_reports_the_conflict_and_keeps_the_newer_answer(app, client, login_as):
    from delphi.extensions import db
    from delphi.models.assessment import AssessmentAnswer

    add_member(app, "Portugal", "lead@pt.example", "lead", name="Lena Lead")
    add_member(app, "Portugal", "ana@pt.example", "assessor", name="Ana Assessor")
    aid = start(app, "Portugal", "lead@pt.example", team=("ana@pt.example",))
    i1 = indicator_ids(app, aid)[0]
    login_as("ana@pt.example")
    token = csrf_token(client, f"/assessor/assessments/{aid}/domains/1")
    fill(app, aid, "lead@pt.example", only=1, level=lambda n, code: 4)  # the lead saves first (revision 1)
    r = client.post(f"/assessor/assessments/{aid}/domains/1", data={
        "csrf_token": token, f"a{i1}-current_level": "2", f"a{i1}-revision": "0"})
    assert r.status_code == 400
    assert "I.1.1 was changed by Lena Lead after you opened this page" in r.data.decode()
    assert f'name="a{i1}-revision" value="1"' in r.data.decode()  # saving again overwrites knowingly
    with app.app_context():
        assert db.session.query(AssessmentAnswer).one().current_level == 4


def test_lead_changes_settings_and_team(app, client, login_as):
    from delphi.extensions import db
    from delphi.models.assessment import Assessment

    add_member(app, "Portugal", "lead@pt.example", "lead")
    ana = add_member(app, "Portugal", "ana@pt.example", "assessor")
    outsider = add_member(app, "Estonia", "eve@ee.example", "assessor")
    aid = start(app, "Portugal", "lead@pt.example")
    login_as("lead@pt.example")
    page = client.get(f"/assessor/assessments/{aid}/settings")
    assert page.status_code == 200 and b"Framework version" not in page.data  # the version never changes
    r = client.post(f"/assessor/assessments/{aid}/settings", data={
        "csrf_token": csrf_from(page.data), "title": "Renamed", "scope": "North", "reference_date": "2025-02-28",
        "team": [str(ana)]})
    assert r.status_code == 302
    with app.app_context():
        a = db.session.get(Assessment, aid)
        assert (a.title, a.scope, a.reference_date, [m.user_id for m in a.team]) == (
            "Renamed", "North", date(2025, 2, 28), [ana])
    bad = client.post(f"/assessor/assessments/{aid}/settings", data={
        "csrf_token": csrf_from(page.data), "title": "Renamed", "reference_date": "2025-02-28",
        "team": [str(outsider)]})
    assert bad.status_code == 400  # not a choice: only members of the organisation can be on the team
    with app.app_context():
        assert [m.user_id for m in db.session.get(Assessment, aid).team] == [ana]
