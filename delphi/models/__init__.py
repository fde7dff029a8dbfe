"""All models, imported here so Alembic and the app see the whole metadata."""
from delphi.models.audit import AuditEvent
from delphi.models.organisation import Organisation, OrganisationMember, OrganisationRole
from delphi.models.user import PlatformRole, Token, TokenPurpose, User, UserRole

__all__ = [
    "AuditEvent",
    "Organisation",
    "OrganisationMember",
    "OrganisationRole",
    "PlatformRole",
    "Token",
    "TokenPurpose",
    "User",
    "UserRole",
]
