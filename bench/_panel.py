"""Shared by the bench scripts (not a benchmark itself: `make bench` skips files starting with _): a consented
panel of n experts inserted in bulk, the way no page would, because 500 invitations are not what is measured."""
from __future__ import annotations


def bulk_panel(study, n: int) -> None:
    from sqlalchemy import insert, select

    from delphi.db import utcnow
    from delphi.extensions import db
    from delphi.models import Panelist, User

    now = utcnow()
    db.session.execute(insert(User), [{"email": f"e{i}@bench.example.org", "name": f"E{i}", "active": True,
                                       "session_version": 1, "created_at": now} for i in range(n)])
    user_ids = db.session.scalars(select(User.id).where(User.email.like("e%@bench.example.org"))).all()
    db.session.execute(insert(Panelist), [{"study_id": study.id, "user_id": uid, "pseudonym": f"E{i + 1:04d}",
                                           "stakeholder_group": ["clinician", "policy"][i % 2], "country": "",
                                           "expertise": "", "added_at": now, "consented_at": now}
                                          for i, uid in enumerate(user_ids)])
    db.session.expire(study)
