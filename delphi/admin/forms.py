from flask_wtf import FlaskForm
from wtforms import EmailField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional


class PersonForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=254)])
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    submit = SubmitField("Create organiser and send invitation")


class OrganisationForm(FlaskForm):
    name = StringField("Name of the healthcare system", validators=[DataRequired(), Length(max=200)],
                       description="E.g. 'Portugal' or 'Catalonia (Spain)'.")
    country = StringField("Country", validators=[Optional(), Length(max=100)])
    region = StringField("Region", validators=[Optional(), Length(max=100)])
    submit = SubmitField("Create organisation")


class AssessorForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=254)])
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    role = SelectField("Role", choices=[SelectChoice("assessor", "Assessor"), SelectChoice("lead", "Lead assessor")])
    submit = SubmitField("Add assessor and send invitation")
