"""Archiving a Delphi run elsewhere: the upload form, a preview of what would be stored (nothing is stored
yet), and the confirmation that stores it as an archived study (services/studies/archive)."""
from __future__ import annotations

import base64
import json
import binascii

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, MultipleFileField
from wtforms import IntegerField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from delphi import jsonsafe, stats
from delphi.errors import DomainError, InvalidInput
from delphi.extensions import db
from delphi.forms import EmptyForm
from delphi.organiser.blueprint import bp
from delphi.permissions import is_organiser, require
from delphi.services.studies import archive, archive_input


class ArchiveForm(FlaskForm):
    title = StringField(_l("Title of the study"), validators=[DataRequired(), Length(max=300)])
    aims = TextAreaField(_l("Aims (optional)"), validators=[Optional(), Length(max=5000)])
    tool = StringField(_l("Where it was run (tool or project)"), validators=[DataRequired(), Length(max=200)],
                       description=_l("Shown on every page, in the report, the data package and the release, "
                                      "e.g. “LimeSurvey, 2023”."))
    ratings = MultipleFileField(_l("Ratings (CSV or XLSX; one file per round, or one file with a round column)"))
    texts = FileField(_l("Item texts (CSV/XLSX with item code and text, or a framework file)"))
    shape = SelectField(_l("Shape of the ratings"),
                        choices=[SelectChoice(k, v[0]) for k, v in archive_input.SHAPES.items()])
    points = SelectField(_l("Points of the rating scale"), coerce=int, default=5,
                         choices=[SelectChoice(p, f"1–{p}") for p in archive_input.POINTS])
    rule = SelectField(_l("Consensus rule for the stored statistics"), default="mlm-2021",
                       choices=[SelectChoice(name, name) for name in stats.PRESETS])
    id_column = StringField(_l("Respondent id column (wide tables, optional)"),
                            validators=[Optional(), Length(max=100)])
    labels = StringField(_l("Answer labels (optional)"), validators=[Optional(), Length(max=2000)],
                         description=_l("e.g. Disagree=1,Neither=2,Agree=3 when the file holds words, not numbers."))
    missing = StringField(_l("“Unable to rate” answers (optional)"), validators=[Optional(), Length(max=500)],
                          description=_l("e.g. 99,N/A — counted as abstentions."))
    columns = StringField(_l("Column names (optional)"), validators=[Optional(), Length(max=500)],
                          description=_l("When the file names its columns otherwise: ROLE=COLUMN pairs, e.g. "
                                         "panelist=Expert ID,rating=Answer (roles: round, item, panelist, rating, "
                                         "question, comment, group)."))
    skip_rows = IntegerField(_l("Lines above the header"), default=0, validators=[Optional(), NumberRange(0, 100)],
                             description=_l("e.g. 1 when a title line sits above the table."))
    sheet = StringField(_l("Sheet (XLSX, optional)"), validators=[Optional(), Length(max=100)],
                        description=_l("Its name or number; the first sheet otherwise."))
    encoding = SelectField(_l("Text encoding (CSV)"), default="", choices=[
        SelectChoice("", _l("Found by itself (UTF-8, with or without BOM, or UTF-16 as Excel's Unicode text)")),
        SelectChoice("cp1252", _l("Windows-1252 (Excel's CSV on Windows in Western Europe)")),
        SelectChoice("latin-1", _l("ISO-8859-1 (Latin-1)")), SelectChoice("utf-8", "UTF-8"),
        SelectChoice("utf-16", "UTF-16")])
    item_columns = StringField(_l("Item columns (wide tables, optional)"), validators=[Optional(), Length(max=200)],
                               description=_l("A regular expression naming them, e.g. ^Q\\d+ ; otherwise every "
                                              "column whose values are ratings."))
    note = TextAreaField(_l("Note shown with the label (optional)"), validators=[Optional(), Length(max=500)],
                         description=_l("Anything a reader must know, e.g. that the ratings were reconstructed."))


def _settings(data: dict) -> archive_input.Settings:
    return archive_input.Settings(shape=str(data.get("shape") or "long"), points=int(data.get("points") or 5),
                                  rule=str(data.get("rule") or "mlm-2021"), id_column=str(data.get("id_column") or ""),
                                  labels=str(data.get("labels") or ""), missing=str(data.get("missing") or ""),
                                  tool=str(data.get("tool") or ""), columns=str(data.get("columns") or ""),
                                  skip_rows=int(data.get("skip_rows") or 0), sheet=str(data.get("sheet") or ""),
                                  encoding=str(data.get("encoding") or ""),
                                  item_columns=str(data.get("item_columns") or ""))


@bp.get("/archives/new")
@require(is_organiser)
def import_archive():
    return render_template("organiser/archive_import.html", form=ArchiveForm())


@bp.post("/archives/preview")
@require(is_organiser)
def preview_archive():
    """Check the files and show what would be stored; stores nothing."""
    form = ArchiveForm()
    uploads = [archive_input.Upload(f.filename, f.read()) for f in (form.ratings.data or []) if f and f.filename]
    texts = form.texts.data
    texts = archive_input.Upload(texts.filename, texts.read()) if texts and texts.filename else None
    if not form.validate_on_submit() or not uploads or texts is None:
        if not uploads:
            form.ratings.errors = [*form.ratings.errors, _("Choose the ratings file(s).")]
        if texts is None:
            form.texts.errors = [*form.texts.errors, _("Choose the file with the item texts.")]
        return render_template("organiser/archive_import.html", form=form), 400
    fields = {k: form[k].data for k in ("shape", "points", "rule", "id_column", "labels", "missing", "tool", "columns",
                                          "skip_rows", "sheet", "encoding", "item_columns")}
    plan = archive_input.read(uploads, texts, _settings(fields))
    payload = {"title": form.title.data, "aims": form.aims.data or "", "note": form.note.data or "",
               "settings": fields, "texts": _pack(texts), "ratings": [_pack(u) for u in uploads]}
    return render_template("organiser/archive_preview.html", plan=plan, form=form, confirm=EmptyForm(),
                           payload=json.dumps(payload) if plan.ok else ""), (200 if plan.ok else 400)


@bp.post("/archives")
@require(is_organiser)
def store_archive():
    """Store the previewed files as an archived study: read and checked again, never taken from the preview."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        data = jsonsafe.loads(request.form.get("payload", ""), max_depth=6,
                              max_bytes=current_app.config.get("MAX_CONTENT_LENGTH") or 16 * 1024 * 1024)
        ratings = [_unpack(u) for u in data["ratings"]]
        plan = archive_input.read(ratings, _unpack(data["texts"]), _settings(data["settings"]))
        study = archive.store(plan, str(data["title"]), by=current_user, aims=str(data.get("aims") or ""),
                              note=str(data.get("note") or ""))
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return render_template("organiser/archive_import.html", form=ArchiveForm(formdata=None)), 400
    except (ValueError, KeyError, TypeError, binascii.Error):
        db.session.rollback()
        flash(InvalidInput(_("The confirmation was damaged; upload the files again.")).message, "error")
        return render_template("organiser/archive_import.html", form=ArchiveForm(formdata=None)), 400
    db.session.commit()
    flash(ngettext("Archived study stored: %(num)d read-only round(s) with their statistics. Record the decisions "
                   "on the last round, then release it like any study.",
                   "Archived study stored: %(num)d read-only round(s) with their statistics. Record the decisions "
                   "on the last round, then release it like any study.", len(study.rounds)), "success")
    return redirect(url_for("organiser.study", study_id=study.id))


def _pack(upload: archive_input.Upload) -> dict[str, str]:
    return {"filename": upload.filename, "data": base64.b64encode(upload.data).decode("ascii")}


def _unpack(data: dict) -> archive_input.Upload:
    return archive_input.Upload(str(data["filename"]), base64.b64decode(str(data["data"]), validate=True))
