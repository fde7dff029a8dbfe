"""Assessments in a language (issue 17): the framework texts of the answer pages, the results, the PDF and the
workbook in the assessment's language, marked with lang="…" where the reader's interface speaks another; chosen at
the start, changed in the settings (also once finalised: presentation only), refused when the version lacks it."""
from __future__ import annotations

import io
import re
from datetime import date

import pytest

from tests.conftest import csrf_from
from tests.web.test_assessment_fixtures import add_member, fill, org_id, start
from tests.web.test_pdf_structure import pdf_text

REF = "tiny:1"
GERMAN = {
    "domain.A.title": "Steuerung",
    "subdomain.A.1.title": "Strategie und Planung",
    "indicator.A.1.1.statement": "Es gibt eine nationale Strategie für Genommedizin.",
    "indicator.A.1.1.guidance": "Suchen Sie den beschlossenen Plan.",
    **{f"indicator.A.1.1.level.{n}": f"Stufe {n} auf Deutsch" for n in range(1, 6)},
    "generic_level.1": "Anfänglich",
    "glossary.strategy.term": "Strategie",
    "glossary.strategy.definition": "Ein beschlossener Plan mit Zielen.",
    "indicator.A.1.2.guidance": "   ",  # a blank target is no translation: the source stays
}
# A.1.2's statement and domain B have no translation: they are shown as written (in English).


def _levels(word: str) -> tuple[str, ...]:
    return tuple(f"{word} level {n}" for n in range(1, 6))


@pytest.fixture
def tiny(app) -> str:
    """A released two-domain version written in English with a partial German translation; returns its ref."""
    import framework as fwlib
    from delphi.extensions import db
    from delphi.models import FrameworkTranslation
    from delphi.services.frameworks import versions

    doc = fwlib.Framework(
        name="Tiny maturity model", short_name="tiny",
        generic_levels=("Initial", "Managed", "Defined", "Measured", "Optimised"),
        glossary=(fwlib.GlossaryTerm(term="strategy", definition="An adopted plan with goals."),),
        domains=(
            fwlib.Domain(code="A", title="Governance", subdomains=(fwlib.Subdomain(code="A.1", title="Strategy",
                indicators=(fwlib.Indicator(code="A.1.1", statement="A national strategy for genomic medicine "
                                            "exists.", guidance="Look for the adopted plan.", levels=_levels("Strat")),
                            fwlib.Indicator(code="A.1.2", statement="The plan is reviewed every year.",
                                            guidance="Minutes of the review.", levels=_levels("Review")))),)),
            fwlib.Domain(code="B", title="Data", subdomains=(fwlib.Subdomain(code="B.1", title="Sharing",
                indicators=(fwlib.Indicator(code="B.1.1", statement="Genomic data are shared safely.",
                                            levels=_levels("Share")),)),)),
        ))
    with app.app_context():
        version = versions.import_document(doc, slug="tiny", label="1")
        db.session.add_all(FrameworkTranslation(version_id=version.id, language="de", key=key, text=text)
                           for key, text in GERMAN.items())
        db.session.flush()
        versions.publish(version, by=None)
        db.session.commit()
    add_member(app, "Portugal", "lead@pt.example", "lead", name="Lena Lead")
    return REF


def _version(ref: str = REF):
    from delphi.services.frameworks import versions

    return versions.get_version(ref)


def _assessment(app, aid: int):
    from delphi.extensions import db
    from delphi.models.assessment import Assessment

    return db.session.get(Assessment, aid)


def _language_of(app, aid: int) -> str:
    with app.app_context():
        return _assessment(app, aid).language


def _german(app, **kwargs) -> int:
    aid = start(app, "Portugal", "lead@pt.example", version_ref=REF, **kwargs)
    with app.app_context():
        from delphi.extensions import db

        _assessment(app, aid).language = "de"
        db.session.commit()
    return aid


def _settings(client, aid: int, **data):
    page = client.get(f"/assessor/assessments/{aid}/settings")
    return client.post(f"/assessor/assessments/{aid}/settings", data={"csrf_token": csrf_from(page.data), **data})


# --------------------------------------------------------------------------------------------------------------
# Choosing the language

def test_a_lead_starts_an_assessment_in_german_and_the_form_offers_the_versions_languages(app, client, login_as,
                                                                                         tiny):

    login_as("lead@pt.example")
    url = f"/assessor/organisations/{org_id(app, 'Portugal')}/assessments/new"
    form = client.get(url).data.decode()
    assert re.search(r'<select[^>]*id="language"', form)
    assert re.search(r'<option selected value="en">English</option>', form)  # an English reader: the source
    assert '<option value="de">German</option>' in form
    done = client.post(url, data={"csrf_token": csrf_from(form), "title": "Baseline 2026", "scope": "",
                                  "reference_date": "2026-03-31", "version": str(_version_id(app)),
                                  "language": "de", "team": []})
    assert done.status_code == 302, done.data.decode()
    aid = int(done.headers["Location"].rstrip("/").split("/")[-1])
    assert _language_of(app, aid) == "de"
    with app.app_context():
        from sqlalchemy import select

        from delphi.extensions import db
        from delphi.models import AuditEvent

        row = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "start_assessment")).one()
        assert row.after["language"] == "de"
    overview = client.get(f"/assessor/assessments/{aid}").data.decode()
    assert "framework texts in German" in overview and '<th scope="row" lang="de">A Steuerung</th>' in overview


def test_the_form_proposes_the_readers_interface_language_when_the_version_has_it(app, client, login_as, tiny):
    login_as("lead@pt.example")
    client.set_cookie("lang", "de")
    with app.app_context():
        from delphi.extensions import db
        from delphi.services.accounts import users

        users.find_by_email("lead@pt.example").locale = "de"
        db.session.commit()
    form = client.get(f"/assessor/organisations/{org_id(app, 'Portugal')}/assessments/new").data.decode()
    assert re.search(r'<option selected value="de">', form)


def test_a_version_in_one_language_offers_no_choice(app, client, login_as):
    add_member(app, "Portugal", "lead@pt.example", "lead")
    login_as("lead@pt.example")
    form = client.get(f"/assessor/organisations/{org_id(app, 'Portugal')}/assessments/new").data.decode()
    assert 'name="version"' in form and 'id="language"' not in form


def test_a_language_the_version_lacks_is_refused_with_a_message_and_nothing_changes(app, client, login_as, tiny):
    from delphi.errors import InvalidInput
    from delphi.models.assessment import Assessment
    from delphi.services.assessments import lifecycle

    login_as("lead@pt.example")
    url = f"/assessor/organisations/{org_id(app, 'Portugal')}/assessments/new"
    form = client.get(url).data.decode()
    refused = client.post(url, data={"csrf_token": csrf_from(form), "title": "Baseline", "scope": "",
                                     "reference_date": "2026-03-31", "version": str(_version_id(app)),
                                     "language": "fr"})
    body = refused.data.decode()
    assert refused.status_code == 400
    assert "tiny:1 has no framework texts in French; choose one of: English, German." in body
    with app.app_context():
        from sqlalchemy import func, select

        from delphi.extensions import db

        assert db.session.scalar(select(func.count(Assessment.id))) == 0

    aid = _german(app)
    page = _settings(client, aid, title="Renamed", scope="", reference_date="2024-06-30", language="pt")
    assert page.status_code == 400 and "has no framework texts in Portuguese" in page.data.decode()
    with app.app_context():
        a = _assessment(app, aid)
        assert (a.title, a.language) == ("Baseline", "de")
        with pytest.raises(InvalidInput, match="no framework texts in xx"):
            lifecycle.update_settings(a, title="Other", scope="", reference_date=a.reference_date,
                                      team_user_ids=[], team_mode=False, language="xx", by=None)
        assert (a.title, a.language) == ("Baseline", "de")


def test_the_settings_change_the_language_and_the_source_is_stored_as_empty(app, client, login_as, tiny):
    login_as("lead@pt.example")
    aid = start(app, "Portugal", "lead@pt.example", version_ref=REF)
    page = client.get(f"/assessor/assessments/{aid}/settings").data.decode()
    assert re.search(r'<option selected value="en">English</option>', page)
    done = _settings(client, aid, title="Baseline", scope="", reference_date="2024-06-30", language="de")
    assert done.status_code == 302 and _language_of(app, aid) == "de"
    done = _settings(client, aid, title="Baseline", scope="", reference_date="2024-06-30", language="en")
    assert done.status_code == 302 and _language_of(app, aid) == ""


# --------------------------------------------------------------------------------------------------------------
# The pages

def test_the_answer_page_and_the_results_show_the_german_texts_marked_as_german(app, client, login_as, tiny):
    aid = _german(app)
    fill(app, aid, "lead@pt.example", level=lambda n, code: 2)
    login_as("lead@pt.example")
    answer = client.get(f"/assessor/assessments/{aid}/domains/1").data.decode()
    assert re.search(r'<h4 id="a\d+-title" tabindex="-1" lang="de"><span class="code">A.1.1</span> Es gibt eine '
                     r'nationale <abbr class="term" title="Ein beschlossener Plan mit Zielen.">Strategie</abbr> für '
                     r"Genommedizin.</h4>", answer)
    assert '<span class="level-text" lang="de">Stufe 3 auf Deutsch</span>' in answer
    assert '<p class="guidance" lang="de">Suchen Sie den beschlossenen Plan.</p>' in answer
    assert 'Domain A: <span lang="de">Steuerung</span>' in answer
    assert '<h3 class="subdomain" lang="de">' in answer and "Strategie und Planung" in answer
    assert '<dl lang="de"><dt><dfn>Strategie</dfn></dt>' in answer  # the glossary, in German too
    assert "The plan is reviewed every year." in answer  # untranslated: as written
    results = client.get(f"/assessor/assessments/{aid}/results").data.decode()
    assert '<h3 lang="de">A Steuerung</h3>' in results
    assert re.search(r'<span class="statement" lang="de">Es gibt eine nationale <abbr[^>]*>Strategie</abbr>', results)
    assert "framework texts in German" in results
    # A German reader needs no marks: page and texts are in one language.
    with app.app_context():
        from delphi.extensions import db
        from delphi.services.accounts import users

        users.find_by_email("lead@pt.example").locale = "de"
        db.session.commit()
    results = client.get(f"/assessor/assessments/{aid}/results").data.decode()
    assert '<html lang="de">' in results and 'lang="de">A Steuerung' not in results and "A Steuerung" in results


def test_every_page_of_a_german_team_assessment_shows_the_german_texts(app, client, login_as, tiny):
    aid = _german(app, team_mode=True)
    fill(app, aid, "lead@pt.example", level=lambda n, code: 2)
    login_as("lead@pt.example")
    statement = GERMAN["indicator.A.1.1.statement"].split(" Strategie")[0]  # the glossary marks the term
    pages = {"": "A Steuerung", "/domains/1/consensus": statement, "/actions": statement, "/benchmark": "Benchmark",  # no edition yet: no framework text on it
             "/results": statement, "/domains/1": statement}
    for path, text in pages.items():
        response = client.get(f"/assessor/assessments/{aid}{path}")
        body = response.data.decode()
        assert response.status_code == 200 and text in body, path
        assert "framework texts in German" in body, path
    consensus = client.get(f"/assessor/assessments/{aid}/domains/1/consensus").data.decode()
    assert 'Agree levels — domain A: <span lang="de">Steuerung</span>' in consensus
    assert f'<span lang="de">{statement}' in consensus and "Level 3: Stufe 3 auf Deutsch" in consensus


def test_an_assessment_in_the_source_language_has_no_marks(app, client, login_as, tiny):
    aid = start(app, "Portugal", "lead@pt.example", version_ref=REF)
    login_as("lead@pt.example")
    answer = client.get(f"/assessor/assessments/{aid}/domains/1").data.decode()
    assert re.search(r'tabindex="-1"><span class="code">A.1.1</span> A national <abbr[^>]*>strategy</abbr>', answer)
    assert '<span class="level-text">Strat level 3</span>' in answer and "<dl><dt><dfn>strategy</dfn>" in answer
    assert "framework texts in" not in answer


# --------------------------------------------------------------------------------------------------------------
# The exports

def test_the_workbook_has_the_german_texts_under_english_headers(app, client, login_as, tiny):
    from openpyxl import load_workbook

    aid = _german(app)
    fill(app, aid, "lead@pt.example", level=lambda n, code: 2)
    login_as("lead@pt.example")
    response = client.get(f"/assessor/assessments/{aid}/export.xlsx")
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.data))
    indicators = [row for row in wb["Indicators"].iter_rows(values_only=True)]
    assert indicators[0][:3] == ("Code", "Domain", "Statement")
    assert indicators[1][:3] == ("A.1.1", "A", GERMAN["indicator.A.1.1.statement"])
    assert indicators[2][2] == "The plan is reviewed every year."
    assert [row[1] for row in wb["Domains"].iter_rows(values_only=True)][:3] == ["Domain", "Steuerung", "Data"]
    about = {row[0]: row[1] for row in wb["Assessment"].iter_rows(values_only=True) if row[0]}
    assert about["Framework texts"] == "German (de)"


def test_the_pdf_is_in_german_and_tags_the_german_texts(app, client, login_as, tiny, monkeypatch):
    from delphi.services.assessments import exports

    aid = _german(app)
    fill(app, aid, "lead@pt.example", level=lambda n, code: 2)
    seen = {}
    real = exports.to_pdf

    def spy(html, stylesheet_paths):
        seen.update(html=html, stylesheets=stylesheet_paths)
        return real(html, stylesheet_paths)

    monkeypatch.setattr(exports, "to_pdf", spy)
    login_as("lead@pt.example")
    response = client.get(f"/assessor/assessments/{aid}/export.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert '<h4 id="annex-' in seen["html"] and 'lang="de"><span class="code">A.1.1</span>' in seen["html"]
    text = _laid_out_text(seen["html"], seen["stylesheets"])
    assert "Es gibt eine nationale Strategie für Genommedizin." in text and "Steuerung" in text
    assert "The plan is reviewed every year." in text  # untranslated: as written
    assert "self-assessment report" in text.lower()  # the reader's interface language
    # The document's language is the reader's; WeasyPrint 70 writes no /Lang per structure element, so the lang="de"
    # of the HTML (asserted above) is as far as the parts' language reaches.
    assert re.search(rb"/Lang\s*\(en\)", pdf_text(response.data))


def _laid_out_text(html: str, stylesheets: list[str]) -> str:
    """Every line WeasyPrint laid out (no PDF text extractor is installed: tests/web/test_pdf_structure.py)."""
    from weasyprint.formatting_structure import boxes

    from delphi.services.assessments import exports

    lines = []

    def walk(box):
        if isinstance(box, boxes.LineBox):
            lines.append("".join(t.text for t in box.descendants() if isinstance(t, boxes.TextBox)))
            return
        for child in getattr(box, "children", ()):
            walk(child)

    for page in exports.document(html, stylesheets).pages:
        walk(page._page_box)
    return re.sub(r"\s+", " ", " ".join(lines))


# --------------------------------------------------------------------------------------------------------------
# Once finalised

def test_a_finalised_assessment_changes_only_its_language_and_its_kept_pdf_is_built_again(app, client, login_as,
                                                                                          tiny, monkeypatch):
    from sqlalchemy import select

    from delphi.extensions import db
    from delphi.models import AuditEvent, PreparedOutput
    from delphi.services.assessments import exports
    from delphi.services.prepared import fingerprints

    aid = _german(app)
    fill(app, aid, "lead@pt.example", level=lambda n, code: 3, finalise=True)
    built = []
    real = exports.to_pdf

    def spy(html, stylesheet_paths):
        built.append(html)
        return real(html, stylesheet_paths)

    monkeypatch.setattr(exports, "to_pdf", spy)
    login_as("lead@pt.example")
    pdf = f"/assessor/assessments/{aid}/export.pdf"
    assert client.get(pdf).status_code == 200 and client.get(pdf).status_code == 200
    assert len(built) == 1 and "Steuerung" in built[0]  # kept: the second download is the same file
    kept = select(PreparedOutput.fingerprint).where(PreparedOutput.assessment_id == aid)
    with app.app_context():
        before, kept_before = fingerprints.assessment(aid), db.session.scalars(kept).one()

    page = client.get(f"/assessor/assessments/{aid}/settings").data.decode()
    assert 'name="language"' in page and 'name="title"' not in page  # nothing else can change
    done = _settings(client, aid, language="en")
    assert done.status_code == 302 and _language_of(app, aid) == ""
    assert "Framework texts are now shown in English." in client.get(done.headers["Location"]).data.decode()
    with app.app_context():
        after = fingerprints.assessment(aid)
        assert after != before
        change = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "update_assessment")).one()
        assert (change.before, change.after) == ({"language": "de"}, {"language": ""})
        assert _assessment(app, aid).is_finalised
    assert client.get(pdf).status_code == 200
    assert len(built) == 2 and "Governance" in built[1] and "Steuerung" not in built[1]
    with app.app_context():
        assert db.session.scalars(kept).one() != kept_before

    refused = _settings(client, aid, language="fr")
    assert refused.status_code == 400 and "has no framework texts in French" in refused.data.decode()
    assert _language_of(app, aid) == ""


def test_a_version_without_translations_keeps_the_finalised_settings_closed(app, client, login_as):
    add_member(app, "Portugal", "lead@pt.example", "lead")
    aid = start(app, "Portugal", "lead@pt.example")
    fill(app, aid, "lead@pt.example", finalise=True)
    login_as("lead@pt.example")
    response = client.get(f"/assessor/assessments/{aid}/settings")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/assessor/assessments/{aid}")


def test_progress_shows_the_newest_assessments_language_and_a_translation_is_no_rewording(app, client, login_as,
                                                                                          tiny):
    first = start(app, "Portugal", "lead@pt.example", version_ref=REF, reference_date=date(2024, 3, 31))
    fill(app, first, "lead@pt.example", level=lambda n, code: 2, finalise=True)
    second = _german(app, title="Follow-up", reference_date=date(2025, 3, 31))
    fill(app, second, "lead@pt.example", level=lambda n, code: 3, finalise=True)
    login_as("lead@pt.example")
    html = client.get(f"/assessor/organisations/{org_id(app, 'Portugal')}/progress").data.decode()
    assert '<span class="statement" lang="de">Es gibt eine nationale Strategie für Genommedizin.</span>' in html
    assert "wording changed" not in html and "3 indicators improved" in html


def _version_id(app) -> int:
    with app.app_context():
        return _version().id
