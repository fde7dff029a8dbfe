from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional


# The admin index shows PersonForm and OrganisationForm on one page: their fields get ids of their own (the
# names stay), so no two inputs share id="name" and every label points at its own field.
class PersonForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)], id="organiser-email")
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)], id="organiser-name")
    submit = SubmitField(_l("Create organiser and send invitation"))


class OrganisationForm(FlaskForm):
    name = StringField(_l("Name of the healthcare system"), validators=[DataRequired(), Length(max=200)],
                       description=_l("E.g. 'Portugal' or 'Catalonia (Spain)'."), id="organisation-name")
    country = StringField(_l("Country"), validators=[Optional(), Length(max=100)], id="organisation-country")
    region = StringField(_l("Region"), validators=[Optional(), Length(max=100)], id="organisation-region")
    submit = SubmitField(_l("Create organisation"))


class AssessorForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    role = SelectField(_l("Role"), choices=[SelectChoice("assessor", _l("Assessor")),
                                            SelectChoice("lead", _l("Lead assessor"))])
    submit = SubmitField(_l("Add assessor and send invitation"))
