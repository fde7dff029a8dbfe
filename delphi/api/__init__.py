"""The public, read-only JSON API (/api/v1): released and retired framework versions. Drafts are never public."""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from delphi.api import routes  # noqa: E402,F401
