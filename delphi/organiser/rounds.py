"""The organiser's round pages: open, live progress, extend, remind, close, the consensus dashboard and the
results exports."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from delphi.errors import DomainError
from delphi.extensions import db
from delphi.forms import EmptyForm
from delphi.models import (
    ItemDecision,
)
from delphi.organiser.blueprint import bp
from delphi.organiser.forms import (
    DeadlineForm,
    DecisionForm,
    OpenRoundForm,
)
from delphi.organiser.responses import download, fail
from delphi.permissions import (
    is_organiser,
    load_round_for_organiser,
    load_study_for_organiser,
    require,
)
from delphi.services.studies import exports, panel, protocols, results, rounds


@bp.post("/studies/<int:study_id>/rounds")
@require(is_organiser)
def open_round(study_id: int):
    st = load_study_for_organiser(study_id)
    form = OpenRoundForm()
    if not form.validate_on_submit():
        flash("Give a valid deadline (date and time, UTC).", "error")
        return redirect(url_for("organiser.study", study_id=st.id))
    try:
        rnd = rounds.open_round(st, form.deadline.data, by=current_user)
    except DomainError as exc:
        return fail(exc, "organiser.study", study_id=st.id)
    db.session.commit()
    flash(f"Round {rnd.number} is open with {len(rnd.round_items)} items until "
          f"{rnd.deadline:%d %b %Y %H:%M} UTC.", "success")
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
        flash("Give a valid deadline.", "error")
        return redirect(url_for("organiser.study", study_id=rnd.study_id))
    try:
        rounds.extend(rnd, form.deadline.data, by=current_user)
    except DomainError as exc:
        return fail(exc, "organiser.study", study_id=rnd.study_id)
    db.session.commit()
    flash(f"Round {rnd.number} now closes {rnd.deadline:%d %b %Y %H:%M} UTC.", "success")
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
    flash(f"Reminder sent to {sent} panelist(s) who have not submitted round {rnd.number}.", "success")
    return redirect(url_for("organiser.study", study_id=rnd.study_id))


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
    flash(f"Round {rnd.number} closed; results computed.", "success")
    return redirect(url_for("organiser.review_round", round_id=rnd.id))


SORTS = {
    "position": lambda r: r["position"],
    "agreement": lambda r: (r["agree"] is None, r["agree"] if r["agree"] is not None else 0),
    "iqr": lambda r: (r["iqr"] is None, -(r["iqr"] or 0)),
    "change": lambda r: (r["change"] is None, -(r["change"] or 0)),
}


@bp.get("/rounds/<int:round_id>")
@require(is_organiser)
def review_round(round_id: int):
    """The consensus dashboard: one row per item, with filters, sorting, a group view and panel figures."""
    rnd = load_round_for_organiser(round_id)
    if rnd.is_open:
        return redirect(url_for("organiser.study", study_id=rnd.study_id))
    questions = rnd.study.protocol["questions"]
    first = questions[0]["key"]
    rows = results.item_rows(rnd)
    stability = results.stability_rows(rnd)
    outcomes = results.outcomes(rnd)
    made = {d.item_id: d for d in db.session.scalars(select(ItemDecision).where(ItemDecision.round_id == rnd.id))}
    table = []
    for ri in rnd.round_items:
        stats_row = rows.get(ri.item.code, {}).get(first) or {}
        stab = stability.get(ri.item.code, {}).get(first)
        kruskal = stats_row.get("kruskal_p")
        table.append({"ri": ri, "item": ri.item, "position": ri.position, "outcome": outcomes.get(ri.item.code),
                      "agree": stats_row.get("agree_pct"), "iqr": stats_row.get("iqr"),
                      "change": stab.get("pct_change") if stab else None,
                      "unstable": bool(stab) and stab.get("stable") is False,
                      "groups_differ": kruskal is not None and kruskal == kruskal and kruskal < 0.05,
                      "decision": made.get(ri.item_id)})
    outcome_filter = request.args.get("outcome", "")
    domain_filter = request.args.get("domain", "")
    unstable_only = request.args.get("unstable") == "1"
    sort = request.args.get("sort", "position")
    shown = [r for r in table if (not outcome_filter or r["outcome"] == outcome_filter)
             and (not domain_filter or r["item"].domain_code == domain_filter)
             and (not unstable_only or r["unstable"])]
    shown.sort(key=SORTS.get(sort, SORTS["position"]))
    groups = _group_view(rnd, first) if request.args.get("view") == "groups" else None
    panel_rows = {q["key"]: results.panel_row(rnd, q["key"]) for q in questions}
    return render_template("organiser/round.html", rnd=rnd, study=rnd.study, rows=rows, stability=stability,
                           outcomes=outcomes, made=made, questions=questions, panel_rows=panel_rows,
                           form=DecisionForm(), can_decide=rnd.study.current_round.id == rnd.id, table=shown,
                           total=len(table), all_outcomes=sorted({r["outcome"] for r in table if r["outcome"]}),
                           domains=list(dict.fromkeys(r["item"].domain_code for r in table)),
                           filters={"outcome": outcome_filter, "domain": domain_filter, "unstable": unstable_only,
                                    "sort": sort}, groups=groups, progress=rounds.progress(rnd),
                           respondents=results.respondents(rnd),
                           respondent_text=protocols.RESPONDENTS[protocols.respondents(rnd.study.protocol)])


def _group_view(rnd, question: str) -> dict:
    """Per item, each stakeholder group's % agreement and median side by side."""
    analysis = ((rnd.results or {}).get("questions") or {}).get(question) or {}
    by_item: dict[str, dict[str, dict]] = {}
    names: list[str] = []
    for row in analysis.get("groups") or []:
        if row["round"] != rnd.number:
            continue
        by_item.setdefault(str(row["item"]), {})[str(row["group"])] = row
        if str(row["group"]) not in names:
            names.append(str(row["group"]))
    return {"names": sorted(names), "by_item": by_item}


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
