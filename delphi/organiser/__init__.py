"""Organisers' pages (/organiser): studies, panel, rounds, decisions between rounds, release and report, and the
frameworks with their editor. One module per page group; `blueprint.py` holds the Blueprint they register on."""
from delphi.organiser import (  # noqa: F401  (register the routes)
    archive,
    dashboard,
    decisions,
    framework_editor,
    framework_translations,
    frameworks,
    live,
    panel,
    release,
    rounds,
    studies,
    study_languages,
)
from delphi.organiser.blueprint import bp

__all__ = ["bp"]
