"""Login, logout, invitations and password reset (/auth)."""
from delphi.auth.routes import bp

__all__ = ["bp"]
