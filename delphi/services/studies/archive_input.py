"""Reading a Delphi run elsewhere for the archive: the ratings (any shape `delphi analyse` reads, through the one
reader in delphi.stats.readers) and the item texts (a CSV/XLSX of code + text, or a framework file), checked
together into a Plan the organiser previews before anything is stored (archive.store stores it).

Nothing here writes to the database: a file that is refused leaves no trace.
"""
from __future__ import annotations

import csv
import hashlib
import io
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

import framework as fwlib
from framework.convert import from_dict
from delphi import stats
from delphi.models import FrameworkVersion, ItemKind
from delphi.services.frameworks import files as framework_files
from delphi.services.studies import design, protocols
from delphi.stats.readers.options import parse_columns, parse_labels, parse_missing
from delphi.stats.workbook import first_sheet_values

SHAPES: dict[str, tuple[str, dict[str, Any]]] = {
    "long": (_l("Long table: one row per round × item × panelist"), {}),
    "wide": (_l("Wide table: one row per respondent, one column per item"), {"wide": True}),
    "limesurvey": (_l("LimeSurvey response export (one file per round)"), {"preset": "limesurvey"}),
    "redcap": (_l("REDCap records export (rounds as events)"), {"preset": "redcap"}),
    "qualtrics": (_l("Qualtrics CSV export (three header rows)"), {"preset": "qualtrics"}),
}
POINTS = (3, 5, 7, 9)
CODE_NAMES = ("code", "item", "item code", "item_code", "id", "indicator", "statement id")
TEXT_NAMES = ("text", "wording", "statement", "item text", "item_text", "label", "title", "question")
MAX_TEXTS = 5000
MAX_LISTED = 10  # problems of one kind listed one by one; the rest counted
# Stored in the archived study's protocol and draft: the record's own words, not translated.
QUESTION_LABEL = "Rating as put to the panel in the original study"
PLACEHOLDER_LEVEL = "(not described: the imported study rated this item as a whole)"


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes


@dataclass(frozen=True)
class Settings:
    shape: str = "long"
    points: int = 5
    rule: str = "mlm-2021"
    id_column: str = ""
    labels: str = ""
    missing: str = ""
    tool: str = ""
    columns: str = ""   # ROLE=COLUMN pairs, as `delphi analyse --columns`
    skip_rows: int = 0  # lines or rows above the header (a title)
    sheet: str = ""     # an XLSX sheet by name or 1-based number
    encoding: str = ""  # a CSV's text encoding; empty: UTF-8 (with or without BOM) or UTF-16 with BOM, found
    item_columns: str = ""  # wide tables: a regular expression naming the item columns


@dataclass
class Plan:
    """What an import would store, or why it cannot: shown as the preview, stored by archive.store."""

    settings: Settings
    sources: list[str]
    refused: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    frame: pd.DataFrame | None = None
    doc: fwlib.Framework | None = None
    codes: dict[str, tuple[ItemKind, str, str, int | None]] = field(default_factory=dict)
    protocol: dict[str, Any] | None = None
    base: FrameworkVersion | None = None  # a stored version the draft is copied from (the demo: the shipped MLM)
    checksum: str = ""  # SHA-256 over the files and settings: the same import confirmed twice is stored once

    @property
    def ok(self) -> bool:
        return not self.refused and self.frame is not None and self.protocol is not None

    def rounds(self) -> list[dict[str, int]]:
        if self.frame is None:
            return []
        out = []
        for number, sub in self.frame.groupby("round", observed=True):
            out.append({"number": int(number), "items": int(sub["item"].nunique()),
                        "panelists": int(sub["panelist"].nunique()), "ratings": int(sub["rating"].notna().sum()),
                        "abstentions": int(sub["rating"].isna().sum())})
        return out

    def items(self) -> list[str]:
        return [] if self.frame is None else list(dict.fromkeys(str(c) for c in self.frame["item"]))

    def panelists(self) -> int:
        return 0 if self.frame is None else int(self.frame["panelist"].nunique())


def _safe_name(filename: str) -> str:
    name = Path(filename or "upload").name
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)[:100] or "upload"


def read_ratings(uploads: list[Upload], settings: Settings) -> pd.DataFrame:
    """The ratings through delphi.stats' reader, or RatingsError naming the file (as uploaded) and line."""
    options = dict(SHAPES[settings.shape][1])
    if settings.id_column.strip():
        options["id_column"] = settings.id_column.strip()
        options.setdefault("wide", True)
    if settings.labels.strip():
        if "=" not in settings.labels:
            raise stats.RatingsError(_("labels: write them as LABEL=POINT pairs, e.g. Agree=3,Disagree=1"))
        # One pair a line: parse_labels then never takes the text for a file name (the web reads no server file).
        options["labels"] = parse_labels(settings.labels.replace(",", "\n") + "\n")
    options["missing"] = parse_missing(settings.missing)
    options["columns"] = parse_columns(settings.columns)
    if not 0 <= settings.skip_rows <= 100:
        raise stats.RatingsError(_("lines above the header: give 0 to 100"))
    options["skip_rows"] = settings.skip_rows
    sheet = settings.sheet.strip()
    if sheet:
        options["sheet"] = int(sheet) if sheet.isdigit() else sheet
    if settings.encoding.strip():
        options["encoding"] = settings.encoding.strip()
    if settings.item_columns.strip():
        options["item_columns"] = settings.item_columns.strip()
        options.setdefault("wide", True)
    with tempfile.TemporaryDirectory(prefix="delphi-archive-") as tmp:
        paths = []
        for n, upload in enumerate(uploads):
            folder = Path(tmp) / str(n)
            folder.mkdir()
            path = folder / _safe_name(upload.filename)
            path.write_bytes(upload.data)
            paths.append(path)
        try:
            return stats.read_ratings(paths, scale=(1, settings.points), options=stats.ReadOptions(**options))
        except stats.StatsInputError as exc:
            message = str(exc)
            for n in range(len(uploads)):
                message = message.replace(f"{tmp}/{n}/", "")
            raise stats.RatingsError(message) from None


def read_texts(upload: Upload, plan: Plan) -> None:
    """Item texts into plan.doc and plan.codes: a code + text table, else a framework file."""
    name = upload.filename or "items"
    suffix = Path(name).suffix.lower()
    table = None
    if suffix in (".csv", ".txt", ".xlsx"):
        table = _text_rows(upload, plan)
        if plan.refused:
            return
    if table is None:
        try:
            plan.doc = framework_files.read_file(upload.data, name)
        except Exception as exc:  # FileRefused, or an unknown extension
            plan.refused.append(f"{name}: {exc}")
            return
        for kind, element, domain, level in design.rated_elements(plan.doc, list(ItemKind)):
            plan.codes[design.item_code(kind, element, level)] = (kind, element, domain, level)
        return
    plan.doc = _framework_from_texts(table, plan)


def _text_rows(upload: Upload, plan: Plan) -> list[tuple[int, str, str]] | None:
    """(line, code, text) rows of an items table; None when the file has no code and text columns (then it may
    be a framework file); problems go to plan.refused with their line."""
    name = upload.filename
    if Path(name).suffix.lower() == ".xlsx":
        with tempfile.TemporaryDirectory(prefix="delphi-archive-") as tmp:
            path = Path(tmp) / _safe_name(name)
            path.write_bytes(upload.data)
            try:
                rows = [["" if v is None else str(v) for v in row] for row in first_sheet_values(path)]
            except stats.StatsInputError as exc:
                plan.refused.append(str(exc).replace(f"{path}", name))
                return []
        where = "row"  # a spreadsheet's
    else:
        try:
            text = upload.data.decode("utf-8-sig")
        except UnicodeDecodeError:
            plan.refused.append(_("%(file)s: not UTF-8 text; save it as CSV UTF-8", file=name))
            return []
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|") if text.strip() else csv.excel
        rows = list(csv.reader(io.StringIO(text), dialect))
        where = "line"
    if not rows:
        plan.refused.append(_("%(file)s: the file is empty", file=name))
        return []
    header = [h.strip().lower() for h in rows[0]]
    code_col = next((header.index(c) for c in CODE_NAMES if c in header), None)
    text_col = next((header.index(c) for c in TEXT_NAMES if c in header and header.index(c) != code_col), None)
    if code_col is None or text_col is None:
        return None
    out: list[tuple[int, str, str]] = []
    seen: dict[str, int] = {}
    problems: list[str] = []
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        code = row[code_col].strip() if code_col < len(row) else ""
        wording = row[text_col].strip() if text_col < len(row) else ""
        if not code or not wording:
            problems.append(_at(name, where, line) + ": "
                            + (_("no code") if not code else _("item %(code)s has no text", code=code)))
        elif code in seen:
            problems.append(_at(name, where, line) + ": "
                            + (_("item %(code)s is listed twice (first on row %(first)s)", code=code, first=seen[code])
                               if where == "row" else
                               _("item %(code)s is listed twice (first on line %(first)s)", code=code,
                                 first=seen[code])))
        else:
            seen[code] = line
            out.append((line, code, wording))
    if len(out) > MAX_TEXTS:
        problems.append(_("%(file)s: %(count)s items; at most %(max)s can be imported", file=name, count=len(out),
                          max=MAX_TEXTS))
    plan.refused.extend(_capped(problems))
    return out


def _at(name: str, where: str, line: int) -> str:
    """Where a problem is: "items.csv: line 4" (a CSV) or "items.xlsx: row 4" (a spreadsheet)."""
    return (_("%(file)s: row %(number)s", file=name, number=line) if where == "row"
            else _("%(file)s: line %(number)s", file=name, number=line))


def _capped(problems: list[str]) -> list[str]:
    if len(problems) <= MAX_LISTED:
        return problems
    return problems[:MAX_LISTED] + [_("… and %(count)s more of the same kind", count=len(problems) - MAX_LISTED)]


def _framework_from_texts(table: list[tuple[int, str, str]], plan: Plan) -> fwlib.Framework | None:
    """A framework holding the imported items as indicators of one domain, so the study, its release and its
    report work as for any study (the levels are marked as not described)."""
    codes = {code for _, code, _ in table}
    domain = next(c for c in ("ARCHIVE", "ARCHIVE-D", "ARCHIVE-D1") if c not in codes)
    sub = next(c for c in ("ARCHIVE.1", "ARCHIVE-S", "ARCHIVE-S1") if c not in codes)
    document = {"name": "Imported items", "description": "Items of a Delphi study run elsewhere and archived here.",
                "domains": [{"code": domain, "title": "Imported items", "subdomains": [
                    {"code": sub, "title": "Imported items", "indicators": [
                        {"code": code, "statement": text, "levels": [PLACEHOLDER_LEVEL] * 5}
                        for _, code, text in table]}]}]}
    try:
        doc = from_dict(document, filename=plan.sources[-1])
    except fwlib.FrameworkError as exc:
        plan.refused.append(str(exc))
        return None
    for _line, code, _text in table:
        plan.codes[code] = (ItemKind.INDICATOR, code, domain, None)
    return doc


def read(ratings: list[Upload], texts: Upload | None, settings: Settings) -> Plan:
    """Check everything an import needs; never raises for bad input (plan.refused says what and where)."""
    plan = Plan(settings=settings, sources=[u.filename for u in ratings] + ([texts.filename] if texts else []),
                checksum=_checksum(ratings, texts, settings))
    if settings.shape not in SHAPES:
        plan.refused.append(_("unknown shape '%(shape)s'", shape=settings.shape))
    if settings.points not in POINTS:
        plan.refused.append(_("the scale must have %(points)s points", points=", ".join(map(str, POINTS))))
    if settings.rule not in stats.PRESETS:
        plan.refused.append(_("unknown consensus rule '%(rule)s'", rule=settings.rule))
    if not ratings:
        plan.refused.append(_("give the ratings file(s)"))
    if texts is None:
        plan.refused.append(_("give the item texts (a CSV/XLSX of code and text, or a framework file)"))
    if plan.refused:
        return plan
    try:
        frame = read_ratings(ratings, settings)
    except stats.StatsInputError as exc:
        plan.refused.append(str(exc))
        frame = None
    read_texts(texts, plan)
    if frame is not None:
        complete(plan, frame)
    return plan


def _checksum(ratings: list[Upload], texts: Upload | None, settings: Settings) -> str:
    digest = hashlib.sha256(repr(settings).encode())
    for upload in [*ratings, *([texts] if texts else [])]:
        digest.update(hashlib.sha256(upload.data).digest())
    return digest.hexdigest()


def complete(plan: Plan, frame: pd.DataFrame) -> None:
    """Match the ratings to the item texts and build the protocol (the demo enters here with its own frame)."""
    if plan.doc is None:
        return
    if "question" in frame.columns:
        questions = [str(q) for q in dict.fromkeys(frame["question"].astype(str))]
    else:
        questions = ["agreement"]
        frame = frame.assign(question="agreement")
    rounds = sorted(int(r) for r in frame["round"].unique())
    if rounds[0] < 1:
        plan.refused.append(_("round %(number)s: rounds are numbered from 1", number=rounds[0]))
    rated = list(dict.fromkeys(str(c) for c in frame["item"]))
    unknown = [c for c in rated if c not in plan.codes]
    if unknown:
        plan.refused.extend(_capped([_("item %(code)s is rated but has no text in %(file)s", code=c,
                                       file=plan.sources[-1]) for c in unknown]))
    unrated = len(set(plan.codes) - set(rated))
    if unrated and not unknown:
        plan.notes.append(ngettext("%(num)d item(s) of %(file)s were not rated in any round: they stay in the draft "
                                   "but are not items of the study.",
                                   "%(num)d item(s) of %(file)s were not rated in any round: they stay in the draft "
                                   "but are not items of the study.", unrated, file=plan.sources[-1]))
    kinds = list(dict.fromkeys(plan.codes[c][0].value for c in rated if c in plan.codes))
    raw = protocols.default_protocol()
    agree, disagree = protocols.default_bands(plan.settings.points)
    raw.update(rated_kinds=kinds or ["indicator"], rule=plan.settings.rule,
               max_rounds=max(raw["max_rounds"], len(rounds)), reminder_days_before=[])
    raw["questions"] = [{"key": q, "label": QUESTION_LABEL if q == "agreement" else q.title(),
                         "points": plan.settings.points, "labels": protocols.DEFAULT_LABELS[plan.settings.points],
                         "allow_unable": True, "agree": agree, "disagree": disagree} for q in questions]
    try:
        plan.protocol = protocols.validate(raw)
    except Exception as exc:  # InvalidInput: e.g. a question name that is not a short key
        plan.refused.append(_("ratings: %(reason)s", reason=exc))
    plan.frame = frame
    plan.notes.append(_("Panelist identifiers are replaced by pseudonyms (E01, E02, …); the original identifiers "
                        "are not stored."))
