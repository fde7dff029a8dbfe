from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
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

from delphi.services.studies.protocols import KIND_LABELS, MODES, RESPONDENTS, STOPPING_RULES, WITHDRAWN


def _capitalised(text) -> LazyString:
    """A label with its first letter in capitals, evaluated when shown (the text may be a lazy translation)."""
    def first_upper(value) -> str:
        value = str(value)
        return value[:1].upper() + value[1:]
    return LazyString(first_upper, text)


def _points(n: int):
    return _l("%(n)s points", n=n)


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class StudyForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    aims = TextAreaField(_l("Aims"), validators=[Optional(), Length(max=5000)])
    contact = StringField(_l("Contact (shown to experts)"), validators=[Optional(), Length(max=300)],
                          description=_l("Defaults to your e-mail address."))
    version_id = SelectField(_l("Framework version to validate"), coerce=int,
                             description=_l("A released version is copied to a new draft that the study revises."))
    submit = SubmitField(_l("Create study"))


class ProtocolForm(FlaskForm):
    rated_kinds = MultiCheckboxField(_l("What is rated"),
                                     choices=[SelectChoice(k.value, v) for k, v in KIND_LABELS.items()])
    q1_key = StringField(_l("Question 1 key"), validators=[DataRequired(), Length(max=40)])
    q1_label = StringField(_l("Question 1 as asked"), validators=[DataRequired(), Length(max=300)])
    q1_points = SelectField(_l("Question 1 scale"), choices=[SelectChoice(n, _points(n)) for n in (3, 5, 7, 9)],
                            coerce=int)
    q1_labels = StringField(_l("Question 1 scale labels, lowest first, separated by |"), validators=[Optional()])
    q1_unable = BooleanField(_l("Offer “unable to rate”"))
    q2_key = StringField(_l("Question 2 key (optional)"), validators=[Optional(), Length(max=40)])
    q2_label = StringField(_l("Question 2 as asked"), validators=[Optional(), Length(max=300)])
    q2_points = SelectField(_l("Question 2 scale"), choices=[SelectChoice(n, _points(n)) for n in (3, 5, 7, 9)],
                            coerce=int, default=5)
    q2_labels = StringField(_l("Question 2 scale labels, lowest first, separated by |"), validators=[Optional()])
    q2_unable = BooleanField(_l("Offer “unable to rate” for question 2"))
    mode = SelectField(_l("Study mode"), choices=[SelectChoice(k, v) for k, v in MODES.items()], default="classic",
                       description=_l("Real-time and hybrid studies show each expert the group's answers while they "
                                      "rate (Gordon & Pease 2006)."))
    live_min_answers = IntegerField(_l("Live feedback: show an item once this many experts have answered it"),
                                    default=3, validators=[Optional(), NumberRange(2, 1000)])
    live_after_own_answer = BooleanField(_l("Live feedback: only after the expert's own first answer (against "
                                            "anchoring)"), default=True)
    rule = SelectField(_l("Consensus rule"))
    custom_rule = TextAreaField(_l("Custom rule (JSON, used when “custom” is chosen)"), validators=[Optional()])
    stability_threshold = FloatField(_l("Stability: an item is stable when the % change between rounds is below"),
                                     default=0.15, validators=[NumberRange(0.01, 1)],
                                     description=_l("A fraction: 0.15 = 15 % (Scheibe et al. 1975)."))
    stopping = SelectField(_l("Stopping rule"), choices=[SelectChoice(k, v) for k, v in STOPPING_RULES.items()])
    max_rounds = IntegerField(_l("Maximum number of rounds"), default=3, validators=[NumberRange(1, 10)])
    quartiles = SelectField(_l("Quartile method"),
                            choices=[SelectChoice("linear", _l("Linear interpolation (numpy, type 7)")),
                                     SelectChoice("weibull", _l("Weibull (SPSS, type 6)"))])
    drop_decided = BooleanField(_l("Items that reached consensus leave later rounds"))
    respondents = SelectField(_l("Who counts as a respondent"),
                              choices=[SelectChoice(k, _capitalised(v)) for k, v in RESPONDENTS.items()],
                              description=_l("One definition for the dashboard, the statistics, the report and "
                                             "the data package."))
    reminder_days = StringField(_l("Automatic reminders to those who have not submitted, days before the deadline"),
                                validators=[Optional(), Length(max=40)],
                                description=_l("e.g. 3, 1 — each goes out once; empty: none (the manual button "
                                               "stays)."))
    feedback_by_group = BooleanField(_l("From round 2, show each stakeholder group's distribution too (groups with "
                                        "fewer than 3 answers are shown together)"))
    prefill_previous = BooleanField(_l("From round 2, pre-fill each item re-rated with unchanged wording with the "
                                       "expert's previous answer (“your round-1 answer, kept unless you change "
                                       "it”; stored only when the expert saves or submits)"))
    withdrawn_ratings = SelectField(_l("If a panelist withdraws"), choices=[SelectChoice(k, _capitalised(v))
                                                                      for k, v in WITHDRAWN.items()])
    publish_interests = BooleanField(_l("The panel agreed to publish the declarations of interest (without "
                                        "attribution) in the report and the data package"))
    publish_panel_attributes = BooleanField(_l(
        "The panel agreed to publish each panelist's stakeholder group and country (otherwise groups and countries "
        "of fewer than 3 people are pooled in the report and withheld in the data package)"))
    comment_required_at_or_below = IntegerField(_l("Require a comment with a rating at or below (empty: never)"),
                                                validators=[Optional(), NumberRange(1, 9)])
    consent_text = TextAreaField(_l("Consent text experts accept before rating"), validators=[DataRequired()])
    submit = SubmitField(_l("Save protocol"))


class PanelistForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    stakeholder_group = StringField(_l("Stakeholder group"), validators=[Optional(), Length(max=100)])
    country = StringField(_l("Country"), validators=[Optional(), Length(max=100)])
    expertise = StringField(_l("Expertise"), validators=[Optional(), Length(max=500)])
    # Offered (choices set by the view) only when the study is run in more than one language.
    language = SelectField(_l("Rates in"), choices=[], validate_choice=False, validators=[Optional()])
    submit = SubmitField(_l("Add to panel"))


class PanelCsvForm(FlaskForm):
    file = FileField(_l("CSV file (columns: email, name, stakeholder_group, country, expertise)"),
                     validators=[FileRequired(_l("Choose a CSV file."))])
    submit = SubmitField(_l("Check file"))


class OpenRoundForm(FlaskForm):
    deadline = DateTimeLocalField(_l("Deadline (UTC)"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()])
    submit = SubmitField(_l("Open round"))


class DeadlineForm(FlaskForm):
    deadline = DateTimeLocalField(_l("New deadline (UTC)"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()])
    submit = SubmitField(_l("Extend deadline"))


class DecisionForm(FlaskForm):
    decision = SelectField(_l("Decision"), choices=[SelectChoice("accept", _l("Accept")),
                                                    SelectChoice("revise", _l("Revise wording")),
                                                    SelectChoice("drop", _l("Drop")),
                                                    SelectChoice("rerate", _l("Re-rate unchanged")),
                                                    SelectChoice("merge", _l("Merge into another item"))])
    new_text = TextAreaField(_l("New wording"), validators=[Optional(), Length(max=5000)])
    level_1 = TextAreaField(_l("Level 1"), validators=[Optional()])
    level_2 = TextAreaField(_l("Level 2"), validators=[Optional()])
    level_3 = TextAreaField(_l("Level 3"), validators=[Optional()])
    level_4 = TextAreaField(_l("Level 4"), validators=[Optional()])
    level_5 = TextAreaField(_l("Level 5"), validators=[Optional()])
    merge_into = StringField(_l("Merge into item code"), validators=[Optional(), Length(max=60)])
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=5000)])
    submit = SubmitField(_l("Record decision"))
