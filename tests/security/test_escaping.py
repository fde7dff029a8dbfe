"""Script in anything a person can type or upload is shown as text: names, study titles, comments, framework
texts from an imported file, assessment texts — on the pages and in the HTML the PDF reports are rendered from."""
from __future__ import annotations

import io

import pytest
from markupsafe import escape

import framework
from framework import Domain, Framework, GlossaryTerm, Indicator, Subdomain
from tests.conftest import csrf_from
from tests.security import world as W
from tests.security.test_access_sweep import client_for

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
RAW = ("<script>alert(1)", "<img src=x", "onerror=alert(1)>")


def assert_escaped(html: str, *payloads: str, where: str = "") -> None:
    for raw in RAW:
        assert raw not in html, f"{where}: unescaped {raw!r}"
    for payload in payloads:
        assert str(escape(payload)) in html, f"{where}: {payload!r} is not shown (escaped)"


@pytest.fixture
def captured_pdf_html(monkeypatch):
    """The HTML each PDF would be rendered from (WeasyPrint itself is not needed to check the escaping)."""
    pages: list[str] = []

    class FakeHTML:
        def __init__(self, string: str, **kwargs):
            pages.append(string)

        def render(self, **kwargs) -> "FakeHTML":  # the laid-out document; write_pdf() follows
            return self

        def write_pdf(self, **kwargs) -> bytes:
            return b"%PDF-captured"

    monkeypatch.setattr("weasyprint.HTML", FakeHTML)
    monkeypatch.setattr("weasyprint.CSS", lambda *a, **k: None)
    return pages


def test_names_titles_and_comments_are_escaped_on_every_page_and_in_the_pdf_html(app, captured_pdf_html):
    names = {W.ORGANISER_A: f"Olga {IMG}", W.EXPERT_A: f"Erin {SCRIPT}", W.EXPERT_A2: f"Emil {IMG}",
             W.ASSESSOR_A: f"Alma {SCRIPT}", "Organisation A": f"Org {IMG}", "Baseline A": f"Baseline {SCRIPT}",
             "scope": f"Scope {IMG}", "action": f"Plan {SCRIPT}", "owner": f"Owner {IMG}"}
    w = W.build(app, title_a=f"Study {SCRIPT}", comment=f"Comment {IMG}", names=names,
                groups=(f"clinicians {SCRIPT}", f"policy {IMG}"), evidence=f"Evidence {SCRIPT}")
    title, comment = f"Study {SCRIPT}", f"Comment {IMG}"
    organiser, expert = client_for(app, W.ORGANISER_A, 1), client_for(app, W.EXPERT_A, 2)
    assessor, admin = client_for(app, W.ASSESSOR_A, 3), client_for(app, W.ADMIN, 4)
    pages = [
        (organiser, "/organiser/", [title, names[W.ORGANISER_A]]),
        (organiser, f"/organiser/studies/{w.study_a}", [title]),
        (organiser, f"/organiser/studies/{w.study_a}/panel", [names[W.EXPERT_A], names[W.EXPERT_A2],
                                                              f"clinicians {SCRIPT}"]),
        (organiser, f"/organiser/rounds/{w.round_a1}?view=groups", [title, f"policy {IMG}"]),
        (organiser, f"/organiser/studies/{w.study_a}/report", [title]),
        (organiser, f"/organiser/studies/{w.study_a}/audit", [title]),
        (expert, "/expert/", [title, names[W.EXPERT_A]]),
        (expert, f"/expert/rounds/{w.round_a2}/domains/{w.domain_a}", [title, comment]),  # others' comments
        (expert, f"/expert/studies/{w.study_a}/consent", [title]),
        (assessor, f"/assessor/organisations/{w.org_a}", [names["Organisation A"], names[W.ASSESSOR_A],
                                                          names["Baseline A"]]),
        (assessor, f"/assessor/assessments/{w.assessment_a}", [names["Baseline A"], names["scope"]]),
        (assessor, f"/assessor/assessments/{w.assessment_a}/domains/1", [f"Evidence {SCRIPT}"]),
        (assessor, f"/assessor/assessments/{w.assessment_a}/actions", [names["action"], names["owner"]]),
        (assessor, f"/assessor/assessments/{w.assessment_a}/settings", [names["Baseline A"], names["scope"]]),
        (admin, f"/admin/organisations/{w.org_a}", [names["Organisation A"], names[W.ASSESSOR_A]]),
        (admin, "/admin/", [names[W.ORGANISER_A], names["Organisation A"]]),
    ]
    for client, url, payloads in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_escaped(response.data.decode(), *payloads, where=url)

    assert organiser.get(f"/organiser/studies/{w.study_a}/report.pdf").status_code == 200
    assert assessor.get(f"/assessor/assessments/{w.assessment_a}/export.pdf").status_code == 200
    report, assessment_report = captured_pdf_html
    assert_escaped(report, title, where="Delphi report PDF")
    assert_escaped(assessment_report, names["Organisation A"], names["Baseline A"], names["action"],
                   where="assessment PDF")


HOSTILE = Framework(
    name=f"Hostile {SCRIPT}", short_name="hostile", description=f"About {IMG}", source=f"Source {SCRIPT}",
    generic_levels=(f"G1 {SCRIPT}", f"G2 {IMG}", "G3", "G4", "G5"),
    glossary=(GlossaryTerm(term="Genome", definition=f"Defined {IMG}"),),
    domains=(Domain(code="X", title=f"Domain {SCRIPT}", subdomains=(Subdomain(
        code="X.1", title=f"Sub {IMG}", indicators=(
            Indicator(code="X.1.1", statement=f"The Genome {IMG}", guidance=f"Guide {SCRIPT}",
                      levels=(f"L1 {SCRIPT}", f"L2 {IMG}", "L3", "L4", "L5")),
            Indicator(code="X.1.2", statement=f"Second {SCRIPT}", levels=("a", "b", "c", "d", "e")))),)),))


def test_an_imported_framework_file_with_script_is_escaped_wherever_its_texts_appear(app, captured_pdf_html):
    from delphi.extensions import db
    from delphi.models import OrganisationRole, PlatformRole
    from delphi.services.accounts import organisations, users
    from delphi.services.assessments import lifecycle
    from delphi.services.frameworks import editing, versions
    from delphi.services.studies import design, panel, rounds

    with app.app_context():
        for email in (W.ORGANISER_A, W.EXPERT_A, W.ASSESSOR_A):
            users.create_user(email, email.split("@")[0], W.PASSWORD)
        users.grant_role(users.find_by_email(W.ORGANISER_A), PlatformRole.ORGANISER)
        db.session.commit()
    organiser = client_for(app, W.ORGANISER_A, 1)

    # Upload the file through the page, under a hostile file name too (a quote would not survive the
    # test client's multipart encoding, so the name is the tag alone).
    filename = "<img src=x onerror=alert(1)>.json"
    page = organiser.get("/organiser/frameworks/import")
    response = organiser.post("/organiser/frameworks/import", content_type="multipart/form-data", data={
        "csrf_token": csrf_from(page.data), "file": (io.BytesIO(framework.dump(HOSTILE, "json")), filename),
        "slug": "hostile", "label": "draft-1"}, follow_redirects=True)
    assert response.status_code == 200
    assert_escaped(response.data.decode(), filename, HOSTILE.name, HOSTILE.description, HOSTILE.source,
                   "The Genome " + IMG, f"L1 {SCRIPT}", f"G2 {IMG}", where="version page after import")
    base = "/organiser/frameworks/hostile/versions/draft-1"
    for url, payloads in ((base + "/edit", [f"Domain {SCRIPT}", f"G1 {SCRIPT}", f"Defined {IMG}"]),
                          (base + "/edit/domains/X", [f"Sub {IMG}", f"Second {SCRIPT}", f"L2 {IMG}"])):
        assert_escaped(organiser.get(url).data.decode(), *payloads, where=url)
    # A refused file's message quotes its content: escaped too.
    bad = framework.dump(HOSTILE, "csv").replace(b"level_5", f"level_5 {SCRIPT}".encode())
    refused = organiser.post("/organiser/frameworks/import", content_type="multipart/form-data", data={
        "csrf_token": csrf_from(page.data), "file": (io.BytesIO(bad), "bad.csv")})
    assert refused.status_code == 400
    assert_escaped(refused.data.decode(), where="refused import")

    # Release it (a release is never labelled like a draft: it gets 1.0); then its public page, a diff against
    # a reworded draft, a study and an assessment on it.
    page = organiser.get(base)
    assert organiser.post(base + "/release", data={"csrf_token": csrf_from(page.data), "label": "1.0"}
                          ).status_code == 302
    with app.app_context():
        released = versions.find_version("hostile", "1.0")
        draft = versions.new_draft(released, "draft-2", by=users.find_by_email(W.ORGANISER_A))
        editing.update_indicator(draft, "X.1.2", f"Reworded {IMG}", None, list("abcde"))
        study = design.create(f"Study {SCRIPT}", released, by=users.find_by_email(W.ORGANISER_A))
        protocol = dict(study.protocol, rated_kinds=["indicator", "level_set"])
        design.set_protocol(study, protocol, by=users.find_by_email(W.ORGANISER_A))
        panel.consent(panel.add(study, W.EXPERT_A, "Erin", by=None), None)
        from datetime import timedelta

        from delphi.db import utcnow

        rnd = rounds.open_round(study, utcnow() + timedelta(days=3), by=users.find_by_email(W.ORGANISER_A))
        org = organisations.create("Org")
        organisations.add_member(org, users.find_by_email(W.ASSESSOR_A), OrganisationRole.LEAD)
        lead = users.find_by_email(W.ASSESSOR_A)
        assessment = lifecycle.create(org, released, title="Baseline", reference_date=rnd.deadline.date(),
                                        team_user_ids=[lead.id], team_mode=False, by=lead)
        db.session.commit()
        ids = {"study": study.id, "round": rnd.id, "assessment": assessment.id}
    texts = ["The Genome ", f"Second {SCRIPT}", f"L1 {SCRIPT}"]
    public = organiser.get("/frameworks/hostile/1.0").data.decode()
    assert_escaped(public, HOSTILE.name, HOSTILE.source, *texts, where="public page")
    diff = organiser.get("/organiser/frameworks/hostile/diff?from=1.0&to=draft-2").data.decode()
    assert_escaped(diff, where="diff")
    assert "Reworded" in diff
    assert_escaped(organiser.get(f"/organiser/studies/{ids['study']}/report").data.decode(), f"Study {SCRIPT}",
                   where="report")
    expert = client_for(app, W.EXPERT_A, 2)
    rating_page = expert.get(f"/expert/rounds/{ids['round']}/domains/X", follow_redirects=True).data.decode()
    assert_escaped(rating_page, f"Second {SCRIPT}", f"L1 {SCRIPT}", where="expert rating page")
    assessor = client_for(app, W.ASSESSOR_A, 3)
    a = f"/assessor/assessments/{ids['assessment']}"
    answer = assessor.get(a + "/domains/1").data.decode()
    assert_escaped(answer, f"Second {SCRIPT}", f"L1 {SCRIPT}", f"Guide {SCRIPT}", where="answer page")
    assert f'title="{escape(f"Defined {IMG}")}"' in answer  # the glossary definition, inside an attribute
    for url in (a, a + "/results", a + "/actions"):
        assert_escaped(assessor.get(url).data.decode(), where=url)
    assert assessor.get(a + "/export.pdf").status_code == 200
    assert organiser.get(f"/organiser/studies/{ids['study']}/report.pdf").status_code == 200
    for html in captured_pdf_html:
        assert_escaped(html, where="PDF HTML")
    assert any(str(escape(f"Second {SCRIPT}")) in html for html in captured_pdf_html)
