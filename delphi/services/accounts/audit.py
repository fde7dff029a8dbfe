"""Record organiser and admin actions: who, what, when, before and after."""
from __future__ import annotations

from typing import Any

from delphi.extensions import db
from delphi.models import AuditEvent, User


def record(actor: User | None, action: str, subject_type: str, subject_id: int | None,
           before: dict[str, Any] | None = None, after: dict[str, Any] | None = None) -> AuditEvent:
    event = AuditEvent(actor_id=actor.id if actor else None, action=action, subject_type=subject_type,
                       subject_id=subject_id, before=before, after=after)
    db.session.add(event)
    return event
