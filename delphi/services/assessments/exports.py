"""Exports of one assessment: JSON (machine-readable), XLSX (spreadsheet) and PDF (WeasyPrint report).

Every export carries the same content as the pages: the levels, the per-domain summaries with their method,
the gaps, the action plan and — if available — the anonymous benchmark. Only the assessed organisation is named.
"""
from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from delphi.db import utcnow
from delphi.downloads import slugged
from delphi.models.assessment import Assessment, AssessmentAnswer
from delphi.services.assessments import actions, answers, benchmark, results
from delphi.services.assessments import lifecycle
from delphi.services.assessments.actions import ActionView
from delphi.services.assessments.benchmark import Benchmark
from delphi.services.assessments.results import METHODS, Results, Summary
from delphi.services.assessments.lifecycle import Tree

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


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


def build(assessment: Assessment) -> Report:
    tree = lifecycle.tree(assessment.version)
    stored = answers.answers(assessment)
    team = tuple(sorted(m.user.name for m in assessment.team))
    return Report(assessment=assessment, organisation_name=assessment.organisation.name, tree=tree,
                  results=results.compute(tree, stored),
                  plan=tuple(actions.plan(assessment, tree, stored)),
                  benchmark=benchmark.for_assessment(assessment, tree, stored), team=team,
                  generated_at=utcnow(), answers=stored)


def filename(report: Report, extension: str) -> str:
    # Letters of every script are kept: the download sends the name RFC 6266-encoded (delphi/downloads.py).
    return f"assessment-{report.assessment.id}-{slugged(report.assessment.title, fallback='report')}.{extension}"


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
                      "checksum": report.tree.checksum},
        "methods": METHODS,
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
    }


def safe_cell(value: Any) -> Any:
    """Neutralise text a spreadsheet would run as a formula (=, +, -, @, tab, CR at the start): prefix a quote."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def to_xlsx(report: Report) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    a = report.assessment
    wb = Workbook()
    bold = Font(bold=True)

    def sheet(title: str, header: list[str], rows: list[list[Any]], widths: list[int] | None = None):
        ws = wb.create_sheet(title)
        ws.append([safe_cell(h) for h in header])
        for cell in ws[1]:
            cell.font = bold
        for row in rows:
            ws.append([safe_cell(v) for v in row])
        ws.freeze_panes = "A2"
        for i, width in enumerate(widths or [], start=1):
            ws.column_dimensions[chr(64 + i)].width = width
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, str) and len(cell.value) > 40:
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
        return ws

    about = wb.active
    about.title = "Assessment"
    for key, value in [("Organisation", report.organisation_name), ("Assessment", a.title), ("Scope", a.scope),
                       ("Reference date", a.reference_date.isoformat()), ("Status", a.status.value.replace("_", " ")),
                       ("Framework", f"{report.tree.name} ({report.tree.ref})"), ("Source", report.tree.source),
                       ("Team", ", ".join(report.team)),
                       ("Generated", report.generated_at.strftime("%Y-%m-%d %H:%M UTC"))]:
        about.append([key, safe_cell(value)])
        about.cell(row=about.max_row, column=1).font = bold
    about.append([])
    for key, text in METHODS.items():
        about.append([f"Method: {key}", safe_cell(text)])
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
            None if d.summary.share_3plus is None else round(d.summary.share_3plus, 4), d.summary.mean_gap]
           for d in report.results.domains], [8, 50, 10, 10, 10, 10, 10, 12, 10])
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
                   f"{report.benchmark.published_at:%d %b %Y}; other organisations: at least {report.benchmark.at_least}"])
        ws.append(["Method", safe_cell(report.benchmark.method)])
    for ws in wb.worksheets[1:]:
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                if cell.is_date:
                    cell.number_format = "yyyy-mm-dd"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def to_pdf(html: str, stylesheet_paths: list[str]) -> bytes:
    """Render the report HTML with WeasyPrint; it fetches nothing (no network, no files beyond our stylesheets)."""
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
        return HTML(string=html, url_fetcher=fetcher, base_url="about:blank").write_pdf(stylesheets=stylesheets)
    finally:
        logger.setLevel(level)
