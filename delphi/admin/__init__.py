"""Administrators' pages (/admin): people, organisations and platform roles."""
from delphi.admin.routes import bp

__all__ = ["bp"]
