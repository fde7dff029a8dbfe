"""The assessor's pages: their organisations and assessments."""
from flask import render_template
from flask_login import current_user, login_required

from delphi.assessor import bp
from delphi.services import memberships


@bp.get("/")
@login_required
def index():
    return render_template("assessor/index.html", organisations=memberships.organisations_of(current_user))
