"""The expert's pages: their studies and open rounds."""
from flask import render_template
from flask_login import login_required

from delphi.expert import bp


@bp.get("/")
@login_required
def index():
    return render_template("expert/index.html", studies=[])
