from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, Optional


class LoginForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired()])
    remember = BooleanField("Keep me logged in on this computer")
    next = HiddenField()
    submit = SubmitField("Log in")


class ResetRequestForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=254)])
    submit = SubmitField("Send me a reset link")


class NewPasswordForm(FlaskForm):
    password = PasswordField("New password", validators=[DataRequired(), Length(min=12, max=200, message="The password must have at least 12 characters.")],
                             description="At least 12 characters, not a common password.")
    confirm = PasswordField("Repeat the new password",
                            validators=[DataRequired(), EqualTo("password", message="The two passwords differ.")])
    submit = SubmitField("Set password")


class AcceptInvitationForm(FlaskForm):
    name = StringField("Your name", validators=[DataRequired(), Length(max=200)])
    password = PasswordField("Choose a password (optional)", validators=[Optional(), Length(min=12, max=200, message="The password must have at least 12 characters.")],
                             description="Leave empty to continue without one; you can always log in again "
                                         "with a reset link sent to your e-mail.")
    submit = SubmitField("Accept and continue")
