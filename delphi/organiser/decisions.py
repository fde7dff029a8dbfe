"""The organiser's work between rounds: a decision per item, and items added to the draft for the next round."""
from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from delphi.errors import DomainError, InvalidInput
from delphi.extensions import db
from delphi.forms import EmptyForm
from delphi.models import Decision, Item, ItemKind
from delphi.organiser.blueprint import bp
from delphi.organiser.dashboard import dashboard_url, item_table, read_filters, round_items, select_rows
from delphi.organiser.forms import DecisionForm
from delphi.organiser.responses import fail
from delphi.permissions import is_organiser, load_round_for_organiser, load_study_for_organiser, require
from delphi.services.studies import decisions, protocols
from delphi.services.studies import items as study_items


# The decision as the confirmation names it (the form's value is the stored enum value).
DECISION_WORDS = {"accept": _l("accept"), "revise": _l("revise"), "drop": _l("drop"), "rerate": _l("rerate"),
                  "merge": _l("merge")}


def _item_of(rnd, item_id: int) -> Item:
    item = db.session.get(Item, item_id)
    if item is None or item.study_id != rnd.study_id:
        abort(404)
    return item


def _refused(item: Item, exc: DomainError) -> None:
    db.session.rollback()
    flash(exc.message if item.code in exc.message else _("%(code)s: %(reason)s", code=item.code, reason=exc.message),
          "error")


def _back(rnd, anchor: str | None = None):
    """Back to the dashboard page the organiser came from, its filters kept."""
    return redirect(dashboard_url(rnd.id, read_filters(request.form), anchor))


@bp.post("/rounds/<int:round_id>/items/<int:item_id>/decision")
@require(is_organiser)
def decide(round_id: int, item_id: int):
    rnd = load_round_for_organiser(round_id)
    item = _item_of(rnd, item_id)
    form = DecisionForm()
    if not form.validate_on_submit() or form.decision.data not in {d.value for d in Decision}:
        flash(_("The decision form was incomplete."), "error")
        return _back(rnd, f"item-{item.id}")
    target = None
    if form.decision.data == Decision.MERGE.value:
        code = (form.merge_into.data or "").strip()
        target = db.session.scalar(select(Item).where(Item.study_id == rnd.study_id, Item.code == code))
        if target is None:
            db.session.rollback()
            flash(_("%(code)s: name the item to merge it into (e.g. %(example)s.1); there is no item %(given)s in "
                    "this study.", code=item.code, example=item.code.rsplit(".", 1)[0],
                    given=code or _("(none given)")), "error")
            return _back(rnd, f"item-{item.id}")
    levels = [getattr(form, f"level_{n}").data or "" for n in range(1, 6)]
    try:
        decisions.decide(rnd, item, Decision(form.decision.data), by=current_user, reason=form.reason.data or "",
                         new_text=form.new_text.data, new_levels=levels if any(levels) else None,
                         merge_into=target)
    except DomainError as exc:
        _refused(item, exc)
        return _back(rnd, f"item-{item.id}")
    db.session.commit()
    flash(_("%(code)s: %(decision)s recorded.", code=item.code,
            decision=DECISION_WORDS.get(form.decision.data, form.decision.data)), "success")
    return _back(rnd, f"item-{item.id}")


@bp.post("/rounds/<int:round_id>/items/<int:item_id>/undo")
@require(is_organiser)
def undo_decision(round_id: int, item_id: int):
    rnd = load_round_for_organiser(round_id)
    item = _item_of(rnd, item_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        decisions.undo(rnd, item, by=current_user)
    except DomainError as exc:
        _refused(item, exc)
        return _back(rnd, f"item-{item.id}")
    db.session.commit()
    flash(_("%(code)s: decision undone; the item is undecided again.", code=item.code), "success")
    return _back(rnd, f"item-{item.id}")


@bp.post("/rounds/<int:round_id>/decisions")
@require(is_organiser)
def decide_many(round_id: int):
    """Accept or re-rate many items: the ticked ones, every undecided one the filters show, or every undecided
    item by the protocol's default action for its outcome."""
    rnd = load_round_for_organiser(round_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    scope = request.form.get("scope", "ticked")
    table = item_table(rnd, round_items(rnd))
    undecided = [r for r in table if r["decision"] is None]
    try:
        if scope == "defaults":
            n = 0
            for outcome, action in protocols.default_actions(rnd.study.protocol).items():
                if action in (Decision.ACCEPT.value, Decision.RERATE.value):
                    n += decisions.decide_many(rnd, [r["item"] for r in undecided if r["outcome"] == outcome],
                                               Decision(action), by=current_user, reason="the protocol's default "
                                               f"for “{outcome}”")
        else:
            decision = Decision(request.form.get("decision", ""))
            if scope == "matching":
                chosen = [r["item"] for r in select_rows(undecided, read_filters(request.form))]
            else:
                ticked = {int(v) for v in request.form.getlist("item") if v.isdigit()}
                chosen = [r["item"] for r in undecided if r["item"].id in ticked]
                if not chosen:
                    raise InvalidInput(_("Tick the items to decide first (or choose every undecided item shown)."))
            n = decisions.decide_many(rnd, chosen, decision, by=current_user,
                                      reason=(request.form.get("reason") or "").strip())
    except ValueError:
        db.session.rollback()
        flash(_("Choose accept or re-rate for the items."), "error")
        return _back(rnd)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _back(rnd)
    db.session.commit()
    left = sum(1 for r in table if r["decision"] is None) - n
    flash(ngettext("%(num)d item(s) decided; %(left)s of %(total)s still without a decision.",
                   "%(num)d item(s) decided; %(left)s of %(total)s still without a decision.", n, left=left,
                   total=len(table)), "success")
    return _back(rnd)


@bp.post("/studies/<int:study_id>/items")
@require(is_organiser)
def add_item(study_id: int):
    """Between rounds: rate an element added to the draft (e.g. an indicator experts proposed, or half of a split)."""
    st = load_study_for_organiser(study_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        if st.current_round is None or st.current_round.is_open or st.status.value == "finished":
            raise InvalidInput(_("New items can be added between rounds: after a round has closed and before "
                                 "the next one opens."))
        kind = ItemKind(request.form.get("kind", "indicator"))
        item = study_items.add_proposed_item(st, kind, (request.form.get("element_code") or "").strip(),
                                           by=current_user)
    except ValueError:
        return fail(InvalidInput(_("Choose what kind of item to add.")), "organiser.study", study_id=st.id)
    except DomainError as exc:
        return fail(exc, "organiser.study", study_id=st.id)
    db.session.commit()
    flash(_("Item %(code)s added; it will be rated in the next round.", code=item.code), "success")
    return redirect(url_for("organiser.study", study_id=st.id))
