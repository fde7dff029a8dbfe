"""The assessor's organisation and assessment pages: list, start, settings, finalise, delete, benchmark opt-in.

Thin routes: load through a permission-checking loader (delphi.assessor.access: 404 outside the organisation,
403 for members without the role), call a service, commit once, respond.
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import SelectChoice

from delphi.assessor.access import load_assessment, load_organisation, require
from delphi.assessor.access import page_context as _context
from delphi.assessor.blueprint import bp
from delphi.assessor.forms import AssessmentForm, BenchmarkForm, LanguageForm, SettingsForm
from delphi.errors import DomainError, InvalidInput
from delphi.extensions import db
from delphi.models import FrameworkVersion
from delphi.services.accounts import memberships
from delphi.services.assessments import answers as assessment_answers
from delphi.services.assessments import benchmark as assessment_benchmark
from delphi.services.assessments import language as assessment_language
from delphi.services.assessments import lifecycle
from delphi.services.assessments import results as assessment_results

# --------------------------------------------------------------------------------------------------------------
# Organisations

@bp.get("/")
@login_required
def index():
    rows = []
    for org in memberships.organisations_of(current_user):
        oa = load_organisation(org.id)
        rows.append((oa, lifecycle.for_organisation(org)))
    return render_template("assessor/index.html", rows=rows)


@bp.get("/organisations/<int:org_id>")
@login_required
def organisation(org_id: int):
    oa = load_organisation(org_id)
    form = BenchmarkForm(opt_in=oa.organisation.benchmark_opt_in)
    return render_template("assessor/organisation.html", oa=oa, summaries=lifecycle.for_organisation(oa.organisation),
                           benchmark_form=form, members=lifecycle.members_of(oa.organisation),
                           benchmark_minimum=assessment_benchmark.min_organisations())


@bp.post("/organisations/<int:org_id>/benchmark")
@login_required
def benchmark_opt_in(org_id: int):
    oa = load_organisation(org_id)
    require(oa.is_lead)
    form = BenchmarkForm()
    if not form.validate_on_submit():
        abort(400)
    lifecycle.set_benchmark_opt_in(oa.organisation, form.opt_in.data, by=current_user)
    db.session.commit()
    flash(_("Your organisation now contributes its latest finalised assessment to the anonymous benchmark, from "
            "its next published edition.")
          if form.opt_in.data else _("Your organisation no longer contributes to the benchmark."), "success")
    return redirect(url_for("assessor.organisation", org_id=org_id))


def version_choices() -> list[SelectChoice]:
    versions = lifecycle.assessable_versions()
    if not versions:  # a fresh installation offers the shipped 1+MG MLM
        from delphi.services.frameworks import versions as frameworks

        frameworks.ensure_shipped()
        db.session.commit()
        versions = lifecycle.assessable_versions()
    return [SelectChoice(v.id, f"{v.name} — {v.ref}") for v in versions]


# A member's role as the team choices show it (the stored value is the enum's).
ROLE_NAMES = {"assessor": _l("assessor"), "lead": _l("lead")}


def _offer_languages(form, versions: list[FrameworkVersion]) -> None:
    """The language select, only when there is a choice. On the new-assessment form the version is chosen beside
    it, so it offers the languages of every offered version and the service checks the pair on submit (naming the
    version's languages): a person sees every language at once, rather than a list that changes under them."""
    offered = assessment_language.choices(versions)
    if len(offered) <= 1:
        del form.language
    else:
        form.language.choices = [SelectChoice(tag, name) for tag, name in offered]


def _fits(version: FrameworkVersion, language: str) -> bool:
    return not language or language in assessment_language.offered(version)


def _team_choices(org) -> list[SelectChoice]:
    return [SelectChoice(m.user_id, _("%(name)s (%(role)s)", name=m.user.name,
                                      role=ROLE_NAMES.get(m.role.value, m.role.value)))
            for m in lifecycle.members_of(org)]


@bp.route("/organisations/<int:org_id>/assessments/new", methods=["GET", "POST"])
@login_required
def new_assessment(org_id: int):
    oa = load_organisation(org_id)
    require(oa.is_lead)
    form = AssessmentForm()
    form.version.choices = version_choices()
    versions = lifecycle.assessable_versions()
    _offer_languages(form, versions)
    form.team.choices = _team_choices(oa.organisation)
    if not form.is_submitted():
        form.team.data = [current_user.id]
        if form.language is not None:  # the creator's interface language when a version has it, else the source
            tags = [tag for tag in map(assessment_language.default, versions) if tag]
            form.language.data = tags[0] if tags else versions[0].source_language
    if form.validate_on_submit():
        version = db.session.get(FrameworkVersion, form.version.data)
        language = form.language.data if form.language is not None else ""
        try:
            assessment = lifecycle.create(
                oa.organisation, version, title=form.title.data, scope=form.scope.data or "",
                reference_date=form.reference_date.data, team_user_ids=form.team.data or [],
                team_mode=form.team_mode.data, language=language, by=current_user)
        except InvalidInput as error:
            field = form.language if form.language is not None and not _fits(version, language) else form.title
            field.errors = [*field.errors, error.message]
        else:
            db.session.commit()
            flash(_("Assessment '%(title)s' started. Answer the indicators domain by domain.",
                    title=assessment.title), "success")
            return redirect(url_for("assessor.assessment", assessment_id=assessment.id))
    return render_template("assessor/new.html", oa=oa, form=form), 400 if form.errors else 200


# --------------------------------------------------------------------------------------------------------------
# One assessment

@bp.get("/assessments/<int:assessment_id>")
@login_required
def assessment(assessment_id: int):
    acc = load_assessment(assessment_id)
    tree = lifecycle.tree(acc.assessment.version, language=acc.assessment.language)
    completion = lifecycle.completion(acc.assessment, tree)
    disagreements: dict[int, int] = {}
    if acc.assessment.team_mode and acc.is_lead:
        names = {m.user_id: m.user.name for m in acc.assessment.team}
        for ind_id, spread in assessment_results.spreads(assessment_answers.member_levels(acc.assessment),
                                                         names).items():
            if spread.differs and ind_id in tree.by_id:
                index = tree.by_id[ind_id].domain_index
                disagreements[index] = disagreements.get(index, 0) + 1
    my_completion = (lifecycle.member_completion(acc.assessment, tree, current_user)
                     if acc.assessment.team_mode and acc.on_team else None)
    languages = len(assessment_language.offered(acc.assessment.version)) if acc.is_lead else 0
    return render_template("assessor/assessment.html", **_context(acc, tree=tree, completion=completion,
                                                                   my_completion=my_completion,
                                                                   disagreements=disagreements,
                                                                   can_change_language=languages > 1))


@bp.route("/assessments/<int:assessment_id>/settings", methods=["GET", "POST"])
@login_required
def settings(assessment_id: int):
    acc = load_assessment(assessment_id)
    require(acc.is_lead)
    a = acc.assessment
    if a.is_finalised:
        return _language_settings(acc)
    form = SettingsForm(obj=a)
    del form.version
    _offer_languages(form, [a.version])
    form.team.choices = _team_choices(a.organisation)
    if not form.is_submitted():
        form.team.data = [m.user_id for m in a.team]
        if form.language is not None:
            form.language.data = assessment_language.effective(a.version, a.language)
    if form.validate_on_submit():
        try:
            lifecycle.update_settings(a, title=form.title.data, scope=form.scope.data or "",
                                        reference_date=form.reference_date.data, team_user_ids=form.team.data or [],
                                        team_mode=form.team_mode.data,
                                        language=form.language.data if form.language is not None else None,
                                        by=current_user)
        except InvalidInput as error:
            field = (form.language if form.language is not None and not _fits(a.version, form.language.data)
                     else form.title)
            field.errors = [*field.errors, error.message]
        else:
            db.session.commit()
            flash(_("Settings saved."), "success")
            return redirect(url_for("assessor.assessment", assessment_id=a.id))
    return render_template("assessor/settings.html", **_context(acc, form=form)), 400 if form.errors else 200


def _language_settings(acc):
    """A finalised assessment keeps one setting: the language of its framework texts (presentation only)."""
    a = acc.assessment
    form = LanguageForm()
    _offer_languages(form, [a.version])
    if form.language is None:
        flash(_("This assessment is finalised; its settings can no longer change."), "warning")
        return redirect(url_for("assessor.assessment", assessment_id=a.id))
    if not form.is_submitted():
        form.language.data = assessment_language.effective(a.version, a.language)
    if form.validate_on_submit():
        try:
            assessment_language.change(a, form.language.data, by=current_user)
        except InvalidInput as error:
            form.language.errors = [*form.language.errors, error.message]
        else:
            db.session.commit()
            flash(_("Framework texts are now shown in %(language)s.",
                    language=assessment_language.name(assessment_language.effective(a.version, a.language))),
                  "success")
            return redirect(url_for("assessor.assessment", assessment_id=a.id))
    return (render_template("assessor/settings.html", **_context(acc, form=form, language_only=True)),
            400 if form.errors else 200)


@bp.get("/assessments/<int:assessment_id>/<any(finalise, delete):action>")
@login_required
def confirm(assessment_id: int, action: str):
    """Finalising and deleting cannot be undone: say what follows, then ask."""
    acc = load_assessment(assessment_id)
    require(acc.is_lead)
    if acc.assessment.is_finalised and action == "finalise":
        return redirect(url_for("assessor.assessment", assessment_id=assessment_id))
    tree = lifecycle.tree(acc.assessment.version)
    return render_template("assessor/confirm.html", **_context(acc, action=action,
                                                               completion=lifecycle.completion(acc.assessment, tree)))


@bp.post("/assessments/<int:assessment_id>/finalise")
@login_required
def finalise(assessment_id: int):
    acc = load_assessment(assessment_id)
    require(acc.is_lead)
    try:
        lifecycle.finalise(acc.assessment, by=current_user)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("Assessment finalised: it is now read-only and counts for progress and the anonymous benchmark.")
              if acc.assessment.organisation.benchmark_opt_in
              else _("Assessment finalised: it is now read-only and counts for progress."), "success")
    return redirect(url_for("assessor.assessment", assessment_id=assessment_id))


@bp.post("/assessments/<int:assessment_id>/delete")
@login_required
def delete(assessment_id: int):
    acc = load_assessment(assessment_id)
    require(acc.is_lead)
    org_id = acc.assessment.organisation_id
    title = acc.assessment.title
    try:
        lifecycle.delete_assessment(acc.assessment, by=current_user)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("assessor.assessment", assessment_id=assessment_id))
    db.session.commit()
    flash(_("Assessment '%(title)s' deleted.", title=title), "success")
    return redirect(url_for("assessor.organisation", org_id=org_id))
