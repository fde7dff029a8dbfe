"""Forms of the framework pages. Validators give the friendly message; the services and the database decide."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

import framework as fwlib

LABEL_RULE = Regexp(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$",
                    message="Use letters, digits, '.', '-' or '_' (e.g. 2025 or draft-2).")
SLUG_RULE = Regexp(r"^[a-z0-9][a-z0-9-]{0,99}$", message="Use lowercase letters, digits and '-'.")
CODE_HINT = "Up to 32 letters, digits, '.', '-' or '_'; unique in this version (e.g. IX or IX.1.2)."


class ImportForm(FlaskForm):
    file = FileField("Framework file", validators=[FileRequired("Choose a file to import.")],
                     description="JSON, YAML, CSV or XLSX, at most "
                                 f"{fwlib.MAX_FILE_BYTES // 2**20} MiB. It is stored as a new draft.")
    slug = StringField("Framework slug", validators=[Optional(), SLUG_RULE],
                       description="Optional. An existing slug adds a version to that framework; "
                                   "empty makes one from the framework's short name.")
    label = StringField("Version label", validators=[Optional(), LABEL_RULE],
                        description="Optional; empty suggests one (draft-1, draft-2 …).")


class NewDraftForm(FlaskForm):
    label = StringField("Label of the new draft", validators=[DataRequired(), LABEL_RULE])


class ReleaseForm(FlaskForm):
    label = StringField("Release label", validators=[Optional(), Length(max=100)],
                        description="How the release is cited, e.g. 2027 or 2.0 (never 'draft').")
    release_notes = TextAreaField("Release notes", validators=[Optional(), Length(max=10_000)])


class MetadataForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=300)])
    short_name = StringField("Short name", validators=[Optional(), Length(max=100)])
    description = TextAreaField("Description", validators=[Optional()])
    source = TextAreaField("Source and attribution", validators=[Optional()],
                           description="Shown wherever the framework is shown.")
    numbering_note = TextAreaField("Numbering note", validators=[Optional()])


class GenericLevelsForm(FlaskForm):
    level_1 = StringField("Level 1", validators=[Optional()])
    level_2 = StringField("Level 2", validators=[Optional()])
    level_3 = StringField("Level 3", validators=[Optional()])
    level_4 = StringField("Level 4", validators=[Optional()])
    level_5 = StringField("Level 5", validators=[Optional()])

    def texts(self) -> list[str]:
        return [self[f"level_{n}"].data or "" for n in range(1, 6)]


class GlossaryTermForm(FlaskForm):
    term = StringField("Term", validators=[DataRequired(), Length(max=200)])
    definition = TextAreaField("Definition", validators=[DataRequired()])


class ElementForm(FlaskForm):
    """A new domain or subdomain."""
    code = StringField("Code", validators=[DataRequired()], description=CODE_HINT)
    title = StringField("Title", validators=[DataRequired()])


class TitleForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired()])


class IndicatorForm(FlaskForm):
    """An indicator's texts; `code` is used only when adding one."""
    code = StringField("Code", validators=[Optional()], description=CODE_HINT)
    statement = TextAreaField("Statement", validators=[DataRequired()])
    guidance = TextAreaField("Guidance (optional)", validators=[Optional()])
    level_1 = TextAreaField("Level 1", validators=[DataRequired()])
    level_2 = TextAreaField("Level 2", validators=[DataRequired()])
    level_3 = TextAreaField("Level 3", validators=[DataRequired()])
    level_4 = TextAreaField("Level 4", validators=[DataRequired()])
    level_5 = TextAreaField("Level 5", validators=[DataRequired()])

    def levels(self) -> list[str]:
        return [self[f"level_{n}"].data or "" for n in range(1, 6)]

    def name_levels(self, generic_levels: list[str] | None) -> None:
        """Label each level field with the framework's generic meaning, e.g. "Level 1 (Ad hoc)"."""
        for n, meaning in enumerate(generic_levels or [], 1):
            if meaning and n <= 5:
                self[f"level_{n}"].label.text = f"Level {n} ({meaning})"


class MoveForm(FlaskForm):
    to = SelectField("Move to", validators=[DataRequired()])


class TranslationUploadForm(FlaskForm):
    file = FileField("Translation file (XLIFF 2.0)", validators=[FileRequired("Choose a .xlf file to import.")],
                     description="The file exported from this page and filled in by a translator or a translation "
                                 "tool. Texts it leaves empty keep their stored translation.")


class SourceLanguageForm(FlaskForm):
    language = StringField("Source language", validators=[DataRequired(), Length(max=35)],
                           description="The language this version is written in, as a BCP 47 tag (en, de, pt-BR).")
