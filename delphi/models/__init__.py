"""All models, imported here so Alembic and the app see the whole metadata."""
from delphi.models.audit import AuditEvent
from delphi.models.benchmark import BenchmarkContributor, BenchmarkEdition, BenchmarkLevel
from delphi.models.assessment import ActionStatus, Assessment, AssessmentAction, AssessmentAnswer, AssessmentMemberLevel, AssessmentStatus, AssessmentTeamMember, Confidence  # noqa: E501,F401
from delphi.models.framework import (
    Domain,
    Framework,
    FrameworkTranslation,
    FrameworkVersion,
    GlossaryTerm,
    Indicator,
    Level,
    Subdomain,
    VersionStatus,
)
from delphi.models.outbox import OutboxMessage, OutboxStatus
from delphi.models.prepared import OutputStatus, PreparedOutput
from delphi.models.organisation import Organisation, OrganisationMember, OrganisationRole
from delphi.models.realtime import RatingEvent, RoundSnapshot
from delphi.models.study import (
    Comment,
    Decision,
    Item,
    ItemDecision,
    ItemKind,
    ItemState,
    MailLog,
    Panelist,
    Participation,
    Rating,
    Round,
    RoundItem,
    RoundStatus,
    Study,
    StudyOrganiser,
    StudyStatus,
)
from delphi.models.user import PlatformRole, Token, TokenPurpose, User, UserRole

__all__ = [
    "RatingEvent",
    "RoundSnapshot",
    "OutputStatus",
    "PreparedOutput",
    "Comment",
    "Decision",
    "Item",
    "ItemDecision",
    "ItemKind",
    "ItemState",
    "MailLog",
    "Panelist",
    "Participation",
    "Rating",
    "Round",
    "RoundItem",
    "RoundStatus",
    "Study",
    "StudyOrganiser",
    "StudyStatus",
    "Domain",
    "Framework",
    "FrameworkTranslation",
    "FrameworkVersion",
    "GlossaryTerm",
    "Indicator",
    "Level",
    "Subdomain",
    "VersionStatus",
    "AuditEvent",
    "BenchmarkContributor",
    "BenchmarkEdition",
    "BenchmarkLevel",
    "Organisation",
    "OutboxMessage",
    "OutboxStatus",
    "OrganisationMember",
    "OrganisationRole",
    "PlatformRole",
    "Token",
    "TokenPurpose",
    "User",
    "UserRole",
]
