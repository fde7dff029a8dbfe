"""The Delphi report as PDF: the same template as the HTML page, rendered by WeasyPrint with the print styles.

The PDF is tagged (PDF/UA-1): a structure tree for screen readers, the language from <html lang> and the title
from <title> in its metadata. A worker builds it (services/operations/outputs.py); `progress` hears each stage.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask import render_template
from flask_babel import gettext as _

from delphi.models import Study
from delphi.services.release import report

STATIC = Path(__file__).resolve().parents[2] / "static"
PDF_VARIANT = "pdf/ua-1"
Progress = Callable[[str, int], None]


def _quiet(stage: str, percent: int) -> None:
    return None


def document(study: Study, progress: Progress = _quiet):
    """The laid-out WeasyPrint document (tests read its line boxes; render() writes it)."""
    from weasyprint import CSS, HTML

    progress(_("Collecting the results"), 5)  # stages: shown on the waiting page, in its reader's language
    html = render_template("reports/delphi.html", **report.build(study), standalone=True)
    progress(_("Laying out the pages"), 20)
    # Only the print stylesheet: the screen stylesheet's rules cost WeasyPrint time and do not apply on paper.
    css = [CSS(filename=str(STATIC / "report.css"))]
    return HTML(string=html, base_url=str(STATIC)).render(stylesheets=css, pdf_variant=PDF_VARIANT)


def render(study: Study, progress: Progress = _quiet) -> bytes:
    laid_out = document(study, progress)
    progress(_("Writing the PDF"), 85)
    return laid_out.write_pdf(pdf_variant=PDF_VARIANT)
