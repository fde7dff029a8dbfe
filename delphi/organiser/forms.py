from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    EmailField,
    FloatField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from delphi.services.studies.protocols import KIND_LABELS, RESPONDENTS, STOPPING_RULES, WITHDRAWN


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class StudyForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=300)])
    aims = TextAreaField("Aims", validators=[Optional(), Length(max=5000)])
    contact = StringField("Contact (shown to experts)", validators=[Optional(), Length(max=300)],
                          description="Defaults to your e-mail address.")
    version_id = SelectField("Framework version to validate", coerce=int,
                             description="A released version is copied to a new draft that the study revises.")
    submit = SubmitField("Create study")


class ProtocolForm(FlaskForm):
    rated_kinds = MultiCheckboxField("What is rated",
                                     choices=[SelectChoice(k.value, v) for k, v in KIND_LABELS.items()])
    q1_key = StringField("Question 1 key", validators=[DataRequired(), Length(max=40)])
    q1_label = StringField("Question 1 as asked", validators=[DataRequired(), Length(max=300)])
    q1_points = SelectField("Question 1 scale", choices=[SelectChoice(n, f"{n} points") for n in (3, 5, 7, 9)],
                            coerce=int)
    q1_labels = StringField("Question 1 scale labels, lowest first, separated by |", validators=[Optional()])
    q1_unable = BooleanField("Offer “unable to rate”")
    q2_key = StringField("Question 2 key (optional)", validators=[Optional(), Length(max=40)])
    q2_label = StringField("Question 2 as asked", validators=[Optional(), Length(max=300)])
    q2_points = SelectField("Question 2 scale", choices=[SelectChoice(n, f"{n} points") for n in (3, 5, 7, 9)],
                            coerce=int, default=5)
    q2_labels = StringField("Question 2 scale labels, lowest first, separated by |", validators=[Optional()])
    q2_unable = BooleanField("Offer “unable to rate” for question 2")
    rule = SelectField("Consensus rule")
    custom_rule = TextAreaField("Custom rule (JSON, used when “custom” is chosen)", validators=[Optional()])
    stability_threshold = FloatField("Stability: an item is stable when the % change between rounds is below",
                                     default=0.15, validators=[NumberRange(0.01, 1)],
                                     description="A fraction: 0.15 = 15 % (Scheibe et al. 1975).")
    stopping = SelectField("Stopping rule", choices=[SelectChoice(k, v) for k, v in STOPPING_RULES.items()])
    max_rounds = IntegerField("Maximum number of rounds", default=3, validators=[NumberRange(1, 10)])
    quartiles = SelectField("Quartile method", choices=[SelectChoice("linear", "Linear interpolation (numpy, type 7)"),
                                                        SelectChoice("weibull", "Weibull (SPSS, type 6)")])
    drop_decided = BooleanField("Items that reached consensus leave later rounds")
    respondents = SelectField("Who counts as a respondent",
                              choices=[SelectChoice(k, v[0].upper() + v[1:]) for k, v in RESPONDENTS.items()],
                              description="One definition for the dashboard, the statistics, the report and the data "
                                          "package.")
    reminder_days = StringField("Automatic reminders to those who have not submitted, days before the deadline",
                                validators=[Optional(), Length(max=40)],
                                description="e.g. 3, 1 — each goes out once; empty: none (the manual button stays).")
    feedback_by_group = BooleanField("From round 2, show each stakeholder group's distribution too (groups with fewer "
                                     "than 3 answers are shown together)")
    prefill_previous = BooleanField("From round 2, pre-fill each item re-rated with unchanged wording with the "
                                    "expert's previous answer (“your round-1 answer, kept unless you change "
                                    "it”; stored only when the expert saves or submits)")
    withdrawn_ratings = SelectField("If a panelist withdraws", choices=[SelectChoice(k, v[0].upper() + v[1:])
                                                                      for k, v in WITHDRAWN.items()])
    publish_interests = BooleanField("The panel agreed to publish the declarations of interest (without attribution) "
                                     "in the report and the data package")
    publish_panel_attributes = BooleanField(
        "The panel agreed to publish each panelist's stakeholder group and country (otherwise groups and countries "
        "of fewer than 3 people are pooled in the report and withheld in the data package)")
    comment_required_at_or_below = IntegerField("Require a comment with a rating at or below (empty: never)",
                                                validators=[Optional(), NumberRange(1, 9)])
    consent_text = TextAreaField("Consent text experts accept before rating", validators=[DataRequired()])
    submit = SubmitField("Save protocol")


class PanelistForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=254)])
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    stakeholder_group = StringField("Stakeholder group", validators=[Optional(), Length(max=100)])
    country = StringField("Country", validators=[Optional(), Length(max=100)])
    expertise = StringField("Expertise", validators=[Optional(), Length(max=500)])
    submit = SubmitField("Add to panel")


class PanelCsvForm(FlaskForm):
    file = FileField("CSV file (columns: email, name, stakeholder_group, country, expertise)",
                     validators=[FileRequired("Choose a CSV file.")])
    submit = SubmitField("Check file")


class OpenRoundForm(FlaskForm):
    deadline = DateTimeLocalField("Deadline (UTC)", format="%Y-%m-%dT%H:%M", validators=[DataRequired()])
    submit = SubmitField("Open round")


class DeadlineForm(FlaskForm):
    deadline = DateTimeLocalField("New deadline (UTC)", format="%Y-%m-%dT%H:%M", validators=[DataRequired()])
    submit = SubmitField("Extend deadline")


class DecisionForm(FlaskForm):
    decision = SelectField("Decision", choices=[SelectChoice("accept", "Accept"),
                                                SelectChoice("revise", "Revise wording"), SelectChoice("drop", "Drop"),
                                                SelectChoice("rerate", "Re-rate unchanged"),
                                                SelectChoice("merge", "Merge into another item")])
    new_text = TextAreaField("New wording", validators=[Optional(), Length(max=5000)])
    level_1 = TextAreaField("Level 1", validators=[Optional()])
    level_2 = TextAreaField("Level 2", validators=[Optional()])
    level_3 = TextAreaField("Level 3", validators=[Optional()])
    level_4 = TextAreaField("Level 4", validators=[Optional()])
    level_5 = TextAreaField("Level 5", validators=[Optional()])
    merge_into = StringField("Merge into item code", validators=[Optional(), Length(max=60)])
    reason = TextAreaField("Reason", validators=[Optional(), Length(max=5000)])
    submit = SubmitField("Record decision")
