"""Exports of one assessment: JSON (machine-readable), XLSX (spreadsheet) and PDF (WeasyPrint report).

Every export carries the same content as the pages: the levels, the per-domain summaries with their method,
the gaps, the action plan and — if available — the anonymous benchmark. Only the assessed organisation is named.
The PDF adds a cover, an executive summary (Report.glance, top_strengths, top_gaps, plan_counts, next_actions)
and an evidence annex; in team mode the annex gives the spread of the members' levels without their names.
The PDF is tagged (PDF/UA-1): a structure tree, the document's language and its title.
"""
from __future__ import annotations

import io
import logging
import statistics
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _

from delphi import i18n
from delphi.db import utcnow
from delphi.downloads import slugged
from delphi.models.assessment import ActionStatus, Assessment, AssessmentAnswer
from delphi.services.assessments import actions, answers, benchmark, results
from delphi.services.assessments import language, lifecycle
from delphi.services.assessments.actions import ActionView
from delphi.services.assessments.benchmark import Benchmark
from delphi.services.assessments.results import METHODS, DomainResult, IndicatorResult, Results, Spread, Summary
from delphi.services.assessments.lifecycle import Tree
from delphi.services.frameworks.glossary import Glossary

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
PDF_VARIANT = "pdf/ua-1"  # tagged: structure tree, /Lang from <html lang>, the <title> in the metadata
HEADLINE = 5  # strengths, gaps and next actions on the executive summary


@dataclass(frozen=True)
class Glance:
    """One domain at a glance: the mean current level and the mean target (indicators with one)."""
    domain: DomainResult
    mean_current: float | None
    mean_target: float | None


@dataclass(frozen=True)
class Report:
    assessment: Assessment
    organisation_name: str
    tree: Tree
    results: Results
    plan: tuple[ActionView, ...]
    benchmark: Benchmark
    team: tuple[str, ...]
    generated_at: datetime
    answers: dict[int, AssessmentAnswer]
    spreads: dict[int, Spread] = field(default_factory=dict)  # team mode: indicator id → members' levels
    terms: tuple[tuple[str, str], ...] = ()  # glossary terms met in the indicators' statements, with definitions

    @property
    def glance(self) -> list[Glance]:
        def mean(values: list[int]) -> float | None:
            return round(statistics.fmean(values), 2) if values else None
        return [Glance(d, mean([i.current for i in d.items if i.current is not None]),
                       mean([i.target for i in d.items if i.target is not None and not i.not_applicable]))
                for d in self.results.domains]

    @property
    def top_strengths(self) -> list[IndicatorResult]:
        """The highest levels first (framework order among equals)."""
        rated = [i for i in self.results.items if i.current is not None]
        return sorted(rated, key=lambda i: -i.current)[:HEADLINE]

    @property
    def top_gaps(self) -> list[IndicatorResult]:
        return list(self.results.gaps[:HEADLINE])

    @property
    def plan_counts(self) -> dict[str, int]:
        counts = {s.value.replace("_", " "): 0 for s in ActionStatus}
        for v in self.plan:
            counts[v.action.status.value.replace("_", " ")] += 1
        return counts

    @property
    def next_actions(self) -> list[ActionView]:
        """Actions not done yet, soonest due first (undated ones last)."""
        pending = [v for v in self.plan if v.action.status != ActionStatus.DONE]
        return sorted(pending, key=lambda v: v.action.due_date or date.max)[:HEADLINE]


def build(assessment: Assessment) -> Report:
    tree = lifecycle.tree(assessment.version, glossary=True, language=assessment.language)
    terms = Glossary(tree.glossary)
    for indicator in tree.indicators:
        terms.annotate(indicator.statement)  # collects the terms the report's statements use
    stored = answers.answers(assessment)
    team = tuple(sorted(m.user.name for m in assessment.team))
    # The PDF's annex shows the spread without names: the levels, not who gave them.
    spreads = results.spreads(answers.member_levels(assessment), {}) if assessment.team_mode else {}
    return Report(assessment=assessment, organisation_name=assessment.organisation.name, tree=tree,
                  results=results.compute(tree, stored),
                  plan=tuple(actions.plan(assessment, tree, stored)),
                  benchmark=benchmark.for_assessment(assessment, tree, stored), team=team,
                  generated_at=utcnow(), answers=stored, spreads=spreads, terms=tuple(terms.used_terms()))


def filename(report: Report, extension: str) -> str:
    return filename_of(report.assessment, extension)


def filename_of(assessment: Assessment, extension: str) -> str:
    # Letters of every script are kept: the download sends the name RFC 6266-encoded (delphi/downloads.py).
    return f"assessment-{assessment.id}-{slugged(assessment.title, fallback='report')}.{extension}"


STATIC = Path(__file__).resolve().parents[2] / "static"


def _summary(s: Summary) -> dict[str, Any]:
    return {"indicators": s.indicators, "answered": s.answered, "not_applicable": s.not_applicable,
            "with_level": s.rated, "median_level": s.median, "mean_level": s.mean,
            "share_level_3_or_above": None if s.share_3plus is None else round(s.share_3plus, 4),
            "median_target": s.median_target, "mean_gap": s.mean_gap, "lowest": s.lowest, "highest": s.highest}


def to_json(report: Report) -> dict[str, Any]:
    a = report.assessment
    full = report.answers
    indicators = []
    for item in report.results.items:
        ans = full.get(item.node.id)
        indicators.append({
            "code": item.node.code, "domain": item.node.domain_code, "subdomain": item.node.subdomain_code,
            "statement": item.node.statement, "current_level": item.current, "target_level": item.target,
            "gap": item.gap, "target_date": item.target_date.isoformat() if item.target_date else None,
            "confidence": item.confidence.value if item.confidence else None,
            "not_applicable": item.not_applicable, "not_applicable_reason": item.na_reason or None,
            "evidence": (ans.evidence if ans else "") or None, "links": list(ans.links or []) if ans else [],
            "agreed_note": (ans.agreed_note if ans else "") or None})
    # JSON keys stay as they are; the prose values (methods, reasons) are in the reader's language.
    bench: dict[str, Any] | None
    if report.benchmark.available:
        bench = {"method": report.benchmark.method, "available": True, "edition": report.benchmark.edition,
                 "published_at": report.benchmark.published_at.isoformat(),
                 "other_organisations": f"at least {report.benchmark.at_least}",
                 "indicators": [{"code": r.node.code, "own_level": r.own, "median": r.median,
                                 "highest": r.highest} for r in report.benchmark.rows]}
    else:
        bench = {"method": report.benchmark.method, "available": False, "reason": report.benchmark.reason}
    return {
        "format": "delphi-assessment/1",
        "generated_at": report.generated_at.isoformat(),
        "assessment": {"id": a.id, "title": a.title, "scope": a.scope, "reference_date": a.reference_date.isoformat(),
                       "status": a.status.value, "team_mode": a.team_mode,
                       "finalised_at": a.finalised_at.isoformat() if a.finalised_at else None,
                       "organisation": report.organisation_name, "team": list(report.team)},
        "framework": {"ref": report.tree.ref, "name": report.tree.name, "source": report.tree.source,
                      "checksum": report.tree.checksum, "language": report.tree.language},
        "methods": {key: str(text) for key, text in METHODS.items()},
        "overall": _summary(report.results.overall),
        "domains": [{"code": d.node.code, "title": d.node.title, **_summary(d.summary)}
                    for d in report.results.domains],
        "indicators": indicators,
        "gaps": [{"code": g.node.code, "current_level": g.current, "target_level": g.target, "gap": g.gap}
                 for g in report.results.gaps],
        "actions": [{"indicator": v.indicator.code, "description": v.action.description, "owner": v.action.owner,
                     "due_date": v.action.due_date.isoformat() if v.action.due_date else None,
                     "status": v.action.status.value, "gap": v.gap} for v in report.plan],
        "benchmark": bench,
        "glossary": [{"term": t, "definition": d} for t, d in report.terms],
    }


def as_text(cell) -> None:
    """Keep a text cell as text: a string that starts like a formula (=, +, -, @, tab, CR) is stored as a string
    cell (never a formula, so no spreadsheet runs it) with Excel's quote prefix (so editing it does not turn it into
    one either); the text itself is kept as it is, without a visible apostrophe."""
    if isinstance(cell.value, str) and cell.value.startswith(FORMULA_PREFIXES):
        cell.data_type = "s"
        cell.quotePrefix = True


def _radar_sheet(wb, d: DomainResult) -> None:
    """A sheet of one domain's current and target levels with a native Excel radar chart (bars below 3 axes)."""
    from openpyxl.chart import BarChart, RadarChart, Reference

    ws = wb.create_sheet(f"Profile {d.node.code}"[:31])
    ws.append(["Indicator", "Current level", "Target level"])
    for item in d.items:
        ws.append([item.node.code, item.current, None if item.not_applicable else item.target])
    for cell in ws[1]:
        as_text(cell)
    ws.column_dimensions["A"].width = 12
    if len(d.items) >= 3:
        chart = RadarChart()
        chart.type = "marker"
    else:
        chart = BarChart()
    chart.title = f"{d.node.code} {d.node.title}"[:250]
    chart.y_axis.scaling.min, chart.y_axis.scaling.max = 0, 5
    chart.y_axis.majorUnit = 1
    rows = len(d.items) + 1
    chart.add_data(Reference(ws, min_col=2, max_col=3, min_row=1, max_row=rows), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=rows))
    chart.height, chart.width = 10, 14
    ws.add_chart(chart, "E2")


def to_xlsx(report: Report) -> bytes:
    """The spreadsheet, in English: its sheets and column headers are what other tools (and the baseline import)
    read back, and its method notes stay beside them in the same language."""
    with force_locale(i18n.DEFAULT):
        return _to_xlsx(report)


def _to_xlsx(report: Report) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    a = report.assessment
    wb = Workbook()
    bold = Font(bold=True)

    def sheet(title: str, header: list[str], rows: list[list[Any]], widths: list[int] | None = None,
              percent: tuple[int, ...] = ()):
        ws = wb.create_sheet(title)
        ws.append(header)
        for cell in ws[1]:
            cell.font = bold
        for row in rows:
            ws.append(row)
        ws.freeze_panes = "A2"
        for i, width in enumerate(widths or [], start=1):
            ws.column_dimensions[chr(64 + i)].width = width
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, str) and len(cell.value) > 40:
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
                if cell.column in percent and isinstance(cell.value, float):
                    cell.number_format = "0%"
        return ws

    about = wb.active
    about.title = "Assessment"
    generated = report.generated_at.replace(tzinfo=None)
    for key, value in [("Organisation", report.organisation_name), ("Assessment", a.title), ("Scope", a.scope),
                       ("Reference date", a.reference_date), ("Status", a.status.value.replace("_", " ")),
                       ("Framework", f"{report.tree.name} ({report.tree.ref})"), ("Source", report.tree.source),
                       ("Team", ", ".join(report.team)), ("Generated (UTC)", generated),
                       ("Framework texts", f"{language.name(report.tree.language)} ({report.tree.language})")]:
        about.append([key, value])
        about.cell(row=about.max_row, column=1).font = bold
    about["B4"].number_format = "yyyy-mm-dd"
    about["B9"].number_format = "yyyy-mm-dd hh:mm"
    about.append([])
    for key, text in METHODS.items():
        about.append([f"Method: {key}", str(text)])
    about.column_dimensions["A"].width = 22
    about.column_dimensions["B"].width = 100

    full = report.answers
    sheet("Indicators", ["Code", "Domain", "Statement", "Current level", "Target level", "Gap", "Target date",
                         "Confidence", "Not applicable", "Reason", "Evidence", "Links", "Agreed note"],
          [[i.node.code, i.node.domain_code, i.node.statement, i.current, i.target, i.gap,
            i.target_date, i.confidence.value if i.confidence else None, "yes" if i.not_applicable else "",
            i.na_reason, (full[i.node.id].evidence if i.node.id in full else ""),
            "\n".join(full[i.node.id].links or []) if i.node.id in full else "",
            (full[i.node.id].agreed_note if i.node.id in full else "")] for i in report.results.items],
          [10, 8, 60, 8, 8, 6, 12, 10, 8, 30, 50, 40, 30])
    sheet("Domains", ["Code", "Domain", "Indicators", "With a level", "Not applicable", "Median level",
                      "Mean level", "Share at level 3+", "Mean gap"],
          [[d.node.code, d.node.title, d.summary.indicators, d.summary.rated, d.summary.not_applicable,
            d.summary.median, d.summary.mean,
            None if d.summary.share_3plus is None else float(round(d.summary.share_3plus, 4)), d.summary.mean_gap]
           for d in report.results.domains], [8, 50, 10, 10, 10, 10, 10, 12, 10], percent=(8,))
    sheet("Gaps", ["Code", "Statement", "Current level", "Target level", "Gap"],
          [[g.node.code, g.node.statement, g.current, g.target, g.gap] for g in report.results.gaps],
          [10, 70, 10, 10, 8])
    sheet("Action plan", ["Indicator", "Action", "Owner", "Due date", "Status", "Current", "Target", "Gap"],
          [[v.indicator.code, v.action.description, v.action.owner, v.action.due_date,
            v.action.status.value.replace("_", " "), v.current, v.target, v.gap] for v in report.plan],
          [10, 60, 20, 12, 12, 8, 8, 6])
    if report.benchmark.available:
        ws = sheet("Benchmark", ["Code", "Statement", "Your level", "Median", "Highest"],
                   [[r.node.code, r.node.statement, r.own, r.median, r.highest] for r in report.benchmark.rows],
                   [10, 70, 10, 10, 10])
        ws.append([])
        ws.append(["Edition", f"{report.benchmark.edition}, published "
                   f"{report.benchmark.published_at:%Y-%m-%d}; other organisations: at least {report.benchmark.at_least}"])
        ws.append(["Method", report.benchmark.method])
    for d in report.results.domains:
        _radar_sheet(wb, d)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                as_text(cell)
                if cell.is_date and cell.number_format == "General":
                    cell.number_format = "yyyy-mm-dd"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def document(html: str, stylesheet_paths: list[str]):
    """The laid-out WeasyPrint document of the report HTML; it fetches nothing (no network, no files beyond our
    stylesheets). Tests read its line boxes; to_pdf writes it."""
    from weasyprint import CSS, HTML
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(allowed_protocols=("data",))
    # The stylesheet is shared with browsers: WeasyPrint's notes on screen-only properties are expected noise.
    logger = logging.getLogger("weasyprint")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        stylesheets = [CSS(string=Path(path).read_text(encoding="utf-8"), url_fetcher=fetcher)
                       for path in stylesheet_paths]
        return HTML(string=html, url_fetcher=fetcher, base_url="about:blank").render(
            stylesheets=stylesheets, pdf_variant=PDF_VARIANT)
    finally:
        logger.setLevel(level)


def to_pdf(html: str, stylesheet_paths: list[str]) -> bytes:
    """The report as a tagged PDF (PDF/UA-1): the title from <title>, the language from <html lang>."""
    return document(html, stylesheet_paths).write_pdf(pdf_variant=PDF_VARIANT)


def _quiet(stage: str, percent: int) -> None:
    return None


def render_pdf(assessment: Assessment, progress=_quiet) -> bytes:
    """The assessment's report PDF (a worker builds it: services/operations/outputs.py)."""
    from flask import render_template

    progress(_("Collecting the answers"), 5)  # stages: shown on the waiting page, in its reader's language
    report = build(assessment)
    html = render_template("assessor/report.html", report=report, methods=METHODS,
                           benchmark_method=report.benchmark.method,
                           flang=language.attribute(report.tree.language),
                           framework_language=language.name(report.tree.language))
    progress(_("Laying out the pages"), 30)
    return to_pdf(html, [str(STATIC / "assessment.css")])

