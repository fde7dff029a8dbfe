"""Which items a round rates: the active ones (and the accepted ones, if the protocol keeps them), and items
for elements added to the draft between rounds (e.g. an indicator the experts proposed)."""
from __future__ import annotations

from flask_babel import gettext as _

import framework as fwlib
from delphi.errors import InvalidInput
from delphi.extensions import db
from delphi.models import Item, ItemKind, ItemState, User
from delphi.services.accounts import audit
from delphi.services.studies import design


def items_for_next_round(study) -> list[Item]:
    keep_accepted = not study.protocol.get("drop_decided", True)
    return [i for i in study.items
            if i.state == ItemState.ACTIVE or (keep_accepted and i.state == ItemState.ACCEPTED)]


def add_proposed_item(study, kind: ItemKind, element_code: str, *, by: User) -> Item:
    """An item for an element added to the draft between rounds (e.g. an indicator experts proposed)."""
    from delphi.services.frameworks import versions

    if not element_code:
        raise InvalidInput(_("Give the code of the element to rate, e.g. II.3.4."))
    doc = versions.to_document(study.framework_version)
    element = doc.find(element_code)
    if element is None:
        raise InvalidInput(_("%(code)s is not in the framework draft: add it in the editor first.", code=element_code))
    expected = {ItemKind.DOMAIN: fwlib.Domain, ItemKind.SUBDOMAIN: fwlib.Subdomain}.get(kind, fwlib.Indicator)
    if not isinstance(element, expected):
        raise InvalidInput(_wrong_kind(kind, element_code))
    code = design.item_code(kind, element_code)
    if any(i.code == code for i in study.items):
        raise InvalidInput(_("%(code)s is already an item of this study.", code=code))
    domain = element_code
    while doc.parent_code(domain):
        domain = doc.parent_code(domain)
    item = Item(code=design.item_code(kind, element_code), element_code=element_code,
                kind=kind, domain_code=domain, position=len(study.items) + 1, proposed=True)
    study.items.append(item)
    db.session.flush()
    audit.record(by, "add_item", "study", study.id, after={"item": item.code})
    return item


def _wrong_kind(kind: ItemKind, code: str) -> str:
    if kind == ItemKind.DOMAIN:
        return _("%(code)s is not a domain.", code=code)
    if kind == ItemKind.SUBDOMAIN:
        return _("%(code)s is not a subdomain.", code=code)
    if kind == ItemKind.LEVEL_SET:
        return _("%(code)s is not a level set.", code=code)
    if kind == ItemKind.LEVEL:
        return _("%(code)s is not a level.", code=code)
    return _("%(code)s is not an indicator.", code=code)
