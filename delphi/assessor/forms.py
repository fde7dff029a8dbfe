"""Forms of the self-assessment pages (the per-indicator answer fields are parsed by services.assessment_answers)."""
from __future__ import annotations

from datetime import date

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
    title = StringField("Title", validators=[DataRequired(message="Give the assessment a title."), Length(max=200)],
                        description="For example 'National baseline 2025'.")
    scope = TextAreaField("Scope", validators=[Optional(), Length(max=5000)],
                          description="Which healthcare system (country, region) and what is in or out of scope.")
    reference_date = DateField("Reference date", validators=[DataRequired(message="Give the reference date.")],
                               default=date.today,
                               description="The date the levels describe; progress compares assessments by it.")
    version = SelectField("Framework version", coerce=int,
                          description="Assessments use a released version; it cannot be changed later.")
    team = MultiCheckboxField("Team", coerce=int,
                              description="Members of the organisation who answer. Leads may always answer.")
    team_mode = BooleanField("Team mode: every team member first gives an individual level; the lead then "
                             "records the agreed level")
    submit = SubmitField("Start the assessment")


class SettingsForm(AssessmentForm):
    submit = SubmitField("Save settings")


ACTION_STATUS_CHOICES = [SelectChoice(ActionStatus.OPEN.value, "Open"),
                         SelectChoice(ActionStatus.IN_PROGRESS.value, "In progress"),
                         SelectChoice(ActionStatus.DONE.value, "Done")]


class ActionForm(FlaskForm):
    indicator = SelectField("Indicator", coerce=int, description="The indicator whose gap the action should close.")
    description = TextAreaField("Action", validators=[DataRequired(message="Describe the action."),
                                                      Length(max=5000)])
    owner = StringField("Owner", validators=[Optional(), Length(max=200)],
                        description="A person, team or institution.")
    due_date = DateField("Due date", validators=[Optional()])
    status = SelectField("Status", choices=ACTION_STATUS_CHOICES, default=ActionStatus.OPEN.value)
    submit = SubmitField("Add the action")


class ActionEditForm(ActionForm):
    submit = SubmitField("Save the action")


class BenchmarkForm(FlaskForm):
    opt_in = BooleanField("Contribute our finalised assessments to the anonymous benchmark")
    submit = SubmitField("Save benchmark choice")


class BaselineForm(FlaskForm):
    """An earlier assessment from a spreadsheet (services/assessments/baseline)."""

    file = FileField("Spreadsheet (CSV or XLSX)", validators=[FileRequired(message="Choose the file to import.")],
                     description="One row per indicator with columns such as code, level, target, evidence "
                                 "(optional: confidence; 'n/a' as the level with a reason).")
    title = StringField("Title", validators=[DataRequired(message="Give the baseline a title."), Length(max=200)],
                        default="Baseline (imported)")
    reference_date = DateField("Reference date", validators=[DataRequired(message="Give the reference date.")],
                               description="The date the imported levels describe.")
    version = SelectField("Framework version", coerce=int)
    submit = SubmitField("Check the file")
