"""Between rounds: the organiser's decision on each item (accept, revise, drop, re-rate, merge), many at once, and
undo — until the next round opens.

Revisions, drops and merges change the study's framework draft at once, so the draft always holds the current
wording; the decision row keeps the wording before and after and the reason, for the report, and what undo needs
(`undo`: the earlier texts, the dropped element's snapshot, the items' earlier states).

A drop (or an indicator's merge) settles every item under the element: those items get a decision that came with
it ("dropped with II.3.3", settled_by_id), and any decision the organiser had made on them first is undone. So the
organiser may work top-down or bottom-up, and the next round can always open.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from delphi.errors import InvalidInput
from delphi.extensions import db
from delphi.models import Decision, Item, ItemDecision, ItemKind, ItemState, Round, RoundStatus, User
from delphi.services.accounts import audit
from delphi.services.frameworks import editing, snapshots
from delphi.services.studies import results

TEXT_FIELD = {ItemKind.DOMAIN: "title", ItemKind.SUBDOMAIN: "title", ItemKind.INDICATOR: "statement"}
BULK = (Decision.ACCEPT, Decision.RERATE)  # the decisions that need no wording or target of their own
LABELS = {Decision.ACCEPT: _l("Accept"), Decision.REVISE: _l("Revise wording"), Decision.DROP: _l("Drop"),
          Decision.RERATE: _l("Re-rate unchanged"), Decision.MERGE: _l("Merge into another item")}


def available(item: Item) -> list[Decision]:
    """The decisions that can succeed on this item, in the order the form offers them."""
    if item.state in (ItemState.DROPPED, ItemState.MERGED):
        return []
    offered = [Decision.ACCEPT, Decision.REVISE, Decision.RERATE]
    if item.kind in (ItemKind.DOMAIN, ItemKind.SUBDOMAIN, ItemKind.INDICATOR):
        offered.insert(2, Decision.DROP)
    if item.kind in (ItemKind.SUBDOMAIN, ItemKind.INDICATOR):
        offered.append(Decision.MERGE)
    return offered


def _descendants(item: Item) -> list[Item]:
    """Items whose element lies under this item's element (codes are hierarchical: II → II.3 → II.3.2), and the
    indicator's own level set and levels (same element code)."""
    prefix = item.element_code + "."
    return [i for i in item.study.items if i.id != item.id and
            (i.element_code == item.element_code or i.element_code.startswith(prefix))]


def decision_of(rnd: Round, item: Item) -> ItemDecision | None:
    return db.session.scalar(select(ItemDecision).where(ItemDecision.round_id == rnd.id,
                                                        ItemDecision.item_id == item.id))


def settled_wording(row: ItemDecision, codes: dict[int, str]) -> str:
    """How a decision that came with another item's reads: 'dropped with II.3.3', 'merged into II.3.2 with II.3.3'
    (stored as the decision's reason, in English like the organiser's own record)."""
    source = codes.get(row.settled_by_id, "?")
    if row.decision == Decision.MERGE:
        return f"merged into {codes.get(row.merged_into_id, '?')} with {source}"
    return f"dropped with {source}"


def _check_can_decide(rnd: Round) -> None:
    if rnd.status != RoundStatus.CLOSED:
        raise InvalidInput(_("Decisions are made after the round has closed."))
    if rnd.study.current_round.id != rnd.id:
        raise InvalidInput(_("A later round has opened; decisions on this round can no longer change."))


def _code(item_id: int | None) -> str:
    item = db.session.get(Item, item_id) if item_id else None
    return item.code if item else "?"


def decide(rnd: Round, item: Item, decision: Decision, *, by: User, reason: str = "",
           new_text: str | None = None, new_levels: list[str] | None = None,
           merge_into: Item | None = None, outcomes: dict[str, str | None] | None = None) -> ItemDecision:
    """Record one decision (outcomes: the round's, when the caller decides many items at once)."""
    _check_can_decide(rnd)
    existing = decision_of(rnd, item)
    if existing is not None and existing.settled_by_id is not None:
        raise InvalidInput(_("%(code)s was settled by the decision on %(other)s (%(reason)s); it needs no decision "
                             "of its own.", code=item.code, other=_code(existing.settled_by_id),
                             reason=existing.reason))
    if existing is not None:
        raise InvalidInput(_("Item %(code)s already has a decision for round %(number)s. Undo it first to decide "
                             "again.", code=item.code, number=rnd.number))
    if item.state in (ItemState.DROPPED, ItemState.MERGED):
        raise InvalidInput(_("%(code)s has already been dropped; it needs no decision.", code=item.code)
                           if item.state == ItemState.DROPPED else
                           _("%(code)s has already been merged; it needs no decision.", code=item.code))
    if decision not in available(item):
        raise InvalidInput(_why_not(item, decision))
    version = rnd.study.framework_version
    outcomes = results.outcomes(rnd) if outcomes is None else outcomes
    before = after = None
    reason = (reason or "").strip()
    undo: dict[str, Any] = {"states": {str(item.id): [item.state.value, item.merged_into_id]}}
    settles: list[Item] = []

    if decision == Decision.ACCEPT:
        item.state = ItemState.ACCEPTED
    elif decision == Decision.RERATE:
        item.state = ItemState.ACTIVE
    elif decision == Decision.REVISE:
        if not reason:
            raise InvalidInput(_("Give the reason for the revision (e.g. the comments it follows)."))
        before, after = _revise(version, item, new_text, new_levels)
        undo["texts"] = _texts_of(item, before)
        item.state = ItemState.ACTIVE
    elif decision == Decision.DROP:
        if not reason:
            raise InvalidInput(_("Give the reason for dropping the item."))
        settles = _descendants(item)
        _clear_decisions_under(rnd, item, settles, by=by)
        undo["states"].update({str(c.id): [c.state.value, c.merged_into_id] for c in settles})
        undo["snapshot"] = snapshots.snapshot(version, item.element_code)
        before = editing.delete(version, item.element_code)
        item.state = ItemState.DROPPED
        for child in settles:
            child.state = ItemState.DROPPED
    elif decision == Decision.MERGE:
        if merge_into is None or merge_into.id == item.id or merge_into.kind != item.kind:
            raise InvalidInput(_("Choose another subdomain to merge %(code)s into.", code=item.code)
                               if item.kind == ItemKind.SUBDOMAIN else
                               _("Choose another indicator to merge %(code)s into.", code=item.code))
        if merge_into.state in (ItemState.DROPPED, ItemState.MERGED):
            raise InvalidInput(_("%(code)s has been dropped itself; choose another item.", code=merge_into.code)
                               if merge_into.state == ItemState.DROPPED else
                               _("%(code)s has been merged itself; choose another item.", code=merge_into.code))
        if item.kind == ItemKind.SUBDOMAIN:
            source = editing.find_element(version, item.element_code)
            undo["moved"] = [[ind.code, ind.position] for ind in source.indicators]
            editing.move_indicators(version, item.element_code, merge_into.element_code)
        else:
            settles = _descendants(item)
            _clear_decisions_under(rnd, item, settles, by=by)
            undo["states"].update({str(c.id): [c.state.value, c.merged_into_id] for c in settles})
        undo["snapshot"] = snapshots.snapshot(version, item.element_code)
        before = editing.delete(version, item.element_code)
        item.state = ItemState.MERGED
        item.merged_into_id = merge_into.id
        for child in settles:
            child.state = ItemState.MERGED
            child.merged_into_id = merge_into.id
        reason = reason or f"merged into {merge_into.code}"
    row = ItemDecision(round_id=rnd.id, item_id=item.id, outcome=outcomes.get(item.code), decision=decision,
                       reason=reason, before=before, after=after, undo=undo,
                       merged_into_id=merge_into.id if merge_into else None, decided_by_id=by.id)
    db.session.add(row)
    _settle(rnd, item, row, settles, outcomes, by=by)
    db.session.flush()
    audit.record(by, f"decide_{decision.value}", "item", item.id,
                 before=before, after={"round": rnd.number, "decision": decision.value, "reason": reason,
                                       **(after or {})})
    return row


def _why_not(item: Item, decision: Decision) -> str:
    if decision == Decision.DROP and item.kind in (ItemKind.LEVEL_SET, ItemKind.LEVEL):
        return _("Every indicator keeps five levels: revise the level descriptions instead, or drop the indicator "
                 "%(code)s.", code=item.element_code)
    if decision == Decision.MERGE:
        return _("Only subdomains and indicators can be merged.")
    return _("%(decision)s is not possible for %(code)s.", decision=LABELS[decision], code=item.code)


def _texts_of(item: Item, before: dict[str, Any]) -> dict[str, str]:
    if item.kind == ItemKind.LEVEL_SET:
        return {f"level_{n}": text for n, text in enumerate(before["levels"], 1)}
    return {k: v for k, v in before.items() if k != "code"}


def _clear_decisions_under(rnd: Round, item: Item, children: list[Item], *, by: User) -> None:
    """Undo the organiser's own decisions on items under an element about to be dropped or merged (a level's
    revision, say), so the element's snapshot and the items' states are as before any of them."""
    ids = [c.id for c in children]
    own = db.session.scalars(select(ItemDecision).where(
        ItemDecision.round_id == rnd.id, ItemDecision.item_id.in_(ids or [-1]),
        ItemDecision.settled_by_id.is_(None)).order_by(ItemDecision.id.desc())).all()
    for earlier in own:
        _revert(rnd, earlier, by=by, why=f"superseded by the decision on {item.code}")


def _settle(rnd: Round, item: Item, row: ItemDecision, children: list[Item], outcomes: dict[str, str | None], *,
            by: User) -> None:
    """Give every item under a dropped or merged element that this round rated a decision that came with it."""
    in_round = {ri.item_id for ri in rnd.round_items}
    codes = {item.id: item.code}
    if row.merged_into_id:
        codes[row.merged_into_id] = _code(row.merged_into_id)
    for child in children:
        if child.id not in in_round:
            continue
        settled = ItemDecision(round_id=rnd.id, item_id=child.id, outcome=outcomes.get(child.code),
                               decision=row.decision, merged_into_id=row.merged_into_id, settled_by_id=item.id,
                               decided_by_id=by.id)
        settled.reason = settled_wording(settled, codes)
        db.session.add(settled)


def undo(rnd: Round, item: Item, *, by: User) -> None:
    """Take a decision back while the next round has not opened: the draft, the item and the items it settled
    return to how they were before it, and the item is undecided again."""
    _check_can_decide(rnd)
    row = decision_of(rnd, item)
    if row is None:
        raise InvalidInput(_("%(code)s has no decision to undo.", code=item.code))
    if row.settled_by_id is not None:
        raise InvalidInput(_("%(code)s was settled by the decision on %(other)s; undo that decision instead.",
                             code=item.code, other=_code(row.settled_by_id)))
    _revert(rnd, row, by=by, why="undone by the organiser")


def _revert(rnd: Round, row: ItemDecision, *, by: User, why: str) -> None:
    version = rnd.study.framework_version
    item = db.session.get(Item, row.item_id)
    data = row.undo or {}
    if row.decision == Decision.REVISE:
        for field, text in (data.get("texts") or {}).items():
            editing.reword(version, item.element_code, field, text)
    elif row.decision in (Decision.DROP, Decision.MERGE):
        if "snapshot" not in data:
            raise InvalidInput(_("The decision on %(code)s was recorded before decisions could be undone.",
                                       code=item.code))
        snapshots.restore(version, data["snapshot"])
        for code, position in data.get("moved") or []:  # a subdomain's merge: its indicators come back
            indicator = editing.find_element(version, code)
            indicator.subdomain_id = editing.find_element(version, item.element_code).id
            indicator.position = position
        for settled in db.session.scalars(select(ItemDecision).where(
                ItemDecision.round_id == rnd.id, ItemDecision.settled_by_id == item.id)):
            db.session.delete(settled)
    for item_id, (state, merged_into_id) in (data.get("states") or {}).items():
        other = db.session.get(Item, int(item_id))
        other.state = ItemState(state)
        other.merged_into_id = merged_into_id
    audit.record(by, "undo_decision", "item", item.id,
                 before={"round": rnd.number, "decision": row.decision.value, "reason": row.reason},
                 after={"why": why})
    db.session.delete(row)
    db.session.flush()
    db.session.expire(rnd.study.framework_version)


def decide_many(rnd: Round, items: Iterable[Item], decision: Decision, *, by: User, reason: str = "") -> int:
    """The same decision on many items (accept or re-rate): items already decided or settled are left as they
    are. Returns how many were decided."""
    if decision not in BULK:
        raise InvalidInput(_("Many items at once can be accepted or re-rated; revise, drop and merge one by one."))
    _check_can_decide(rnd)
    outcomes = results.outcomes(rnd)
    decided = set(db.session.scalars(select(ItemDecision.item_id).where(ItemDecision.round_id == rnd.id)))
    in_round = {ri.item_id for ri in rnd.round_items}
    n = 0
    for item in items:
        if item.id in decided or item.id not in in_round or decision not in available(item):
            continue
        decide(rnd, item, decision, by=by, reason=reason, outcomes=outcomes)
        n += 1
    return n


def _revise(version, item: Item, new_text: str | None, new_levels: list[str] | None):
    if item.kind == ItemKind.LEVEL_SET:
        if not new_levels or len(new_levels) != 5:
            raise InvalidInput(_("Give the five revised level descriptions."))
        before, after = {"code": item.element_code, "levels": []}, {"code": item.element_code, "levels": []}
        for n, text in enumerate(new_levels, 1):
            b, a = editing.reword(version, item.element_code, f"level_{n}", text)
            before["levels"].append(b[f"level_{n}"])
            after["levels"].append(a[f"level_{n}"])
        if before["levels"] == after["levels"]:
            raise InvalidInput(_("The revised levels are identical to the current ones; choose re-rate instead."))
        return before, after
    field = f"level_{item.level}" if item.kind == ItemKind.LEVEL else TEXT_FIELD[item.kind]
    if not (new_text or "").strip():
        raise InvalidInput(_("Give the new wording."))
    before, after = editing.reword(version, item.element_code, field, new_text)
    if before[field] == after[field]:
        raise InvalidInput(_("The new wording is identical to the current one; choose re-rate instead."))
    return before, after
