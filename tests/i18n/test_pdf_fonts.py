"""Every script renders: an assessment titled in Czech, Greek and Bulgarian comes out of the PDF export in the
DejaVu faces the stylesheets name (Latin Extended, Greek and Cyrillic in one family), with no other font
substituted and every character of the title in the embedded face's character map."""
from __future__ import annotations

import re
import subprocess

from tests.web.test_assessment_fixtures import add_member, start
from tests.web.test_pdf_structure import login, pdf_text

TITLE = "Národní hodnocení · Εθνική αξιολόγηση · Национална оценка"


def test_the_dejavu_faces_cover_latin_extended_greek_and_cyrillic():
    from fontTools.ttLib import TTFont

    path = subprocess.run(["fc-match", "-f", "%{file}", "DejaVu Sans"], capture_output=True, text=True).stdout
    assert "DejaVuSans" in path, "the DejaVu fonts are missing: make fonts (installs fonts-dejavu-core)"
    cmap = TTFont(path).getBestCmap()
    sample = TITLE + "ŁłŐőŰűĞğŞşȘșȚțĄąĘęŽžÆæØøÅåßΩωЖжЩщЇїЄєЂђ"
    assert [c for c in sample if not c.isspace() and ord(c) not in cmap] == []


def test_a_title_in_three_scripts_is_embedded_in_dejavu_only(app):
    add_member(app, "Česko", "lead@cz.example", "lead", name="Lída Lead")
    aid = start(app, "Česko", "lead@cz.example", title=TITLE)
    client = app.test_client()
    login(client, "lead@cz.example")
    response = client.get(f"/assessor/assessments/{aid}/export.pdf")
    assert response.status_code == 200
    text = pdf_text(response.data)
    fonts = set(re.findall(rb"/FontName\s*/[A-Z]{6}\+([\w-]+)", text))
    assert fonts and all(name.startswith(b"DejaVu") for name in fonts), fonts
    assert TITLE.encode("utf-16-be") in text or TITLE.encode() in text
