"""Forms of the framework pages. Validators give the friendly message; the services and the database decide."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

import framework as fwlib

LABEL_RULE = Regexp(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$",
                    message=_l("Use letters, digits, '.', '-' or '_' (e.g. 2025 or draft-2)."))
SLUG_RULE = Regexp(r"^[a-z0-9][a-z0-9-]{0,99}$", message=_l("Use lowercase letters, digits and '-'."))
CODE_HINT = _l("Up to 32 letters, digits, '.', '-' or '_'; unique in this version (e.g. IX or IX.1.2).")


class ImportForm(FlaskForm):
    file = FileField(_l("Framework file"), validators=[FileRequired(_l("Choose a file to import."))],
                     description=_l("JSON, YAML, CSV or XLSX, at most %(size)s MiB. It is stored as a new draft.",
                                    size=fwlib.MAX_FILE_BYTES // 2**20))
    slug = StringField(_l("Framework slug"), validators=[Optional(), SLUG_RULE],
                       description=_l("Optional. An existing slug adds a version to that framework; "
                                      "empty makes one from the framework's short name."))
    label = StringField(_l("Version label"), validators=[Optional(), LABEL_RULE],
                        description=_l("Optional; empty suggests one (draft-1, draft-2 …)."))


class NewDraftForm(FlaskForm):
    label = StringField(_l("Label of the new draft"), validators=[DataRequired(), LABEL_RULE])


class ReleaseForm(FlaskForm):
    label = StringField(_l("Release label"), validators=[Optional(), Length(max=100)],
                        description=_l("How the release is cited, e.g. 2027 or 2.0 (never 'draft')."))
    release_notes = TextAreaField(_l("Release notes"), validators=[Optional(), Length(max=10_000)])


class MetadataForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=300)])
    short_name = StringField(_l("Short name"), validators=[Optional(), Length(max=100)])
    description = TextAreaField(_l("Description"), validators=[Optional()])
    source = TextAreaField(_l("Source and attribution"), validators=[Optional()],
                           description=_l("Shown wherever the framework is shown."))
    numbering_note = TextAreaField(_l("Numbering note"), validators=[Optional()])


class GenericLevelsForm(FlaskForm):
    level_1 = StringField(_l("Level 1"), validators=[Optional()])
    level_2 = StringField(_l("Level 2"), validators=[Optional()])
    level_3 = StringField(_l("Level 3"), validators=[Optional()])
    level_4 = StringField(_l("Level 4"), validators=[Optional()])
    level_5 = StringField(_l("Level 5"), validators=[Optional()])

    def texts(self) -> list[str]:
        return [self[f"level_{n}"].data or "" for n in range(1, 6)]


class GlossaryTermForm(FlaskForm):
    term = StringField(_l("Term"), validators=[DataRequired(), Length(max=200)])
    definition = TextAreaField(_l("Definition"), validators=[DataRequired()])


class ElementForm(FlaskForm):
    """A new domain or subdomain."""
    code = StringField(_l("Code"), validators=[DataRequired()], description=CODE_HINT)
    title = StringField(_l("Title"), validators=[DataRequired()])


class TitleForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired()])


class IndicatorForm(FlaskForm):
    """An indicator's texts; `code` is used only when adding one."""
    code = StringField(_l("Code"), validators=[Optional()], description=CODE_HINT)
    statement = TextAreaField(_l("Statement"), validators=[DataRequired()])
    guidance = TextAreaField(_l("Guidance (optional)"), validators=[Optional()])
    level_1 = TextAreaField(_l("Level 1"), validators=[DataRequired()])
    level_2 = TextAreaField(_l("Level 2"), validators=[DataRequired()])
    level_3 = TextAreaField(_l("Level 3"), validators=[DataRequired()])
    level_4 = TextAreaField(_l("Level 4"), validators=[DataRequired()])
    level_5 = TextAreaField(_l("Level 5"), validators=[DataRequired()])

    def levels(self) -> list[str]:
        return [self[f"level_{n}"].data or "" for n in range(1, 6)]

    def name_levels(self, generic_levels: list[str] | None) -> None:
        """Label each level field with the framework's generic meaning, e.g. "Level 1 (Ad hoc)"."""
        for n, meaning in enumerate(generic_levels or [], 1):
            if meaning and n <= 5:
                self[f"level_{n}"].label.text = _("Level %(n)s (%(meaning)s)", n=n, meaning=meaning)


class MoveForm(FlaskForm):
    to = SelectField(_l("Move to"), validators=[DataRequired()])


class TranslationUploadForm(FlaskForm):
    file = FileField(_l("Translation file (XLIFF 2.0)"), validators=[FileRequired(_l("Choose a .xlf file to import."))],
                     description=_l("The file exported from this page and filled in by a translator or a "
                                    "translation tool. Texts it leaves empty keep their stored translation."))


class SourceLanguageForm(FlaskForm):
    language = StringField(_l("Source language"), validators=[DataRequired(), Length(max=35)],
                           description=_l("The language this version is written in, as a BCP 47 tag (en, de, "
                                          "pt-BR)."))
