"""Forms of the self-assessment pages (the per-indicator answer fields are parsed by services.assessment_answers)."""
from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (BooleanField, DateField, SelectChoice, SelectField, SelectMultipleField, StringField, SubmitField,
                     TextAreaField)
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from delphi.models.assessment import ActionStatus


class MultiCheckboxField(SelectMultipleField):
    """A group of checkboxes (accessible: each has its own label)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class AssessmentForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(message=_l("Give the assessment a title.")),
                                                 Length(max=200)],
                        description=_l("For example 'National baseline 2025'."))
    scope = TextAreaField(_l("Scope"), validators=[Optional(), Length(max=5000)],
                          description=_l("Which healthcare system (country, region) and what is in or out of scope."))
    reference_date = DateField(_l("Reference date"),
                               validators=[DataRequired(message=_l("Give the reference date."))],
                               default=date.today,
                               description=_l("The date the levels describe; progress compares assessments by it."))
    version = SelectField(_l("Framework version"), coerce=int,
                          description=_l("Assessments use a released version; it cannot be changed later."))
    language = SelectField(_l("Language of the framework texts"), validate_choice=False,
                           description=_l("Statements, levels and glossary on the pages, in the PDF and the "
                                          "spreadsheet; everyone's menus and buttons stay in their own language. "
                                          "It can be changed later, also after finalising."))
    team = MultiCheckboxField(_l("Team"), coerce=int,
                              description=_l("Members of the organisation who answer. Leads may always answer."))
    team_mode = BooleanField(_l("Team mode: every team member first gives an individual level; the lead then "
                                "records the agreed level"))
    submit = SubmitField(_l("Start the assessment"))


class SettingsForm(AssessmentForm):
    submit = SubmitField(_l("Save settings"))


class LanguageForm(FlaskForm):
    """A finalised assessment's one setting left: the language its framework texts are shown in."""

    language = SelectField(_l("Language of the framework texts"), validate_choice=False,
                           description=_l("Only how the texts are shown changes: the levels and answers stay "
                                          "frozen. The PDF is prepared again in the new language."))
    submit = SubmitField(_l("Save the language"))


ACTION_STATUS_CHOICES = [SelectChoice(ActionStatus.OPEN.value, _l("Open")),
                         SelectChoice(ActionStatus.IN_PROGRESS.value, _l("In progress")),
                         SelectChoice(ActionStatus.DONE.value, _l("Done"))]


class ActionForm(FlaskForm):
    indicator = SelectField(_l("Indicator"), coerce=int,
                            description=_l("The indicator whose gap the action should close."))
    description = TextAreaField(_l("Action"), validators=[DataRequired(message=_l("Describe the action.")),
                                                          Length(max=5000)])
    owner = StringField(_l("Owner"), validators=[Optional(), Length(max=200)],
                        description=_l("A person, team or institution."))
    due_date = DateField(_l("Due date"), validators=[Optional()])
    status = SelectField(_l("Status"), choices=ACTION_STATUS_CHOICES, default=ActionStatus.OPEN.value)
    submit = SubmitField(_l("Add the action"))


class ActionEditForm(ActionForm):
    submit = SubmitField(_l("Save the action"))


class BenchmarkForm(FlaskForm):
    opt_in = BooleanField(_l("Contribute our finalised assessments to the anonymous benchmark"))
    submit = SubmitField(_l("Save benchmark choice"))


class BaselineForm(FlaskForm):
    """An earlier assessment from a spreadsheet (services/assessments/baseline)."""

    file = FileField(_l("Spreadsheet (CSV or XLSX)"),
                     validators=[FileRequired(message=_l("Choose the file to import."))],
                     description=_l("One row per indicator with columns such as code, level, target, evidence "
                                    "(optional: confidence; 'n/a' as the level with a reason)."))
    title = StringField(_l("Title"), validators=[DataRequired(message=_l("Give the baseline a title.")),
                                                 Length(max=200)],
                        default=_l("Baseline (imported)"))
    reference_date = DateField(_l("Reference date"), validators=[DataRequired(message=_l("Give the reference date."))],
                               description=_l("The date the imported levels describe."))
    version = SelectField(_l("Framework version"), coerce=int)
    submit = SubmitField(_l("Check the file"))
