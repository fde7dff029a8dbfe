"""The Delphi report as PDF: the same template as the HTML page, rendered by WeasyPrint with the print styles."""
from __future__ import annotations

from pathlib import Path

from flask import render_template

from delphi.models import Study
from delphi.services.release import report

STATIC = Path(__file__).resolve().parents[2] / "static"


def render(study: Study) -> bytes:
    from weasyprint import CSS, HTML

    html = render_template("reports/delphi.html", **report.build(study), standalone=True)
    # Only the print stylesheet: the screen stylesheet's rules cost WeasyPrint time and do not apply on paper.
    css = [CSS(filename=str(STATIC / "report.css"))]
    return HTML(string=html, base_url=str(STATIC)).write_pdf(stylesheets=css)
