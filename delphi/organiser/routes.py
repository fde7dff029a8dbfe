"""The organiser's pages: frameworks and studies."""
from flask import render_template

from delphi.organiser import bp
from delphi.permissions import is_organiser, require


@bp.get("/")
@require(is_organiser)
def index():
    return render_template("organiser/index.html")
