"""The public, read-only JSON API (/api/v1): released and retired framework versions. Drafts are never public."""
from delphi.api.routes import bp

__all__ = ["bp"]
