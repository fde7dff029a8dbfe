"""All models, imported here so Alembic and the app see the whole metadata."""
from delphi.models.audit import AuditEvent
from delphi.models.framework import (
    Domain,
    Framework,
    FrameworkVersion,
    GlossaryTerm,
    Indicator,
    Level,
    Subdomain,
    VersionStatus,
)
from delphi.models.organisation import Organisation, OrganisationMember, OrganisationRole
from delphi.models.user import PlatformRole, Token, TokenPurpose, User, UserRole

__all__ = [
    "Domain",
    "Framework",
    "FrameworkVersion",
    "GlossaryTerm",
    "Indicator",
    "Level",
    "Subdomain",
    "VersionStatus",
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
