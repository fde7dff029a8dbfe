"""What an assessment gives back: results, the action plan, the benchmark, progress, and the exports."""
from __future__ import annotations

import json

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms import SelectChoice

from delphi import preparing
from delphi.assessor.access import Access, load_assessment, load_organisation, require
from delphi.assessor.access import page_context as _context
from delphi.assessor.blueprint import bp
from delphi.assessor.forms import ActionEditForm, ActionForm
from delphi.downloads import attachment
from delphi.errors import InvalidInput
from delphi.extensions import db
from delphi.services.assessments import actions as assessment_actions
from delphi.services.assessments import answers as assessment_answers
from delphi.services.assessments import benchmark as assessment_benchmark
from delphi.services.assessments import exports as assessment_exports
from delphi.services.assessments import language as assessment_language
from delphi.services.assessments import lifecycle
from delphi.services.assessments import progress as assessment_progress
from delphi.services.assessments import results as assessment_results
from delphi.services.frameworks.glossary import Glossary

# --------------------------------------------------------------------------------------------------------------
# Results, plan, benchmark, progress

@bp.get("/assessments/<int:assessment_id>/results")
@login_required
def results(assessment_id: int):
    acc = load_assessment(assessment_id)
    tree = lifecycle.tree(acc.assessment.version, glossary=True, language=acc.assessment.language)
    answers = assessment_answers.answers(acc.assessment)
    terms = Glossary(tree.glossary)
    return render_template("assessor/results.html", **_context(
        acc, tree=tree, results=assessment_results.compute(tree, answers), methods=assessment_results.METHODS,
        gloss=terms.annotate, terms=terms))


def _indicator_choices(tree, answers) -> list[SelectChoice]:
    choices = []
    for ind in tree.indicators:
        ans = answers.get(ind.id)
        gap = ""
        if ans is not None and ans.current_level is not None and ans.target_level is not None:
            gap = " — " + _("level %(level)s → target %(target)s", level=ans.current_level,
                             target=ans.target_level)
        statement = f"{ind.statement[:70]}{'…' if len(ind.statement) > 70 else ''}"
        choices.append(SelectChoice(ind.id, f"{ind.code} {statement}{gap}"))
    return choices


@bp.route("/assessments/<int:assessment_id>/actions", methods=["GET", "POST"])
@login_required
def actions(assessment_id: int):
    acc = load_assessment(assessment_id)
    a = acc.assessment
    tree = lifecycle.tree(a.version, language=a.language)
    answers = assessment_answers.answers(a)
    choices = _indicator_choices(tree, answers)
    form = ActionForm()
    form.indicator.choices = choices
    if request.method == "POST":
        require(acc.can_plan)
        if form.validate_on_submit():
            try:
                assessment_actions.add(a, tree, indicator_id=form.indicator.data, description=form.description.data,
                                       owner=form.owner.data or "", due_date=form.due_date.data,
                                       status=form.status.data, by=current_user)
            except InvalidInput as error:
                form.description.errors = [*form.description.errors, error.message]
            else:
                db.session.commit()
                flash(_("Action added to the plan."), "success")
                return redirect(url_for("assessor.actions", assessment_id=a.id))
    elif request.args.get("indicator", type=int) in tree.by_id:
        form.indicator.data = request.args.get("indicator", type=int)
    plan = assessment_actions.plan(a, tree, answers)
    edit_forms = {}
    for view in plan:
        f = ActionEditForm(prefix=f"act{view.action.id}", formdata=None, obj=None,
                           indicator=view.action.indicator_id, description=view.action.description,
                           owner=view.action.owner, due_date=view.action.due_date, status=view.action.status.value)
        f.indicator.choices = choices
        edit_forms[view.action.id] = f
    results_ = assessment_results.compute(tree, answers)
    planned = {v.indicator.id for v in plan}
    unplanned_gaps = [g for g in results_.gaps if g.node.id not in planned]
    return render_template("assessor/actions.html", **_context(
        acc, tree=tree, plan=plan, form=form, edit_forms=edit_forms, unplanned_gaps=unplanned_gaps)), \
        400 if form.errors else 200


def _load_action(acc: Access, action_id: int):
    action = assessment_actions.get(acc.assessment, action_id)
    if action is None:
        abort(404)
    return action


@bp.post("/assessments/<int:assessment_id>/actions/<int:action_id>")
@login_required
def edit_action(assessment_id: int, action_id: int):
    acc = load_assessment(assessment_id)
    action = _load_action(acc, action_id)
    require(acc.can_plan)
    tree = lifecycle.tree(acc.assessment.version)
    form = ActionEditForm(prefix=f"act{action.id}")
    form.indicator.choices = _indicator_choices(tree, {})
    if not form.validate_on_submit():
        problems = "; ".join(f"{form[k].label.text}: {' '.join(map(str, v))}" for k, v in form.errors.items())
        flash(_("The action was not saved: %(problems)s", problems=problems), "error")
        return redirect(url_for("assessor.actions", assessment_id=assessment_id))
    try:
        assessment_actions.change(action, tree, indicator_id=form.indicator.data, description=form.description.data,
                                  owner=form.owner.data or "", due_date=form.due_date.data, status=form.status.data,
                                  by=current_user)
    except InvalidInput as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("Action saved."), "success")
    return redirect(url_for("assessor.actions", assessment_id=assessment_id) + f"#action-{action_id}")


@bp.post("/assessments/<int:assessment_id>/actions/<int:action_id>/delete")
@login_required
def delete_action(assessment_id: int, action_id: int):
    acc = load_assessment(assessment_id)
    action = _load_action(acc, action_id)
    require(acc.can_plan)
    assessment_actions.remove(action, by=current_user)
    db.session.commit()
    flash(_("Action removed from the plan."), "success")
    return redirect(url_for("assessor.actions", assessment_id=assessment_id))


@bp.get("/assessments/<int:assessment_id>/benchmark")
@login_required
def benchmark(assessment_id: int):
    acc = load_assessment(assessment_id)
    tree = lifecycle.tree(acc.assessment.version, language=acc.assessment.language)
    answers = assessment_answers.answers(acc.assessment)
    bench = assessment_benchmark.for_assessment(acc.assessment, tree, answers)
    return render_template("assessor/benchmark.html", **_context(
        acc, tree=tree, bench=bench))


@bp.get("/organisations/<int:org_id>/progress")
@login_required
def progress(org_id: int):
    oa = load_organisation(org_id)
    include = request.args.get("include") == "all"
    candidates = assessment_progress.candidates(oa.organisation, include_in_progress=include)
    chosen = set(request.args.getlist("a", type=int))
    selected = [c for c in candidates if c.id in chosen] if chosen else candidates
    report = assessment_progress.compare(selected)
    return render_template("assessor/progress.html", oa=oa, organisation=oa.organisation, candidates=candidates,
                           selected={a.id for a in selected}, include=include, progress=report,
                           method=assessment_progress.METHOD, flang=assessment_language.attribute(report.language))


# --------------------------------------------------------------------------------------------------------------
# Exports

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _download(body: bytes | str, mimetype: str, name: str) -> Response:
    return attachment(body, name, mimetype)


@bp.get("/assessments/<int:assessment_id>/export.<fmt>")
@login_required
def export(assessment_id: int, fmt: str):
    acc = load_assessment(assessment_id)
    if fmt not in ("json", "xlsx", "pdf"):
        abort(404)
    if fmt == "pdf":  # built by a worker and kept (services/operations/outputs.py)
        return preparing.respond("assessment-pdf", acc.assessment.id,
                                 assessment_exports.filename_of(acc.assessment, "pdf"),
                                 back_url=url_for("assessor.results", assessment_id=acc.assessment.id),
                                 back_label=_("Back to the results"))
    report = assessment_exports.build(acc.assessment)
    if fmt == "json":
        body = json.dumps(assessment_exports.to_json(report), indent=2, ensure_ascii=False)
        return _download(body, "application/json", assessment_exports.filename(report, "json"))
    return _download(assessment_exports.to_xlsx(report), XLSX_MIME, assessment_exports.filename(report, "xlsx"))
