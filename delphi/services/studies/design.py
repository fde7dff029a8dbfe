"""Studies: creation on a framework draft, the protocol, organisers, and the items the panel rates."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

import framework as fwlib
from delphi import i18n
from delphi.db import utcnow
from delphi.errors import DomainError, InvalidInput
from delphi.extensions import db
from delphi.models import (
    FrameworkVersion,
    Item,
    ItemKind,
    Study,
    StudyOrganiser,
    StudyStatus,
    User,
    VersionStatus,
)
from delphi.services.accounts import audit
from delphi.services.frameworks import versions
from delphi.services.studies import protocols

DEFAULT_CONSENT = _l(
    "You are invited to take part in a Delphi study as an expert panelist. Your ratings and comments are "
    "stored under a pseudonym (E01, E02, …); other panelists never see your identity, and your comments are "
    "shown to them anonymously. Aggregated results and anonymised comments may be published. You may leave the "
    "study at any time by telling the organiser. By accepting you agree to take part on these terms."
)


class ProtocolLocked(DomainError):
    def __init__(self) -> None:
        super().__init__(_("The protocol was locked when round 1 opened and can no longer change."))


class StudyArchived(DomainError):
    def __init__(self) -> None:
        super().__init__(_("This is an archived study, imported from a Delphi run elsewhere: its rounds are "
                           "read-only; no round can open and no expert can be invited or rate."))


def require_live(study: Study) -> None:
    """Refuse what only a study run here may do (open a round, invite, rate) on an archived study."""
    if study.archive is not None:
        raise StudyArchived()


def create(title: str, version: FrameworkVersion, *, by: User, aims: str = "", contact: str = "") -> Study:
    """A study on a framework draft; given a released version, a new draft is made from it first."""
    title = (title or "").strip()
    if not title:
        raise InvalidInput(_("A study needs a title."))
    base = None
    if version.status != VersionStatus.DRAFT:
        base = version
        label = versions.suggest_label(version.framework)
        version = versions.new_draft(version, label, by=by)
    else:
        base = version.parent
    study = Study(title=title, aims=aims.strip(), contact=contact.strip() or by.email,
                  framework_version_id=version.id, base_version_id=base.id if base else None,
                  protocol=protocols.default_protocol(),
                  consent_text=i18n.in_language(DEFAULT_CONSENT, version.source_language), created_by_id=by.id)
    db.session.add(study)
    db.session.flush()
    db.session.add(StudyOrganiser(study_id=study.id, user_id=by.id))
    audit.record(by, "create_study", "study", study.id, after={"title": title, "draft": version.ref})
    db.session.flush()
    return study


def is_organiser_of(user: User, study: Study) -> bool:
    if user.is_admin:
        return True
    return db.session.scalar(select(StudyOrganiser.id).where(
        StudyOrganiser.study_id == study.id, StudyOrganiser.user_id == user.id)) is not None


def set_protocol(study: Study, raw: dict[str, Any], *, by: User, consent_text: str | None = None) -> None:
    if study.protocol_locked_at is not None:
        raise ProtocolLocked()
    before = study.protocol
    study.protocol = protocols.validate(raw)
    if consent_text is not None:
        if not consent_text.strip():
            raise InvalidInput(_("The consent text cannot be empty: experts accept it before rating."))
        study.consent_text = consent_text.strip()
    audit.record(by, "set_protocol", "study", study.id, before=before, after=study.protocol)


def lock_protocol(study: Study) -> None:
    study.protocol_locked_at = utcnow()
    study.protocol_checksum = protocols.checksum(
        {"protocol": study.protocol, "consent_text": study.consent_text})
    study.status = StudyStatus.RUNNING


def item_code(kind: ItemKind, element_code: str, level: int | None = None) -> str:
    if kind == ItemKind.LEVEL_SET:
        return f"{element_code}:levels"
    if kind == ItemKind.LEVEL:
        return f"{element_code}:L{level}"
    return element_code


def rated_elements(doc: fwlib.Framework, rated_kinds) -> Iterator[tuple[ItemKind, str, str, int | None]]:
    """(kind, element code, domain code, level) of every item the protocol's kinds make of a draft, in document
    order."""
    kinds = set(rated_kinds)
    for d in doc.domains:
        if ItemKind.DOMAIN in kinds:
            yield ItemKind.DOMAIN, d.code, d.code, None
        for s in d.subdomains:
            if ItemKind.SUBDOMAIN in kinds:
                yield ItemKind.SUBDOMAIN, s.code, d.code, None
            for ind in s.indicators:
                if ItemKind.INDICATOR in kinds:
                    yield ItemKind.INDICATOR, ind.code, d.code, None
                if ItemKind.LEVEL_SET in kinds:
                    yield ItemKind.LEVEL_SET, ind.code, d.code, None
                if ItemKind.LEVEL in kinds:
                    for n in range(1, 6):
                        yield ItemKind.LEVEL, ind.code, d.code, n


def build_items(study: Study, doc: fwlib.Framework) -> list[Item]:
    """Create the study's items from the draft, in document order, for the kinds the protocol rates."""
    existing = {i.code: i for i in study.items}
    created = []
    for position, (kind, element, domain, level) in enumerate(rated_elements(doc, study.protocol["rated_kinds"]), 1):
        code = item_code(kind, element, level)
        if code in existing:
            existing[code].position = position
            continue
        item = Item(code=code, element_code=element, kind=kind, level=level, domain_code=domain,
                    position=position)
        study.items.append(item)
        created.append(item)
    db.session.flush()
    return created


def wording(item: Item, doc: fwlib.Framework) -> dict[str, Any] | None:
    """What the panel sees for an item, taken from the current draft; None if the element is gone."""
    element = doc.find(item.element_code)
    if element is None:
        return None
    kind = item.kind
    if kind in (ItemKind.DOMAIN, ItemKind.SUBDOMAIN):
        label = "Domain" if kind == ItemKind.DOMAIN else "Subdomain"
        return {"label": f"{label} {item.element_code}", "text": element.title}
    if kind == ItemKind.INDICATOR:
        return {"label": f"Indicator {item.element_code}", "text": element.statement}
    if kind == ItemKind.LEVEL_SET:
        return {"label": f"Levels of indicator {item.element_code}", "text": element.statement,
                "levels": list(element.levels)}
    return {"label": f"Indicator {item.element_code}, level {item.level}", "text": element.levels[item.level - 1],
            "context": element.statement}

