"""Public pages: home, citable framework versions and the reports of released studies."""
from delphi.public.routes import bp

__all__ = ["bp"]
