from flask import Blueprint

bp = Blueprint("organiser", __name__, url_prefix="/organiser")

from delphi.organiser import routes  # noqa: E402,F401
