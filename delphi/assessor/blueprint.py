"""The assessor blueprint and the number formats its templates share; the page modules register its routes."""
from __future__ import annotations

from flask import Blueprint

from delphi.services.assessments import results as assessment_results

bp = Blueprint("assessor", __name__, url_prefix="/assessor")


@bp.app_template_global()
def level_fmt(value, digits: int = 2) -> str:
    return assessment_results.fmt(value, digits)


@bp.app_template_global()
def share_fmt(value) -> str:
    return assessment_results.percent(value)
