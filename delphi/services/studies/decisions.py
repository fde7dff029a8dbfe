"""Between rounds: the organiser's decision on each item (accept, revise, drop, re-rate, merge), and new items.

Revisions, drops and merges change the study's framework draft at once, so the draft always holds the current
wording; the decision row keeps the wording before and after and the reason, for the report.
"""
from __future__ import annotations

import framework as fwlib
from sqlalchemy import select

from delphi.errors import InvalidInput
from delphi.extensions import db
from delphi.models import (
    Decision,
    Item,
    ItemDecision,
    ItemKind,
    ItemState,
    Round,
    RoundStatus,
    User,
)
from delphi.services.accounts import audit
from delphi.services.frameworks import editing
from delphi.services.studies import design, results

TEXT_FIELD = {ItemKind.DOMAIN: "title", ItemKind.SUBDOMAIN: "title", ItemKind.INDICATOR: "statement"}


def _descendants(item: Item) -> list[Item]:
    """Items whose element lies under this item's element (codes are hierarchical: II → II.3 → II.3.2)."""
    prefix = item.element_code + "."
    return [i for i in item.study.items if i.id != item.id and
            (i.element_code == item.element_code or i.element_code.startswith(prefix))]


def decide(rnd: Round, item: Item, decision: Decision, *, by: User, reason: str = "",
           new_text: str | None = None, new_levels: list[str] | None = None,
           merge_into: Item | None = None) -> ItemDecision:
    if rnd.status != RoundStatus.CLOSED:
        raise InvalidInput("Decisions are made after the round has closed.")
    if rnd.study.current_round.id != rnd.id:
        raise InvalidInput("A later round has opened; decisions on this round can no longer change.")
    if db.session.scalar(select(ItemDecision.id).where(ItemDecision.round_id == rnd.id,
                                                       ItemDecision.item_id == item.id)):
        raise InvalidInput(f"Item {item.code} already has a decision for round {rnd.number}.")
    version = rnd.study.framework_version
    outcome = results.outcomes(rnd).get(item.code)
    before = after = None
    reason = (reason or "").strip()

    if decision == Decision.ACCEPT:
        item.state = ItemState.ACCEPTED
    elif decision == Decision.RERATE:
        item.state = ItemState.ACTIVE
    elif decision == Decision.REVISE:
        if not reason:
            raise InvalidInput("Give the reason for the revision (e.g. the comments it follows).")
        before, after = _revise(version, item, new_text, new_levels)
        item.state = ItemState.ACTIVE
    elif decision == Decision.DROP:
        if not reason:
            raise InvalidInput("Give the reason for dropping the item.")
        if item.kind in (ItemKind.LEVEL_SET, ItemKind.LEVEL):
            raise InvalidInput("Every indicator keeps five levels: revise the level descriptions instead.")
        before = editing.delete(version, item.element_code)
        item.state = ItemState.DROPPED
        for child in _descendants(item):
            child.state = ItemState.DROPPED
    elif decision == Decision.MERGE:
        if merge_into is None or merge_into.id == item.id or merge_into.kind != item.kind:
            raise InvalidInput("Choose another item of the same kind to merge this one into.")
        if merge_into.state in (ItemState.DROPPED, ItemState.MERGED):
            raise InvalidInput(f"{merge_into.code} has been dropped or merged itself.")
        if item.kind == ItemKind.SUBDOMAIN:
            editing.move_indicators(version, item.element_code, merge_into.element_code)
        elif item.kind != ItemKind.INDICATOR:
            raise InvalidInput("Only subdomains and indicators can be merged.")
        before = editing.delete(version, item.element_code)
        item.state = ItemState.MERGED
        item.merged_into_id = merge_into.id
        if item.kind == ItemKind.INDICATOR:
            for child in _descendants(item):
                child.state = ItemState.MERGED
                child.merged_into_id = merge_into.id
        reason = reason or f"merged into {merge_into.code}"
    row = ItemDecision(round_id=rnd.id, item_id=item.id, outcome=outcome, decision=decision, reason=reason,
                       before=before, after=after, merged_into_id=merge_into.id if merge_into else None,
                       decided_by_id=by.id)
    db.session.add(row)
    db.session.flush()
    audit.record(by, f"decide_{decision.value}", "item", item.id,
                 before=before, after={"round": rnd.number, "decision": decision.value, "reason": reason,
                                       **(after or {})})
    return row


def _revise(version, item: Item, new_text: str | None, new_levels: list[str] | None):
    if item.kind == ItemKind.LEVEL_SET:
        if not new_levels or len(new_levels) != 5:
            raise InvalidInput("Give the five revised level descriptions.")
        before, after = {"code": item.element_code, "levels": []}, {"code": item.element_code, "levels": []}
        for n, text in enumerate(new_levels, 1):
            b, a = editing.reword(version, item.element_code, f"level_{n}", text)
            before["levels"].append(b[f"level_{n}"])
            after["levels"].append(a[f"level_{n}"])
        if before["levels"] == after["levels"]:
            raise InvalidInput("The revised levels are identical to the current ones; choose re-rate instead.")
        return before, after
    field = f"level_{item.level}" if item.kind == ItemKind.LEVEL else TEXT_FIELD[item.kind]
    if not (new_text or "").strip():
        raise InvalidInput("Give the new wording.")
    before, after = editing.reword(version, item.element_code, field, new_text)
    if before[field] == after[field]:
        raise InvalidInput("The new wording is identical to the current one; choose re-rate instead.")
    return before, after


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
