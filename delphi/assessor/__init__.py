"""Assessors' pages (/assessor): organisations, assessments, answering, consensus, results, plan, benchmark,
progress and exports. One module per page group; `blueprint.py` holds the Blueprint they register on."""
from delphi.assessor import answers, assessments, baseline, results  # noqa: F401  (register the routes)
from delphi.assessor.blueprint import bp

__all__ = ["bp"]
