"""The organiser's work between rounds: a decision per item, and items added to the draft for the next round."""
from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select

from delphi.errors import DomainError, InvalidInput
from delphi.extensions import db
from delphi.forms import EmptyForm
from delphi.models import (
    Decision,
    Item,
    ItemKind,
)
from delphi.organiser.blueprint import bp
from delphi.organiser.forms import (
    DecisionForm,
)
from delphi.organiser.responses import fail
from delphi.permissions import (
    is_organiser,
    load_round_for_organiser,
    load_study_for_organiser,
    require,
)
from delphi.services.studies import decisions


@bp.post("/rounds/<int:round_id>/items/<int:item_id>/decision")
@require(is_organiser)
def decide(round_id: int, item_id: int):
    rnd = load_round_for_organiser(round_id)
    item = db.session.get(Item, item_id)
    if item is None or item.study_id != rnd.study_id:
        abort(404)
    form = DecisionForm()
    if not form.validate_on_submit():
        flash("The decision form was incomplete.", "error")
        return redirect(url_for("organiser.review_round", round_id=rnd.id) + f"#item-{item.id}")
    target = None
    if form.merge_into.data:
        target = db.session.scalar(select(Item).where(Item.study_id == rnd.study_id,
                                                      Item.code == form.merge_into.data.strip()))
        if target is None:
            return fail(InvalidInput(f"No item {form.merge_into.data} in this study."), "organiser.review_round",
                         round_id=rnd.id)
    levels = [getattr(form, f"level_{n}").data or "" for n in range(1, 6)]
    try:
        decisions.decide(rnd, item, Decision(form.decision.data), by=current_user, reason=form.reason.data or "",
                         new_text=form.new_text.data, new_levels=levels if any(levels) else None,
                         merge_into=target)
    except DomainError as exc:
        return fail(exc, "organiser.review_round", round_id=rnd.id)
    db.session.commit()
    flash(f"{item.code}: {form.decision.data} recorded.", "success")
    return redirect(url_for("organiser.review_round", round_id=rnd.id) + f"#item-{item.id}")


@bp.post("/studies/<int:study_id>/items")
@require(is_organiser)
def add_item(study_id: int):
    """Between rounds: rate an element added to the draft (e.g. an indicator experts proposed, or half of a split)."""
    st = load_study_for_organiser(study_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        if st.current_round is None or st.current_round.is_open or st.status.value == "finished":
            raise InvalidInput("New items can be added between rounds: after a round has closed and before the "
                               "next one opens.")
        kind = ItemKind(request.form.get("kind", "indicator"))
        item = decisions.add_proposed_item(st, kind, (request.form.get("element_code") or "").strip(),
                                           by=current_user)
    except ValueError:
        return fail(InvalidInput("Choose what kind of item to add."), "organiser.study", study_id=st.id)
    except DomainError as exc:
        return fail(exc, "organiser.study", study_id=st.id)
    db.session.commit()
    flash(f"Item {item.code} added; it will be rated in the next round.", "success")
    return redirect(url_for("organiser.study", study_id=st.id))
