"""The assessor's pages: organisations, assessments, answering, consensus, results, plan, benchmark, progress.

Thin routes: load through a permission-checking loader (delphi.assessor.access: 404 outside the organisation,
403 for members without the role), call a service, commit once, respond.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flask import (
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError
from wtforms import SelectChoice

from delphi.assessor import bp
from delphi.assessor.access import Access, load_assessment, load_organisation, require
from delphi.assessor.forms import ActionEditForm, ActionForm, AssessmentForm, BenchmarkForm, SettingsForm
from delphi.errors import DomainError, InvalidInput
from delphi.extensions import db
from delphi.models import FrameworkVersion
from delphi.models.assessment import AssessmentAnswer, AssessmentMemberLevel
from delphi.services import (
    assessment_actions,
    assessment_answers,
    assessment_benchmark,
    assessment_exports,
    assessment_progress,
    assessment_results,
    assessments,
    memberships,
)
from delphi.services.assessment_answers import (
    CONSENSUS_FIELDS,
    SOLO_FIELDS,
    TEAM_FIELDS,
    AnswerConflict,
    AnswerInvalid,
    PageInvalid,
)
from delphi.services.assessment_glossary import Glossary
from delphi.services.assessments import AssessmentFinalised

ANSWER_KEYS = ("current_level", "target_level", "target_date", "confidence", "evidence", "links", "not_applicable",
               "na_reason", "agreed_note", "my_level", "my_comment", "revision")


@bp.app_template_global()
def level_fmt(value, digits: int = 2) -> str:
    return assessment_results.fmt(value, digits)


@bp.app_template_global()
def share_fmt(value) -> str:
    return assessment_results.percent(value)


# --------------------------------------------------------------------------------------------------------------
# Organisations

@bp.get("/")
@login_required
def index():
    rows = []
    for org in memberships.organisations_of(current_user):
        oa = load_organisation(org.id)
        rows.append((oa, assessments.for_organisation(org)))
    return render_template("assessor/index.html", rows=rows)


@bp.get("/organisations/<int:org_id>")
@login_required
def organisation(org_id: int):
    oa = load_organisation(org_id)
    form = BenchmarkForm(opt_in=oa.organisation.benchmark_opt_in)
    return render_template("assessor/organisation.html", oa=oa, summaries=assessments.for_organisation(oa.organisation),
                           benchmark_form=form, members=assessments.members_of(oa.organisation))


@bp.post("/organisations/<int:org_id>/benchmark")
@login_required
def benchmark_opt_in(org_id: int):
    oa = load_organisation(org_id)
    require(oa.is_lead)
    form = BenchmarkForm()
    if not form.validate_on_submit():
        abort(400)
    assessments.set_benchmark_opt_in(oa.organisation, form.opt_in.data, by=current_user)
    db.session.commit()
    flash("Your organisation now contributes its latest finalised assessment to the anonymous benchmark."
          if form.opt_in.data else "Your organisation no longer contributes to the benchmark.", "success")
    return redirect(url_for("assessor.organisation", org_id=org_id))


def _version_choices() -> list[SelectChoice]:
    versions = assessments.assessable_versions()
    if not versions:  # a fresh installation offers the shipped 1+MG MLM
        from delphi.services import frameworks

        frameworks.ensure_shipped()
        db.session.commit()
        versions = assessments.assessable_versions()
    return [SelectChoice(v.id, f"{v.name} — {v.ref}") for v in versions]


def _team_choices(org) -> list[SelectChoice]:
    return [SelectChoice(m.user_id, f"{m.user.name} ({m.role.value})") for m in assessments.members_of(org)]


@bp.route("/organisations/<int:org_id>/assessments/new", methods=["GET", "POST"])
@login_required
def new_assessment(org_id: int):
    oa = load_organisation(org_id)
    require(oa.is_lead)
    form = AssessmentForm()
    form.version.choices = _version_choices()
    form.team.choices = _team_choices(oa.organisation)
    if not form.is_submitted():
        form.team.data = [current_user.id]
    if form.validate_on_submit():
        version = db.session.get(FrameworkVersion, form.version.data)
        try:
            assessment = assessments.create(
                oa.organisation, version, title=form.title.data, scope=form.scope.data or "",
                reference_date=form.reference_date.data, team_user_ids=form.team.data or [],
                team_mode=form.team_mode.data, by=current_user)
        except InvalidInput as error:
            form.title.errors = [*form.title.errors, error.message]
        else:
            db.session.commit()
            flash(f"Assessment '{assessment.title}' started. Answer the indicators domain by domain.", "success")
            return redirect(url_for("assessor.assessment", assessment_id=assessment.id))
    return render_template("assessor/new.html", oa=oa, form=form), 400 if form.errors else 200


# --------------------------------------------------------------------------------------------------------------
# One assessment

def _context(acc: Access, **extra: Any) -> dict[str, Any]:
    return {"acc": acc, "assessment": acc.assessment, "organisation": acc.assessment.organisation, **extra}


@bp.get("/assessments/<int:assessment_id>")
@login_required
def assessment(assessment_id: int):
    acc = load_assessment(assessment_id)
    tree = assessments.tree(acc.assessment.version)
    completion = assessments.completion(acc.assessment, tree)
    disagreements: dict[int, int] = {}
    if acc.assessment.team_mode and acc.is_lead:
        names = {m.user_id: m.user.name for m in acc.assessment.team}
        for ind_id, spread in assessment_results.spreads(assessment_answers.member_levels(acc.assessment),
                                                         names).items():
            if spread.differs and ind_id in tree.by_id:
                index = tree.by_id[ind_id].domain_index
                disagreements[index] = disagreements.get(index, 0) + 1
    return render_template("assessor/assessment.html", **_context(acc, tree=tree, completion=completion,
                                                                   disagreements=disagreements))


@bp.route("/assessments/<int:assessment_id>/settings", methods=["GET", "POST"])
@login_required
def settings(assessment_id: int):
    acc = load_assessment(assessment_id)
    require(acc.is_lead)
    a = acc.assessment
    if a.is_finalised:
        flash("This assessment is finalised; its settings can no longer change.", "warning")
        return redirect(url_for("assessor.assessment", assessment_id=a.id))
    form = SettingsForm(obj=a)
    del form.version
    form.team.choices = _team_choices(a.organisation)
    if not form.is_submitted():
        form.team.data = [m.user_id for m in a.team]
    if form.validate_on_submit():
        try:
            assessments.update_settings(a, title=form.title.data, scope=form.scope.data or "",
                                        reference_date=form.reference_date.data, team_user_ids=form.team.data or [],
                                        team_mode=form.team_mode.data, by=current_user)
        except InvalidInput as error:
            form.title.errors = [*form.title.errors, error.message]
        else:
            db.session.commit()
            flash("Settings saved.", "success")
            return redirect(url_for("assessor.assessment", assessment_id=a.id))
    return render_template("assessor/settings.html", **_context(acc, form=form)), 400 if form.errors else 200


@bp.post("/assessments/<int:assessment_id>/finalise")
@login_required
def finalise(assessment_id: int):
    acc = load_assessment(assessment_id)
    require(acc.is_lead)
    try:
        assessments.finalise(acc.assessment, by=current_user)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash("Assessment finalised: it is now read-only and counts for progress"
              + (" and the anonymous benchmark." if acc.assessment.organisation.benchmark_opt_in else "."), "success")
    return redirect(url_for("assessor.assessment", assessment_id=assessment_id))


@bp.post("/assessments/<int:assessment_id>/delete")
@login_required
def delete(assessment_id: int):
    acc = load_assessment(assessment_id)
    require(acc.is_lead)
    org_id = acc.assessment.organisation_id
    title = acc.assessment.title
    try:
        assessments.delete_assessment(acc.assessment, by=current_user)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("assessor.assessment", assessment_id=assessment_id))
    db.session.commit()
    flash(f"Assessment '{title}' deleted.", "success")
    return redirect(url_for("assessor.organisation", org_id=org_id))


# --------------------------------------------------------------------------------------------------------------
# Answering

def _values(answer: AssessmentAnswer | None, mine: AssessmentMemberLevel | None) -> dict[str, Any]:
    """What the answer fields show: the stored answer as form strings."""
    values: dict[str, Any] = {k: "" for k in ANSWER_KEYS}
    values.update(not_applicable=False, revision=0)
    if answer is not None:
        values.update(
            current_level=str(answer.current_level or ""), target_level=str(answer.target_level or ""),
            target_date=answer.target_date.isoformat() if answer.target_date else "",
            confidence=answer.confidence.value if answer.confidence else "", evidence=answer.evidence or "",
            links="\n".join(answer.links or []), not_applicable=answer.not_applicable,
            na_reason=answer.na_reason or "", agreed_note=answer.agreed_note or "", revision=answer.revision)
    if mine is not None:
        values.update(my_level=str(mine.level or ""), my_comment=mine.comment or "")
    return values


def _submitted(indicator_id: int) -> dict[str, Any]:
    """One indicator's fields from the page form (names a<id>-<field>)."""
    prefix = f"a{indicator_id}-"
    raw: dict[str, Any] = {}
    for key in ANSWER_KEYS:
        if key == "not_applicable":
            raw[key] = (prefix + key) in request.form
        elif (prefix + key) in request.form:
            raw[key] = request.form.get(prefix + key, "")
    return raw


def _parse_page(indicators, fields) -> tuple[list, dict[int, tuple[str | None, str]], dict[int, dict]]:
    items, problems, raws = [], {}, {}
    for ind in indicators:
        raw = _submitted(ind.id)
        raws[ind.id] = raw
        try:
            items.append((ind, assessment_answers.parse(raw)))
        except AnswerInvalid as error:
            problems[ind.id] = (error.field, error.message)
    return items, problems, raws


@bp.route("/assessments/<int:assessment_id>/domains/<int:index>", methods=["GET", "POST"])
@login_required
def answer(assessment_id: int, index: int):
    acc = load_assessment(assessment_id)
    a = acc.assessment
    tree = assessments.tree(a.version, levels=True, glossary=True)
    domain = tree.domain(index)
    if domain is None:
        abort(404)
    problems: dict[int, tuple[str | None, str]] = {}
    raws: dict[int, dict] = {}
    if request.method == "POST":
        require(acc.on_team or acc.is_lead)
        if a.is_finalised:
            flash(AssessmentFinalised(a).message, "error")
            return redirect(url_for("assessor.answer", assessment_id=a.id, index=index))
        fields = TEAM_FIELDS if a.team_mode else SOLO_FIELDS
        items, problems, raws = _parse_page(domain.indicators, fields)
        if not problems:
            try:
                saved = assessment_answers.save_page(a, items, fields=fields, by=current_user,
                                                     with_my_level=a.team_mode)
            except PageInvalid as error:
                db.session.rollback()
                problems = error.problems
            except IntegrityError:
                db.session.rollback()
                flash("The answers could not be stored (the assessment may just have been finalised). "
                      "Nothing was saved.", "error")
                return redirect(url_for("assessor.answer", assessment_id=a.id, index=index))
            else:
                db.session.commit()
                stored = sum(1 for r in saved if r.stored)
                flash(f"Saved domain {domain.code}: {stored} of {len(domain.indicators)} indicators have an answer "
                      "stored.", "success")
                if request.form.get("next") == "1" and tree.domain(index + 1):
                    return redirect(url_for("assessor.answer", assessment_id=a.id, index=index + 1))
                return redirect(url_for("assessor.answer", assessment_id=a.id, index=index))
    stored_answers = assessment_answers.answers(a)
    mine = assessment_answers.my_levels(a, current_user) if a.team_mode else {}
    values = {}
    for ind in domain.indicators:
        shown = _values(stored_answers.get(ind.id), mine.get(ind.id))
        if ind.id in raws:  # a refused save: show what the person typed, not the stored answer
            kept = {k: v for k, v in raws[ind.id].items() if k != "revision"}
            shown.update(kept)
            if problems.get(ind.id, (None,))[0] != "conflict":
                shown["revision"] = raws[ind.id].get("revision", shown["revision"])
        values[ind.id] = shown
    glossary = Glossary(tree.glossary)
    texts = {ind.id: (glossary.annotate(ind.statement), tuple(glossary.annotate(t) for t in ind.levels))
             for ind in domain.indicators}
    completion = assessments.completion(a, tree)
    status = 400 if problems else 200
    return render_template("assessor/answer.html", **_context(
        acc, tree=tree, domain=domain, values=values, problems=problems, texts=texts,
        terms=glossary.used_terms(), completion=completion, answers=stored_answers,
        can_edit=acc.can_answer)), status


def _json_error(status: int, error: str, message: str, field: str | None = None):
    return jsonify({"ok": False, "error": error, "message": message, "field": field}), status


@bp.post("/assessments/<int:assessment_id>/indicators/<int:indicator_id>/answer")
@login_required
def autosave(assessment_id: int, indicator_id: int):
    """Save one indicator's answer (JSON in, JSON out); the page's script calls it on every change."""
    acc = load_assessment(assessment_id)
    a = acc.assessment
    if not (acc.on_team or acc.is_lead):
        return _json_error(403, "forbidden", "You are not on this assessment's team, so you cannot answer.")
    tree = assessments.tree(a.version)
    indicator = tree.by_id.get(indicator_id)
    if indicator is None:
        return _json_error(404, "not_found", "This indicator is not part of the assessment's framework version.")
    payload = request.get_json(silent=True) if request.is_json else request.form.to_dict()
    if not isinstance(payload, dict):
        return _json_error(400, "invalid", "Send the answer as a JSON object of fields.")
    try:
        given = assessment_answers.parse(payload)
        result = assessment_answers.save(a, indicator, given, fields=TEAM_FIELDS if a.team_mode else SOLO_FIELDS,
                                         by=current_user)
        if a.team_mode:
            assessment_answers.save_my_level(a, indicator, given, by=current_user)
    except AnswerInvalid as error:
        db.session.rollback()
        return _json_error(400, "invalid", error.message, error.field)
    except AnswerConflict as error:
        db.session.rollback()
        return _json_error(409, "conflict", error.message)
    except AssessmentFinalised as error:
        db.session.rollback()
        return _json_error(409, "finalised", error.message)
    except IntegrityError:
        db.session.rollback()
        return _json_error(409, "refused", "The database refused this answer (the assessment may just have been "
                                           "finalised); nothing was saved. Reload the page.")
    db.session.commit()
    completion = assessments.completion(a, tree)
    d_answered, d_total = completion.per_domain[indicator.domain_index]
    return jsonify({
        "ok": True, "message": "Saved", "indicator_id": indicator.id, "revision": result.revision,
        "answered": result.answered, "saved_at": result.saved_at.isoformat() if result.saved_at else None,
        "progress": {"answered": completion.answered, "total": completion.total},
        "domain": {"index": indicator.domain_index, "answered": d_answered, "total": d_total}})


@bp.route("/assessments/<int:assessment_id>/domains/<int:index>/consensus", methods=["GET", "POST"])
@login_required
def consensus(assessment_id: int, index: int):
    """Team mode: the lead reads the spread of individual levels and records the agreed level with a note."""
    acc = load_assessment(assessment_id)
    require(acc.is_lead)
    a = acc.assessment
    if not a.team_mode:
        flash("This assessment is not in team mode: the team answers the levels directly.", "info")
        return redirect(url_for("assessor.answer", assessment_id=a.id, index=index))
    tree = assessments.tree(a.version, levels=True)
    domain = tree.domain(index)
    if domain is None:
        abort(404)
    problems: dict[int, tuple[str | None, str]] = {}
    raws: dict[int, dict] = {}
    if request.method == "POST":
        if a.is_finalised:
            flash(AssessmentFinalised(a).message, "error")
            return redirect(url_for("assessor.consensus", assessment_id=a.id, index=index))
        items, problems, raws = _parse_page(domain.indicators, CONSENSUS_FIELDS)
        if not problems:
            try:
                assessment_answers.save_page(a, items, fields=CONSENSUS_FIELDS, by=current_user)
            except PageInvalid as error:
                db.session.rollback()
                problems = error.problems
            else:
                db.session.commit()
                flash(f"Agreed levels of domain {domain.code} saved.", "success")
                return redirect(url_for("assessor.consensus", assessment_id=a.id, index=index))
    stored = assessment_answers.answers(a)
    names = {m.user_id: m.user.name for m in a.team}
    spread = assessment_results.spreads(
        assessment_answers.member_levels(a, [i.id for i in domain.indicators]), names)
    values = {}
    for ind in domain.indicators:
        shown = _values(stored.get(ind.id), None)
        if ind.id in raws:
            shown.update({k: v for k, v in raws[ind.id].items() if k != "revision"})
            if problems.get(ind.id, (None,))[0] != "conflict":
                shown["revision"] = raws[ind.id].get("revision", shown["revision"])
        values[ind.id] = shown
    completion = assessments.completion(a, tree)
    return render_template("assessor/consensus.html", **_context(
        acc, tree=tree, domain=domain, values=values, problems=problems, spread=spread, completion=completion,
        team_size=len(a.team))), 400 if problems else 200


# --------------------------------------------------------------------------------------------------------------
# Results, plan, benchmark, progress

@bp.get("/assessments/<int:assessment_id>/results")
@login_required
def results(assessment_id: int):
    acc = load_assessment(assessment_id)
    tree = assessments.tree(acc.assessment.version)
    answers = assessment_answers.answers(acc.assessment)
    return render_template("assessor/results.html", **_context(
        acc, tree=tree, results=assessment_results.compute(tree, answers), methods=assessment_results.METHODS))


def _indicator_choices(tree, answers) -> list[SelectChoice]:
    choices = []
    for ind in tree.indicators:
        ans = answers.get(ind.id)
        gap = ""
        if ans is not None and ans.current_level is not None and ans.target_level is not None:
            gap = f" — level {ans.current_level} → target {ans.target_level}"
        statement = f"{ind.statement[:70]}{'…' if len(ind.statement) > 70 else ''}"
        choices.append(SelectChoice(ind.id, f"{ind.code} {statement}{gap}"))
    return choices


@bp.route("/assessments/<int:assessment_id>/actions", methods=["GET", "POST"])
@login_required
def actions(assessment_id: int):
    acc = load_assessment(assessment_id)
    a = acc.assessment
    tree = assessments.tree(a.version)
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
                flash("Action added to the plan.", "success")
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
    tree = assessments.tree(acc.assessment.version)
    form = ActionEditForm(prefix=f"act{action.id}")
    form.indicator.choices = _indicator_choices(tree, {})
    if not form.validate_on_submit():
        flash("The action was not saved: " + "; ".join(f"{form[k].label.text}: {' '.join(v)}"
                                                      for k, v in form.errors.items()), "error")
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
        flash("Action saved.", "success")
    return redirect(url_for("assessor.actions", assessment_id=assessment_id) + f"#action-{action_id}")


@bp.post("/assessments/<int:assessment_id>/actions/<int:action_id>/delete")
@login_required
def delete_action(assessment_id: int, action_id: int):
    acc = load_assessment(assessment_id)
    action = _load_action(acc, action_id)
    require(acc.can_plan)
    assessment_actions.remove(action, by=current_user)
    db.session.commit()
    flash("Action removed from the plan.", "success")
    return redirect(url_for("assessor.actions", assessment_id=assessment_id))


@bp.get("/assessments/<int:assessment_id>/benchmark")
@login_required
def benchmark(assessment_id: int):
    acc = load_assessment(assessment_id)
    tree = assessments.tree(acc.assessment.version)
    answers = assessment_answers.answers(acc.assessment)
    bench = assessment_benchmark.for_assessment(acc.assessment, tree, answers)
    return render_template("assessor/benchmark.html", **_context(
        acc, tree=tree, bench=bench, method=assessment_benchmark.METHOD,
        minimum=assessment_benchmark.MIN_ORGANISATIONS))


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
                           method=assessment_progress.METHOD)


# --------------------------------------------------------------------------------------------------------------
# Exports

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _download(body: bytes | str, mimetype: str, name: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/assessments/<int:assessment_id>/export.<fmt>")
@login_required
def export(assessment_id: int, fmt: str):
    acc = load_assessment(assessment_id)
    if fmt not in ("json", "xlsx", "pdf"):
        abort(404)
    report = assessment_exports.build(acc.assessment)
    if fmt == "json":
        body = json.dumps(assessment_exports.to_json(report), indent=2, ensure_ascii=False)
        return _download(body, "application/json", assessment_exports.filename(report, "json"))
    if fmt == "xlsx":
        return _download(assessment_exports.to_xlsx(report), XLSX_MIME, assessment_exports.filename(report, "xlsx"))
    html = render_template("assessor/report.html", report=report, methods=assessment_results.METHODS,
                           benchmark_method=assessment_benchmark.METHOD)
    static = Path(current_app.static_folder or "")
    pdf = assessment_exports.to_pdf(html, [str(static / "assessment.css")])
    return _download(pdf, "application/pdf", assessment_exports.filename(report, "pdf"))
