"""An earlier assessment imported from the spreadsheet a team kept before this platform, as a baseline.

The shape teams kept: one row per indicator with its code, the level reached, the target and the evidence
(optionally confidence, and "n/a" with a reason for an indicator that does not apply). Columns are found by
name, in any order, in any case; CSV (comma or semicolon, UTF-8 with or without a byte-order mark, or
Windows-1252) or XLSX (the first sheet, bounded like every spreadsheet the platform reads: delphi/stats/workbook).

read() checks every row against the framework version and reports each one (read, or refused and why) without
writing anything; create() then stores the rows that were read as an assessment, finalised when every
indicator has an answer, so progress over time starts from past work.
"""
from __future__ import annotations

import csv
import io
import re
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from flask_babel import gettext as _

from delphi.errors import InvalidInput
from delphi.models import FrameworkVersion, Organisation, User
from delphi.models.assessment import Assessment, Confidence
from delphi.services.assessments import answers, lifecycle
from delphi.services.assessments.answers import SOLO_FIELDS, AnswerInput
from delphi.stats.errors import RatingsError
from delphi.stats.workbook import first_sheet_values

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 2_000
MAX_EVIDENCE = 10_000
# Column → the names teams use for it (lower case, spaces and punctuation ignored).
COLUMNS = {
    "code": ("code", "indicator", "indicatorcode", "id", "item"),
    "level": ("level", "current", "currentlevel", "levelreached", "maturity", "maturitylevel", "score"),
    "target": ("target", "targetlevel", "goal"),
    "evidence": ("evidence", "justification", "comment", "comments", "notes", "rationale"),
    "confidence": ("confidence",),
    "na_reason": ("notapplicablereason", "nareason", "reasonnotapplicable"),
}
NOT_APPLICABLE = {"na", "n/a", "notapplicable", "not applicable", "-"}


@dataclass(frozen=True)
class Row:
    line: int  # the row's number in the file (the header is row 1)
    code: str
    status: str  # "read" or "refused"
    message: str
    answer: AnswerInput | None = None


@dataclass
class BaselineReport:
    rows: list[Row] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # indicator codes with no row
    columns: dict[str, str] = field(default_factory=dict)  # column → the header it was found under

    @property
    def read(self) -> list[Row]:
        return [r for r in self.rows if r.status == "read"]

    @property
    def refused(self) -> list[Row]:
        return [r for r in self.rows if r.status == "refused"]

    @property
    def complete(self) -> bool:
        return not self.missing and not self.refused


def _key(header: Any) -> str:
    return "".join(ch for ch in str(header or "").lower() if ch.isalnum())


def _table(data: bytes, filename: str) -> list[list[Any]]:
    if len(data) > MAX_BYTES:
        raise InvalidInput(_("The file is %(size)s KB; a baseline file may have at most %(max)s MB. Nothing was "
                             "imported.", size=len(data) >> 10, max=MAX_BYTES >> 20))
    if filename.lower().endswith(".xlsx") or data[:2] == b"PK":
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "baseline.xlsx"
            path.write_bytes(data)
            try:
                return [list(r) for r in first_sheet_values(path)]
            except RatingsError as exc:
                raise InvalidInput(_("%(reason)s. Nothing was imported.",
                                     reason=str(exc).replace(str(path), filename))) from None
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = ";" if first.count(";") > first.count(",") else ","
    try:
        return [row for row in csv.reader(io.StringIO(text), delimiter=delimiter)]
    except csv.Error as exc:
        raise InvalidInput(_("%(file)s cannot be read as CSV (%(reason)s). Nothing was imported.", file=filename,
                             reason=exc)) from None


def _column_of(header: Any) -> str | None:
    """The column a header names: the whole header ("Current level"), else one of its words ("Kód / code")."""
    key = _key(header)
    for column, aliases in COLUMNS.items():
        if key in aliases:
            return column
    words = {w for w in re.findall(r"\w+", str(header or "").lower())}
    for column, aliases in COLUMNS.items():
        if words & set(aliases):
            return column
    return None


def _header(table: list[list[Any]]) -> tuple[int, dict[str, int], dict[str, str]]:
    """The first row naming a code column and a level column (a title may stand above the table)."""
    for index, row in enumerate(table[:10]):
        found: dict[str, int] = {}
        names: dict[str, str] = {}
        for position, header in enumerate(row):
            column = _column_of(header)
            if column is not None and column not in found:
                found[column], names[column] = position, str(header).strip()
        if "code" in found and "level" in found:
            return index, found, names
    first = next((row for row in table if any(str(v or "").strip() for v in row)), [])
    shown = ", ".join(repr(str(v)) for v in first[:8] if str(v or "").strip()) or _("nothing")
    raise InvalidInput(_("No header row with an indicator code column and a level column was found in the first 10 "
                         "rows (e.g. 'code', 'level', 'target', 'evidence'; the first row holds %(first)s). Nothing "
                         "was imported.", first=shown))


def _level(raw: Any, what: str) -> int | None:
    """what: "level" or "target" (the column)."""
    if raw is None or str(raw).strip() == "":
        return None
    text = str(raw).strip()
    if isinstance(raw, float) and raw.is_integer():
        text = str(int(raw))
    if not text.isdigit() or not 1 <= int(text) <= 5:
        raise ValueError(_("target %(value)s is not a whole number from 1 to 5", value=repr(text)) if what == "target"
                         else _("level %(value)s is not a whole number from 1 to 5", value=repr(text)))
    return int(text)


def read(data: bytes, filename: str, version: FrameworkVersion) -> BaselineReport:
    """Every row checked against the version, nothing written."""
    table = _table(data, filename)
    start, where, names = _header(table)
    tree = lifecycle.tree(version)
    by_code = {ind.code.lower(): ind for ind in tree.indicators}
    report = BaselineReport(columns=names)
    seen: dict[str, int] = {}
    body = table[start + 1:]
    if len(body) > MAX_ROWS:
        raise InvalidInput(_("The file has %(count)s rows; a baseline may have at most %(max)s. Nothing was "
                             "imported.", count=len(body), max=MAX_ROWS))

    def cell(row: list[Any], column: str) -> Any:
        position = where.get(column)
        return row[position] if position is not None and position < len(row) else None

    width = len(table[start])
    for offset, row in enumerate(body):
        line = start + offset + 2
        if not any(str(v or "").strip() for v in row):
            continue
        code = str(cell(row, "code") or "").strip()
        extra = [v for v in row[width:] if str(v or "").strip()]
        if extra:
            report.rows.append(Row(line, code, "refused", _(
                "the row has %(fields)s fields but the header has %(width)s (a separator inside a text that is not "
                "quoted?)", fields=width + len(extra), width=width)))
            continue
        indicator = by_code.get(code.lower())
        if indicator is None:
            report.rows.append(Row(line, code, "refused",
                                   _("%(code)s is not an indicator of %(version)s", code=repr(code), version=version.ref)
                                   if code else _("no indicator code")))
            continue
        if indicator.code in seen:
            report.rows.append(Row(line, indicator.code, "refused",
                                   _("%(code)s already has a row (row %(row)s)", code=indicator.code,
                                     row=seen[indicator.code])))
            continue
        try:
            answer = _answer(row, cell)
        except ValueError as exc:
            report.rows.append(Row(line, indicator.code, "refused", str(exc)))
            continue
        seen[indicator.code] = line
        shown = (_("not applicable") if answer.not_applicable else
                 _("level %(level)s, target %(target)s", level=answer.current_level, target=answer.target_level)
                 if answer.target_level else _("level %(level)s", level=answer.current_level))
        report.rows.append(Row(line, indicator.code, "read", shown, answer))
    report.missing = [ind.code for ind in tree.indicators if ind.code not in seen]
    return report


def _answer(row: list[Any], cell) -> AnswerInput:
    raw_level = str(cell(row, "level") or "").strip()
    evidence = str(cell(row, "evidence") or "").strip()
    if len(evidence) > MAX_EVIDENCE:
        raise ValueError(_("the evidence has %(length)s characters; at most %(max)s", length=len(evidence),
                           max=MAX_EVIDENCE))
    if raw_level.lower() in NOT_APPLICABLE:
        reason = str(cell(row, "na_reason") or "").strip() or evidence
        if not reason:
            raise ValueError(_("marked not applicable without a reason (give one in the evidence column)"))
        return AnswerInput(not_applicable=True, na_reason=reason, evidence=evidence)
    level = _level(cell(row, "level"), "level")
    if level is None:
        raise ValueError(_("no level"))
    target = _level(cell(row, "target"), "target")
    if target is not None and target < level:
        raise ValueError(_("target %(target)s is below the level %(level)s", target=target, level=level))
    raw_confidence = str(cell(row, "confidence") or "").strip().lower()
    try:
        confidence = Confidence(raw_confidence) if raw_confidence else None
    except ValueError:
        raise ValueError(_("confidence %(value)s is not low, medium or high", value=repr(raw_confidence))) from None
    return AnswerInput(current_level=level, target_level=target, evidence=evidence, confidence=confidence)


def create(org: Organisation, version: FrameworkVersion, report: BaselineReport, *, title: str,
           reference_date: date, by: User, finalise: bool) -> Assessment:
    """Store the rows that were read; finalise only a complete baseline (every indicator, no refused row)."""
    if not report.read:
        raise InvalidInput(_("No row could be read, so there is nothing to import."))
    if finalise and not report.complete:
        raise InvalidInput(_("A finalised baseline needs every indicator: %(missing)s have no row and %(refused)s "
                             "rows were refused. Import it as in progress and complete it, or correct the file.",
                             missing=len(report.missing), refused=len(report.refused)))
    assessment = lifecycle.create(org, version, title=title, reference_date=reference_date,
                                  scope="Imported from an earlier assessment (spreadsheet).",  # stored: not translated
                                  team_user_ids=[by.id],
                                  by=by)
    tree = lifecycle.tree(version)
    by_code = {ind.code: ind for ind in tree.indicators}
    for row in report.read:
        answers.save(assessment, by_code[row.code], row.answer, fields=SOLO_FIELDS, by=by)
    if finalise:
        lifecycle.finalise(assessment, by=by)
    return assessment
