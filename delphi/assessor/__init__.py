from flask import Blueprint

bp = Blueprint("assessor", __name__, url_prefix="/assessor")

from delphi.assessor import routes  # noqa: E402,F401
