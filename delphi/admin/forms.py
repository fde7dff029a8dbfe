from flask_wtf import FlaskForm
from wtforms import EmailField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional


# The admin index shows PersonForm and OrganisationForm on one page: their fields get ids of their own (the
# names stay), so no two inputs share id="name" and every label points at its own field.
class PersonForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=254)], id="organiser-email")
    name = StringField("Name", validators=[DataRequired(), Length(max=200)], id="organiser-name")
    submit = SubmitField("Create organiser and send invitation")


class OrganisationForm(FlaskForm):
    name = StringField("Name of the healthcare system", validators=[DataRequired(), Length(max=200)],
                       description="E.g. 'Portugal' or 'Catalonia (Spain)'.", id="organisation-name")
    country = StringField("Country", validators=[Optional(), Length(max=100)], id="organisation-country")
    region = StringField("Region", validators=[Optional(), Length(max=100)], id="organisation-region")
    submit = SubmitField("Create organisation")


class AssessorForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=254)])
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    role = SelectField("Role", choices=[SelectChoice("assessor", "Assessor"), SelectChoice("lead", "Lead assessor")])
    submit = SubmitField("Add assessor and send invitation")
