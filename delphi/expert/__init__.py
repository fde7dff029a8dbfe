"""Experts' pages (/expert): dashboard, consent, one rating page per domain with autosave, submission."""
from delphi.expert.routes import bp

__all__ = ["bp"]
