"""The MLM's glossary ships with the framework (36 terms, attributed) and a term's definition shows wherever the
term occurs: the experts' rating pages, the assessors' answer and results pages (issue 15)."""
from __future__ import annotations

import json
from pathlib import Path

from delphi.extensions import db
from tests.study_helpers import make_study, open_first_round
from tests.web.test_assessment_fixtures import add_member, start

SHARED = Path(__file__).resolve().parents[3] / "shared" / "mlm" / "glossary.json"
TERM = "Dedicated governance"  # in I.1.1's statement


def _document() -> dict:
    from framework.shipped import data_path

    return json.loads(data_path("1plusmg-mlm").read_text(encoding="utf-8"))


def _definition() -> str:
    return next(e["definition"] for e in _document()["glossary"] if e["term"] == TERM)


def test_the_shipped_mlm_carries_its_36_glossary_terms_with_the_attribution(app):
    document = _document()
    assert len(document["glossary"]) == 36
    if SHARED.exists():  # the published list, term for term
        assert document["glossary"] == json.loads(SHARED.read_text(encoding="utf-8"))
    assert "glossary" in document["source"] and "B1MG" in document["source"]
    with app.app_context():
        from delphi.services.frameworks import versions

        shipped = versions.ensure_shipped()
        assert len(shipped.glossary) == 36


def test_the_rating_page_explains_terms_where_they_occur(app, client, login_as):
    with app.app_context():
        study = make_study(n_experts=1)
        rnd = open_first_round(study)
        db.session.commit()
        round_id = rnd.id
    login_as("expert1@example.org")
    html = client.get(f"/expert/rounds/{round_id}/domains/I").data.decode()
    definition = _definition()
    assert f'<abbr class="term" title="{definition[:30]}' in html.replace("&#39;", "'")
    assert "Terms used on this page" in html and f"<dfn>{TERM}</dfn>" in html


def test_the_answer_and_results_pages_explain_terms(app, client, login_as):
    add_member(app, "Portugal", "lead@pt.example", "lead")
    aid = start(app, "Portugal", "lead@pt.example")
    login_as("lead@pt.example")
    answer = client.get(f"/assessor/assessments/{aid}/domains/1").data.decode()
    assert f"<dfn>{TERM}</dfn>" in answer and 'class="term"' in answer
    results = client.get(f"/assessor/assessments/{aid}/results").data.decode()
    assert f"<dfn>{TERM}</dfn>" in results and 'class="term"' in results


def test_the_pdf_and_json_list_the_terms_their_statements_use(app, client, login_as, monkeypatch):
    from delphi.services.assessments import exports

    seen: list[str] = []
    original = exports.to_pdf
    monkeypatch.setattr(exports, "to_pdf", lambda html, css: seen.append(html) or original(html, css))
    add_member(app, "Portugal", "lead@pt.example", "lead")
    aid = start(app, "Portugal", "lead@pt.example")
    login_as("lead@pt.example")
    doc = client.get(f"/assessor/assessments/{aid}/export.json").get_json()
    assert {"term": TERM, "definition": _definition()} in doc["glossary"]
    assert client.get(f"/assessor/assessments/{aid}/export.pdf").data.startswith(b"%PDF")
    assert "Terms used in this report" in seen[-1] and f"<dt>{TERM}</dt>" in seen[-1]
