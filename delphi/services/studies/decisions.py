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
    """Items whose element lies under this item's element (codes are hierarchical: II → II.3 → II.3.2), and the
    indicator's own level set and levels (same element code)."""
    prefix = item.element_code + "."
    return [i for i in item.study.items if i.id != item.id and
            (i.element_code == item.element_code or i.element_code.startswith(prefix))]


def _decision_of(rnd: Round, item: Item) -> ItemDecision | None:
    return db.session.scalar(select(ItemDecision).where(ItemDecision.round_id == rnd.id,
                                                        ItemDecision.item_id == item.id))


def settled_wording(row: ItemDecision, codes: dict[int, str]) -> str:
    """How a decision that came with another item's reads: 'dropped with II.3.3', 'merged into II.3.2 with II.3.3'."""
    source = codes.get(row.settled_by_id, "?")
    if row.decision == Decision.MERGE:
        return f"merged into {codes.get(row.merged_into_id, '?')} with {source}"
    return f"dropped with {source}"


def decide(rnd: Round, item: Item, decision: Decision, *, by: User, reason: str = "",
           new_text: str | None = None, new_levels: list[str] | None = None,
           merge_into: Item | None = None) -> ItemDecision:
    """Record one decision. A drop (or an indicator's merge) settles every item under the element too: their own
    decisions, if any were made first, give way to 'dropped with …' / 'merged into … with …', so the organiser may
    work top-down or bottom-up and the next round can always open."""
    if rnd.status != RoundStatus.CLOSED:
        raise InvalidInput("Decisions are made after the round has closed.")
    if rnd.study.current_round.id != rnd.id:
        raise InvalidInput("A later round has opened; decisions on this round can no longer change.")
    existing = _decision_of(rnd, item)
    if existing is not None and existing.settled_by_id is not None:
        source = db.session.get(Item, existing.settled_by_id)
        raise InvalidInput(f"{item.code} was settled by the decision on {source.code} "
                           f"({settled_wording(existing, {source.id: source.code, **_codes(existing)})}); "
                           f"it needs no decision of its own.")
    if existing is not None:
        raise InvalidInput(f"Item {item.code} already has a decision for round {rnd.number}.")
    if item.state in (ItemState.DROPPED, ItemState.MERGED):
        raise InvalidInput(f"{item.code} has already been {item.state.value}; it needs no decision.")
    version = rnd.study.framework_version
    outcomes = results.outcomes(rnd)
    outcome = outcomes.get(item.code)
    before = after = None
    reason = (reason or "").strip()
    settles: list[Item] = []

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
            raise InvalidInput("Every indicator keeps five levels: revise the level descriptions instead, or drop "
                               "the indicator.")
        before = editing.delete(version, item.element_code)
        item.state = ItemState.DROPPED
        settles = _descendants(item)
        for child in settles:
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
            settles = _descendants(item)
            for child in settles:
                child.state = ItemState.MERGED
                child.merged_into_id = merge_into.id
        reason = reason or f"merged into {merge_into.code}"
    row = ItemDecision(round_id=rnd.id, item_id=item.id, outcome=outcome, decision=decision, reason=reason,
                       before=before, after=after, merged_into_id=merge_into.id if merge_into else None,
                       decided_by_id=by.id)
    db.session.add(row)
    _settle(rnd, item, row, settles, outcomes, by=by)
    db.session.flush()
    audit.record(by, f"decide_{decision.value}", "item", item.id,
                 before=before, after={"round": rnd.number, "decision": decision.value, "reason": reason,
                                       **(after or {})})
    return row


def _codes(row: ItemDecision) -> dict[int, str]:
    if row.merged_into_id is None:
        return {}
    target = db.session.get(Item, row.merged_into_id)
    return {target.id: target.code} if target else {}


def _settle(rnd: Round, item: Item, row: ItemDecision, children: list[Item], outcomes: dict[str, str], *,
            by: User) -> None:
    """Give every item under a dropped or merged element that this round rated a decision that came with it,
    replacing any decision the organiser had made on it first (that decision is in the audit log)."""
    in_round = {ri.item_id for ri in rnd.round_items}
    codes = {item.id: item.code, **_codes(row)}
    for child in children:
        if child.id not in in_round:
            continue
        earlier = _decision_of(rnd, child)
        if earlier is not None:
            audit.record(by, "decision_superseded", "item", child.id,
                         before={"round": rnd.number, "decision": earlier.decision.value, "reason": earlier.reason},
                         after={"settled_by": item.code})
            db.session.delete(earlier)
            db.session.flush()
        settled = ItemDecision(round_id=rnd.id, item_id=child.id, outcome=outcomes.get(child.code),
                               decision=row.decision, merged_into_id=row.merged_into_id, settled_by_id=item.id,
                               decided_by_id=by.id)
        settled.reason = settled_wording(settled, codes)
        db.session.add(settled)


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
