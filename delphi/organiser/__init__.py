from flask import Blueprint

bp = Blueprint("organiser", __name__, url_prefix="/organiser")

from delphi.organiser import routes  # noqa: E402,F401
from delphi.organiser import frameworks  # noqa: E402,F401
from delphi.organiser import results  # noqa: E402,F401
