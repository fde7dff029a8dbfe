"""The organiser's round pages: open, live progress, extend, remind, close, and the results exports (the
consensus dashboard of a closed round is in dashboard.py)."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from delphi.errors import DomainError
from delphi.extensions import db
from delphi.forms import EmptyForm
from delphi.i18n import moment
from delphi.organiser.blueprint import bp
from delphi.organiser.forms import DeadlineForm, OpenRoundForm
from delphi.organiser.responses import download, fail
from delphi.permissions import is_organiser, load_round_for_organiser, load_study_for_organiser, require
from delphi.services.studies import exports, panel, rounds


@bp.post("/studies/<int:study_id>/rounds")
@require(is_organiser)
def open_round(study_id: int):
    st = load_study_for_organiser(study_id)
    form = OpenRoundForm()
    if not form.validate_on_submit():
        flash(_("Give a valid deadline (date and time, UTC)."), "error")
        return redirect(url_for("organiser.study", study_id=st.id))
    try:
        rnd = rounds.open_round(st, form.deadline.data, by=current_user)
    except DomainError as exc:
        return fail(exc, "organiser.study", study_id=st.id)
    db.session.commit()
    flash(ngettext("Round %(number)s is open with %(num)d items until %(deadline)s UTC.",
                   "Round %(number)s is open with %(num)d items until %(deadline)s UTC.", len(rnd.round_items),
                   number=rnd.number, deadline=moment(rnd.deadline)), "success")
    return redirect(url_for("organiser.study", study_id=st.id))


@bp.get("/rounds/<int:round_id>/progress.json")
@require(is_organiser)
def round_progress(round_id: int):
    """Live progress for the study page's script: totals only, never an individual's ratings."""
    rnd = load_round_for_organiser(round_id)
    progress = rounds.progress(rnd)
    return {"round": rnd.number, "status": rnd.status.value, "panel": progress["panel"],
            "started": progress["started"], "completed": progress["completed"], "items": progress["items"],
            "per_item": {str(k): v for k, v in progress["per_item"].items()}}


@bp.post("/rounds/<int:round_id>/extend")
@require(is_organiser)
def extend_round(round_id: int):
    rnd = load_round_for_organiser(round_id)
    form = DeadlineForm()
    if not form.validate_on_submit():
        flash(_("Give a valid deadline."), "error")
        return redirect(url_for("organiser.study", study_id=rnd.study_id))
    try:
        rounds.extend(rnd, form.deadline.data, by=current_user)
    except DomainError as exc:
        return fail(exc, "organiser.study", study_id=rnd.study_id)
    db.session.commit()
    flash(_("Round %(number)s now closes %(deadline)s UTC.", number=rnd.number, deadline=moment(rnd.deadline)),
          "success")
    return redirect(url_for("organiser.study", study_id=rnd.study_id))


@bp.post("/rounds/<int:round_id>/remind")
@require(is_organiser)
def remind(round_id: int):
    rnd = load_round_for_organiser(round_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if not rnd.is_open:
        return fail(rounds.RoundNotOpen(rnd.number), "organiser.study", study_id=rnd.study_id)
    sent = panel.remind(rnd, by=current_user, base_url=current_app.config["BASE_URL"])
    db.session.commit()
    flash(ngettext("Reminder sent to %(num)d panelist(s) who have not submitted round %(number)s.",
                   "Reminder sent to %(num)d panelist(s) who have not submitted round %(number)s.", sent,
                   number=rnd.number), "success")
    return redirect(url_for("organiser.study", study_id=rnd.study_id))


@bp.get("/rounds/<int:round_id>/close")
@require(is_organiser)
def confirm_close_round(round_id: int):
    """Closing cannot be undone: say what it does and who has not finished, then ask."""
    rnd = load_round_for_organiser(round_id)
    if not rnd.is_open:
        return redirect(url_for("organiser.review_round", round_id=rnd.id))
    return render_template("organiser/confirm_close.html", rnd=rnd, study=rnd.study, progress=rounds.progress(rnd))


@bp.post("/rounds/<int:round_id>/close")
@require(is_organiser)
def close_round(round_id: int):
    rnd = load_round_for_organiser(round_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        rounds.close(rnd, by=current_user)
    except DomainError as exc:
        return fail(exc, "organiser.study", study_id=rnd.study_id)
    db.session.commit()
    flash(_("Round %(number)s closed; results computed.", number=rnd.number), "success")
    return redirect(url_for("organiser.review_round", round_id=rnd.id))


@bp.get("/rounds/<int:round_id>/results.<fmt>")
@require(is_organiser)
def export_results(round_id: int, fmt: str):
    rnd = load_round_for_organiser(round_id)
    if rnd.results is None:
        abort(404)
    name = f"study-{rnd.study_id}-round-{rnd.number}-results"
    if fmt == "json":
        return download(exports.results_json(rnd), f"{name}.json", "application/json")
    if fmt == "csv":
        return download(exports.results_csv(rnd), f"{name}.csv", "text/csv")
    if fmt == "xlsx":
        return download(exports.results_xlsx(rnd), f"{name}.xlsx",
                         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    abort(404)
