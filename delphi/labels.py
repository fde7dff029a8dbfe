"""The words the pages show for stored values (statuses, roles, decisions): the value stays English in the
database and in files; a reader sees it in their language. Unknown values show as they are."""
from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l

# Keyed by the enum's class name, then its value. The English is the value as the pages always showed it.
LABELS = {
    "StudyStatus": {"setup": _l("setup"), "running": _l("running"), "finished": _l("finished")},
    "RoundStatus": {"open": _l("open"), "closed": _l("closed")},
    "VersionStatus": {"draft": _l("draft"), "released": _l("released"), "retired": _l("retired")},
    "OrganisationRole": {"lead": _l("lead"), "assessor": _l("assessor")},
    "OutboxStatus": {"queued": _l("queued"), "sending": _l("sending"), "sent": _l("sent"), "failed": _l("failed")},
    "ActionStatus": {"open": _l("open"), "in_progress": _l("in_progress"), "done": _l("done")},
    "Decision": {"accept": _l("accept"), "revise": _l("revise"), "drop": _l("drop"), "rerate": _l("rerate"),
                 "merge": _l("merge")},
}


def label(value) -> str:
    """The shown word for an enum member (or its value): `{{ study.status|label }}`."""
    if value is None:
        return ""
    name = type(value).__name__ if isinstance(value, enum.Enum) else ""
    raw = value.value if isinstance(value, enum.Enum) else str(value)
    return str(LABELS.get(name, {}).get(raw, raw))
