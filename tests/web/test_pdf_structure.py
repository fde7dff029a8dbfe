"""Both PDFs (the assessment report and the Delphi report) are tagged PDF/UA-1 documents with a language and a
title, and no table splits a code, a date or a header word across two lines.

No PDF text extractor is installed (pypdf, pdfminer), so the line test reads WeasyPrint's own layout: the same
document the route writes, walked line box by line box. The structure test reads the PDF bytes, inflating the
compressed object streams with zlib.
"""
from __future__ import annotations

import re
import zlib

import pytest

from tests.conftest import PASSWORD, csrf_from
from tests.web.test_assessment_fixtures import add_member, fill, start

STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.S)


def pdf_text(data: bytes) -> bytes:
    """The PDF's bytes with every Flate stream inflated after them (object streams hold the catalog)."""
    parts = [data]
    for match in STREAM.finditer(data):
        try:
            parts.append(zlib.decompress(match.group(1)))
        except zlib.error:
            continue
    return b"\n".join(parts)


def assert_tagged(data: bytes, title: str) -> None:
    text = pdf_text(data)
    assert b"/StructTreeRoot" in text
    assert re.search(rb"/MarkInfo\s*<<\s*/Marked\s+true", text)
    assert re.search(rb"/Lang\s*\(en\)", text)
    assert b"/StructElem" in text and b"/Table" in text  # the tables are tagged as tables
    assert title.encode() in text or title.encode("utf-16-be") in text  # /Title in the Info dictionary
    assert b"pdfuaid:part" in text  # the XMP metadata claims PDF/UA-1


def block_lines(document, at_least: int = 2) -> list[list[str]]:
    """For every block that holds `at_least` lines (table cells, paragraphs): the text of each line."""
    from weasyprint.formatting_structure import boxes

    out = []
    for page in document.pages:
        for box in page._page_box.descendants():
            if isinstance(box, boxes.BlockContainerBox):
                lines = ["".join(t.text for t in line.descendants() if isinstance(t, boxes.TextBox))
                         for line in box.children if isinstance(line, boxes.LineBox)]
                if len(lines) >= at_least:
                    out.append(lines)
    return out


def split_words(document, words: set[str]) -> list[tuple[str, str, str]]:
    """(end of a line, start of the next, the word) wherever one of `words` is broken across two lines."""
    found = []
    for lines in block_lines(document):
        for a, b in zip(lines, lines[1:]):
            if not a.strip() or not b.strip():
                continue
            tail, head = a.split()[-1], b.split()[0]
            for joined in {tail + head, tail.rstrip("-\u2010") + head}:
                found += [(tail, head, w) for w in words if w in joined and w not in tail and w not in head]
    return found


def protected_words(html: str) -> set[str]:
    """Every code (I.1.1, VIII.3.1:levels) and date (2027-12-31) on the page, and every word of a column header
    (row headers hold statements: prose, which may hyphenate)."""
    words = set(re.findall(r"\b[IVX]+\.\d+(?:\.\d+)?(?::\w+)?", html))
    words |= set(re.findall(r"\b\d{4}-\d{2}-\d{2}\b", html))
    for header in re.findall(r'<th scope="col"[^>]*>(.*?)</th>', html, re.S):
        plain = re.sub(r"<[^>]+>", " ", header)
        words |= {w for w in re.findall(r"[A-Za-z]{4,}", plain)}
    return words


def login(client, email: str) -> None:
    client.post("/auth/login", data={"email": email, "password": PASSWORD,
                                     "csrf_token": csrf_from(client.get("/auth/login").data)})


@pytest.fixture
def assessment_pdf(app, monkeypatch):
    """A full 49-indicator assessment with dated targets and actions: (the PDF bytes, its HTML, its stylesheets)."""
    from datetime import date

    from delphi.services.assessments import exports

    add_member(app, "Portugal", "lead@pt.example", "lead", name="Lena Lead")
    aid = start(app, "Portugal", "lead@pt.example", title="National baseline 2026")
    fill(app, aid, "lead@pt.example")
    with app.app_context():
        from delphi.extensions import db
        from delphi.models.assessment import Assessment
        from delphi.services.accounts import users
        from delphi.services.assessments import actions, answers, lifecycle
        from delphi.services.assessments.answers import AnswerInput

        a = db.session.get(Assessment, aid)
        tree = lifecycle.tree(a.version)
        lead = users.find_by_email("lead@pt.example")
        for n, ind in enumerate(tree.indicators):
            answers.save(a, ind, AnswerInput(target_date=date(2027, 12, 31)), fields=frozenset({"target_date"}),
                         by=lead)
            if n % 4 == 0:
                actions.add(a, tree, indicator_id=ind.id, description="Adopt and fund a national work plan",
                            owner="Ministry of Health", due_date=date(2027, 12, 31), by=lead)
        db.session.commit()
    seen = {}
    real = exports.to_pdf

    def spy(html, stylesheet_paths):
        seen.update(html=html, stylesheets=stylesheet_paths)
        return real(html, stylesheet_paths)

    monkeypatch.setattr(exports, "to_pdf", spy)
    client = app.test_client()
    login(client, "lead@pt.example")
    response = client.get(f"/assessor/assessments/{aid}/export.pdf")
    assert response.status_code == 200
    return response.data, seen["html"], seen["stylesheets"]


def test_the_assessment_pdf_is_tagged_with_language_and_title(assessment_pdf):
    data, _, _ = assessment_pdf
    assert_tagged(data, "National baseline 2026")


def test_the_assessment_pdf_never_splits_a_code_a_date_or_a_header_word(assessment_pdf):
    from delphi.services.assessments import exports

    _, html, stylesheets = assessment_pdf
    words = protected_words(html)
    assert {"III.1.1", "2027-12-31", "Indicator", "Target"} <= words
    assert split_words(exports.document(html, stylesheets), words) == []


@pytest.fixture
def delphi_report(app):
    from tests.web.test_release import _two_round_study

    with app.app_context():
        return _two_round_study()


def test_the_delphi_report_pdf_is_tagged_and_never_splits_a_word_in_its_tables(app, delphi_report):
    from flask import render_template

    from delphi.extensions import db
    from delphi.models import Study
    from delphi.services.release import pdf, report

    client = app.test_client()
    login(client, "olga@example.org")
    response = client.get(f"/organiser/studies/{delphi_report}/report.pdf")
    assert response.status_code == 200
    assert_tagged(response.data, "Delphi report")
    with app.test_request_context():
        study = db.session.get(Study, delphi_report)
        html = render_template("reports/delphi.html", **report.build(study), standalone=True)
        words = protected_words(html)
        assert {"Question", "Disagree", "Outcome"} <= words
        assert split_words(pdf.document(study), words) == []
