"""The panel from a CSV file: each line checked (nothing stored), then the good rows added once the organiser
confirms them. Columns: email, name, and optionally stakeholder_group, country, expertise and language."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select

from delphi.errors import InvalidInput
from delphi.extensions import db
from delphi.models import Panelist, Study, User
from delphi.services.accounts import users
from delphi.services.studies.panel import add, offered_language

CSV_COLUMNS = ("email", "name", "stakeholder_group", "country", "expertise", "language")
MAX_CSV_ROWS = 5000


@dataclass
class CsvPreview:
    rows: list[dict[str, str]] = field(default_factory=list)       # good rows, ready to add
    errors: list[tuple[int, str]] = field(default_factory=list)    # (line number, what is wrong)


def parse_csv(data: bytes, study: Study) -> CsvPreview:
    """Check a panel CSV line by line; nothing is stored (the organiser confirms the good rows)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(_("The file is not UTF-8 text; save it as 'CSV UTF-8' and try again.")) from None
    reader = csv.DictReader(io.StringIO(text))
    try:
        return _parse_rows(reader, study)
    except csv.Error as exc:  # a NUL byte, a field over the csv module's limit, a broken quote
        raise InvalidInput(_("Line %(line)s: the file cannot be read as CSV (%(reason)s).", line=reader.line_num,
                               reason=exc)) from None


def _parse_rows(reader: csv.DictReader, study: Study) -> CsvPreview:
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if "email" not in header or "name" not in header:
        raise InvalidInput(_("The CSV needs a header row with at least the columns email and name "
                             "(optional: %(columns)s).", columns=", ".join(CSV_COLUMNS[2:])))
    reader.fieldnames = header
    return check_rows(reader, study)


def check_rows(rows: Iterable[dict], study: Study, *, skip_blank: bool = True) -> CsvPreview:
    """Check panel rows (from the file, or as confirmed by the organiser) line by line; store nothing.

    A file may have blank lines (skipped); rows coming back for confirmation never do (skip_blank=False makes
    one an error), so a confirmation adds exactly the rows it lists, or none.
    """
    on_panel = set(db.session.scalars(select(User.email).join(Panelist, Panelist.user_id == User.id)
                                      .where(Panelist.study_id == study.id)))
    seen: set[str] = set()
    preview = CsvPreview()
    for line, row in enumerate(rows, start=2):
        if line - 1 > MAX_CSV_ROWS:
            raise InvalidInput(_("The CSV has more than %(max)s rows; split it into smaller files.", max=MAX_CSV_ROWS))
        clean = {k: str(row.get(k) or "").strip() for k in CSV_COLUMNS}
        if not any(clean.values()):
            if not skip_blank:
                preview.errors.append((line, _("the row is empty")))
            continue
        try:
            clean["email"] = users.normalise_email(clean["email"])
        except InvalidInput as exc:
            preview.errors.append((line, exc.message))
            continue
        try:
            clean["language"] = offered_language(study, clean["language"])
        except InvalidInput as exc:
            preview.errors.append((line, exc.message))
            continue
        if not clean["name"]:
            preview.errors.append((line, _("the name is empty")))
        elif clean["email"] in seen:
            preview.errors.append((line, _("%(email)s appears twice in the file", email=clean["email"])))
        elif clean["email"] in on_panel:
            preview.errors.append((line, _("%(email)s is already on the panel", email=clean["email"])))
        else:
            seen.add(clean["email"])
            preview.rows.append(clean)
    return preview


def add_rows(study: Study, rows: list[dict[str, str]], *, by: User) -> list[Panelist]:
    return [add(study, r["email"], r["name"], by=by, stakeholder_group=r.get("stakeholder_group", ""),
                country=r.get("country", ""), expertise=r.get("expertise", ""), language=r.get("language", ""))
            for r in rows]
