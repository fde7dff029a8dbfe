"""A kept download is kept per interface language: the assessment PDF built for a German reader is not served to
an English one (nor the other way), and each says its language in the PDF (/Lang)."""
from __future__ import annotations

import re

from tests.web.test_assessment_fixtures import add_member, start
from tests.web.test_pdf_structure import login, pdf_text


def _lang(data: bytes) -> str:
    return re.search(rb"/Lang\s*\((\w+)\)", pdf_text(data)).group(1).decode()


def test_the_kept_pdf_is_kept_per_language(app):
    add_member(app, "Portugal", "lead@pt.example", "lead", name="Lena Lead")
    aid = start(app, "Portugal", "lead@pt.example", title="Baseline")
    client = app.test_client()
    login(client, "lead@pt.example")
    url = f"/assessor/assessments/{aid}/export.pdf"
    german = client.get(url, headers={"Accept-Language": "de"})
    english = client.get(url, headers={"Accept-Language": "en"})
    portuguese = client.get(url, headers={"Accept-Language": "pt"})
    assert [r.status_code for r in (german, english, portuguese)] == [200, 200, 200]
    assert (_lang(german.data), _lang(english.data), _lang(portuguese.data)) == ("de", "en", "pt")
    again = client.get(url, headers={"Accept-Language": "de"})
    assert again.data == german.data  # kept: the second German download is the same file, not rebuilt


def test_a_worker_builds_in_the_language_that_was_asked_for(app):
    """rq mode: the job has no reader; it builds in the language named in the row it claims."""
    from delphi.extensions import db
    from delphi.services.operations import outputs
    from delphi.services.prepared import store

    add_member(app, "Portugal", "lead@pt.example", "lead", name="Lena Lead")
    aid = start(app, "Portugal", "lead@pt.example", title="Baseline")
    with app.app_context():
        row = store.want("assessment-pdf", aid, store.ANY_INPUTS, language="pt", assessment_id=aid)[0]
        db.session.commit()
        assert outputs.build(row.id) == "built"
        kept = store.find("assessment-pdf", aid, "pt")
        assert _lang(store.content(kept.id)) == "pt" and store.find("assessment-pdf", aid) is None
