"""Forms shared across blueprints."""
from flask_wtf import FlaskForm


class EmptyForm(FlaskForm):
    """A CSRF-protected form with no fields, for buttons that change state (logout, close round)."""
