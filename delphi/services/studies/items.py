"""Which items a round rates: the active ones (and the accepted ones, if the protocol keeps them), and items
for elements added to the draft between rounds (e.g. an indicator the experts proposed)."""
from __future__ import annotations

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
        raise InvalidInput("Give the code of the element to rate, e.g. II.3.4.")
    doc = versions.to_document(study.framework_version)
    element = doc.find(element_code)
    if element is None:
        raise InvalidInput(f"{element_code} is not in the framework draft: add it in the editor first.")
    expected = {ItemKind.DOMAIN: fwlib.Domain, ItemKind.SUBDOMAIN: fwlib.Subdomain}.get(kind, fwlib.Indicator)
    if not isinstance(element, expected):
        raise InvalidInput(f"{element_code} is not a {kind.value.replace('_', ' ')}.")
    code = design.item_code(kind, element_code)
    if any(i.code == code for i in study.items):
        raise InvalidInput(f"{code} is already an item of this study.")
    domain = element_code
    while doc.parent_code(domain):
        domain = doc.parent_code(domain)
    item = Item(code=design.item_code(kind, element_code), element_code=element_code,
                kind=kind, domain_code=domain, position=len(study.items) + 1, proposed=True)
    study.items.append(item)
    db.session.flush()
    audit.record(by, "add_item", "study", study.id, after={"item": item.code})
    return item
