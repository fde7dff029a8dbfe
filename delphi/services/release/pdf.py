"""The Delphi report as PDF: the same template as the HTML page, rendered by WeasyPrint with the print styles.

The PDF is tagged (PDF/UA-1): a structure tree for screen readers, the language from <html lang> and the title
from <title> in its metadata.
"""
from __future__ import annotations

from pathlib import Path

from flask import render_template

from delphi.models import Study
from delphi.services.release import report

STATIC = Path(__file__).resolve().parents[2] / "static"
PDF_VARIANT = "pdf/ua-1"


def document(study: Study):
    """The laid-out WeasyPrint document (tests read its line boxes; render() writes it)."""
    from weasyprint import CSS, HTML

    html = render_template("reports/delphi.html", **report.build(study), standalone=True)
    # Only the print stylesheet: the screen stylesheet's rules cost WeasyPrint time and do not apply on paper.
    css = [CSS(filename=str(STATIC / "report.css"))]
    return HTML(string=html, base_url=str(STATIC)).render(stylesheets=css, pdf_variant=PDF_VARIANT)


def render(study: Study) -> bytes:
    return document(study).write_pdf(pdf_variant=PDF_VARIANT)
