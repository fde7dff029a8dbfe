"""Archived studies: a Delphi run elsewhere, stored read-only so it gets the dashboard, item flow, report, data
package and citable release of a study run here.

An archived study is a Study with `archive` set (where it came from; models/study.py says how it is labelled).
Its rounds are closed from the start and their statistics computed at import with the study's protocol and
rule by the engine live rounds use (results.compute). Nothing can reopen them: design.require_live refuses a
round, an invitation or a panelist, and every rating write needs an open round. Its panelists are pseudonyms
held by accounts that cannot log in (inactive, no password, an address under the reserved .invalid domain).

Between imported rounds the data says only which items were rated again: those get a "re-rate" decision, the
others "accept", each with a reason saying it was recorded at import. The last round is decided by the
organiser on the dashboard, as in any study, before the release.
"""
from __future__ import annotations

from typing import Any

import pandas as pd
from flask_babel import gettext as _
from sqlalchemy import insert, select

from delphi.db import utcnow
from delphi.errors import InvalidInput
from delphi.extensions import db
from delphi.models import (
    Comment,
    Decision,
    Framework,
    Item,
    ItemDecision,
    ItemState,
    Panelist,
    Participation,
    Rating,
    Round,
    RoundItem,
    RoundStatus,
    Study,
    StudyOrganiser,
    User,
)
from delphi.services.accounts import audit
from delphi.services.frameworks import versions
from delphi.services.studies import design, results
from delphi.services.studies.archive_input import Plan

# Stored with the study (its consent text, each recorded decision's reason): the record's own words, in English.
CONSENT = ("Archived study: consent was collected by the original study, not on this platform. No expert is "
           "invited or rates here.")
RECORDED = "Recorded at import: {what} in round {next} of the imported study ({outcome})."


def label(tool: str, sources: list[str], note: str = "", checksum: str = "") -> dict[str, Any]:
    """The study's archive record: what every page, report, package and release says about it."""
    return {"tool": tool.strip(), "source": ", ".join(sources), "note": note.strip(),
            "reconstructed": bool(note.strip()), "imported_at": utcnow().isoformat(), "checksum": checksum}


class AlreadyArchived(InvalidInput):
    def __init__(self, study: Study) -> None:
        super().__init__(_("These files were already archived as “%(title)s”; nothing was stored again.",
                           title=study.title))


def _already_archived(checksum: str, by: User) -> Study | None:
    """The organiser's archived study of exactly these files (a second click on the confirmation, a reload)."""
    mine = db.session.scalars(select(Study).where(Study.created_by_id == by.id, Study.archive.is_not(None)))
    return next((s for s in mine if s.archive.get("checksum") == checksum), None)


def store(plan: Plan, title: str, *, by: User, aims: str = "", note: str = "") -> Study:
    """Store a checked plan as an archived study; refused (and nothing stored) unless plan.ok."""
    title = (title or "").strip()
    if not title:
        raise InvalidInput(_("An archived study needs a title."))
    if not plan.ok:
        raise InvalidInput(_("The files were refused; correct them and check them again. %(reasons)s",
                             reasons="; ".join(map(str, plan.refused))))
    if plan.checksum and (twin := _already_archived(plan.checksum, by)) is not None:
        raise AlreadyArchived(twin)
    version = _draft(plan, title, by)
    study = Study(title=title, aims=aims.strip(), contact=by.email, framework_version_id=version.id,
                  base_version_id=plan.base.id if plan.base else None, protocol=plan.protocol,
                  consent_text=CONSENT, created_by_id=by.id,
                  archive=label(plan.settings.tool, plan.sources, note, plan.checksum))
    db.session.add(study)
    db.session.flush()
    db.session.add(StudyOrganiser(study_id=study.id, user_id=by.id))
    design.lock_protocol(study)
    frame = plan.frame
    panelist_ids = _panel(study, frame)
    item_ids = _items(study, plan)
    doc = plan.doc
    items = {i.id: i for i in study.items}
    now = utcnow()
    numbers = sorted(int(r) for r in frame["round"].unique())
    rounds: list[Round] = []
    for number in numbers:
        rnd = Round(study_id=study.id, number=number, status=RoundStatus.CLOSED, opened_at=now, deadline=now,
                    closed_at=now, closed_by_id=by.id)
        db.session.add(rnd)
        db.session.flush()
        sub = frame[frame["round"] == number]
        rated = [item_ids[str(c)] for c in dict.fromkeys(sub["item"].astype(str))]
        db.session.add_all(RoundItem(round_id=rnd.id, item_id=iid, position=items[iid].position,
                                     wording=design.wording(items[iid], doc)) for iid in rated)
        _answers(rnd, sub, panelist_ids, item_ids)
        rounds.append(rnd)
    db.session.flush()
    for rnd in rounds:
        db.session.refresh(rnd, ["round_items"])
        rnd.results = results.compute(rnd)  # in order: each round's stability uses the rounds before it
    _recorded_decisions(rounds, by)
    db.session.flush()
    audit.record(by, "import_archived_study", "study", study.id,
                 after={"title": title, "archive": study.archive, "rounds": numbers, "items": len(item_ids),
                        "panelists": len(panelist_ids)})
    return study


def _draft(plan: Plan, title: str, by: User):
    if plan.base is not None:
        return versions.new_draft(plan.base, versions.suggest_label(plan.base.framework), by=by)
    slug = versions.slugify(plan.doc.short_name or plan.doc.name if plan.doc.name != "Imported items" else title)
    slug = (slug or "archived-study")[:90].strip("-") or "archived-study"
    existing = db.session.scalar(select(Framework).where(Framework.slug == slug))
    label = versions.suggest_label(existing) if existing is not None else "draft-1"
    return versions.import_document(plan.doc, slug=slug, label=label, by=by)


def _panel(study: Study, frame: pd.DataFrame) -> dict[str, int]:
    """Pseudonyms E01, E02, … in the order the file names the panelists, each held by an account that cannot log
    in; the original identifiers are not stored."""
    original = list(dict.fromkeys(frame["panelist"].astype(str)))
    width = max(2, len(str(len(original))))
    groups: dict[str, str] = {}
    if "group" in frame.columns:
        for pid, group in zip(frame["panelist"].astype(str), frame["group"]):
            if pd.notna(group) and str(group).strip():
                groups.setdefault(pid, str(group).strip()[:100])
    pseudonyms = {pid: f"E{n:0{width}d}" for n, pid in enumerate(original, 1)}
    db.session.execute(insert(User), [
        {"email": f"archived-{study.id}-{p.lower()}@archived.invalid", "name": f"{p} (archived study)",
         "password_hash": None, "active": False} for p in pseudonyms.values()])
    accounts = dict(db.session.execute(select(User.email, User.id).where(
        User.email.like(f"archived-{study.id}-%@archived.invalid"))).all())
    now = utcnow()
    db.session.execute(insert(Panelist), [
        {"study_id": study.id, "user_id": accounts[f"archived-{study.id}-{p.lower()}@archived.invalid"],
         "pseudonym": p, "name": p, "stakeholder_group": groups.get(pid, ""), "invited_at": now,
         "consented_at": now, "added_at": now} for pid, p in pseudonyms.items()])
    ids = dict(db.session.execute(select(Panelist.pseudonym, Panelist.id).where(Panelist.study_id == study.id)).all())
    db.session.expire(study, ["panelists"])
    return {pid: ids[p] for pid, p in pseudonyms.items()}


def _items(study: Study, plan: Plan) -> dict[str, int]:
    rated = set(plan.items())
    order = {code: n for n, code in enumerate(plan.codes, 1)}
    for code in sorted(rated, key=lambda c: order[c]):
        kind, element, domain, level = plan.codes[code]
        study.items.append(Item(code=code, element_code=element, kind=kind, level=level, domain_code=domain,
                                position=order[code]))
    db.session.flush()
    return {i.code: i.id for i in study.items}


def _answers(rnd: Round, sub: pd.DataFrame, panelist_ids: dict[str, int], item_ids: dict[str, int]) -> None:
    """Ratings (NaN = unable to rate), comments (one per panelist and item) and participation, in bulk."""
    now = utcnow()
    pids = sub["panelist"].astype(str).map(panelist_ids)
    iids = sub["item"].astype(str).map(item_ids)
    values = [None if pd.isna(v) else int(v) for v in sub["rating"]]
    db.session.execute(insert(Rating), [
        {"round_id": rnd.id, "panelist_id": int(p), "item_id": int(i), "question": str(q), "value": v,
         "updated_at": now} for p, i, q, v in zip(pids, iids, sub["question"].astype(str), values)])
    if "comment" in sub.columns:
        texts: dict[tuple[int, int], list[str]] = {}
        for p, i, text in zip(pids, iids, sub["comment"]):
            if isinstance(text, str) and text.strip() and text.strip() not in texts.get((int(p), int(i)), []):
                texts.setdefault((int(p), int(i)), []).append(text.strip())
        if texts:
            db.session.execute(insert(Comment), [
                {"round_id": rnd.id, "panelist_id": p, "item_id": i, "text": "\n".join(t)[:5000], "updated_at": now}
                for (p, i), t in texts.items()])
    db.session.execute(insert(Participation), [
        {"round_id": rnd.id, "panelist_id": int(p), "started_at": now, "submitted_at": now}
        for p in sorted(set(pids))])


def _recorded_decisions(rounds: list[Round], by: User) -> None:
    """What the data says happened between imported rounds: rated again (re-rate) or not (accept)."""
    for rnd, following in zip(rounds, rounds[1:]):
        again = {ri.item_id for ri in following.round_items}
        outcome_of = results.outcomes(rnd)
        for ri in rnd.round_items:
            outcome = outcome_of.get(ri.item.code) or "no outcome"
            rerated = ri.item_id in again
            db.session.add(ItemDecision(
                round_id=rnd.id, item_id=ri.item_id, outcome=outcome_of.get(ri.item.code),
                decision=Decision.RERATE if rerated else Decision.ACCEPT, decided_by_id=by.id,
                reason=RECORDED.format(what="rated again" if rerated else "not rated again", next=following.number,
                                       outcome=outcome)))
            if not rerated:
                ri.item.state = ItemState.ACCEPTED
