"""The organiser's study outcome pages: item flow, release of the validated framework, report, data package."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from delphi import preparing
from delphi.downloads import slugged
from delphi.errors import DomainError
from delphi.extensions import db
from delphi.forms import EmptyForm
from delphi.organiser.blueprint import bp
from delphi.permissions import is_organiser, load_study_for_organiser, require
from delphi.services.release import publication, report


@bp.get("/studies/<int:study_id>/flow")
@require(is_organiser)
def item_flow(study_id: int):
    st = load_study_for_organiser(study_id)
    data = report.build(st)
    return render_template("organiser/flow.html", study=st, flow=data["flow"])


@bp.route("/studies/<int:study_id>/release", methods=["GET", "POST"])
@require(is_organiser)
def release_study(study_id: int):
    st = load_study_for_organiser(study_id)
    if st.released_version_id is None and st.status.value == "finished":
        flash(_("This study ended without a release."), "info")
        return redirect(url_for("organiser.study", study_id=st.id))
    if st.released_version_id is not None:
        flash(_("This study was released as %(version)s.", version=st.released_version.ref), "info")
        return redirect(url_for("public.framework_version", slug=st.released_version.framework.slug,
                                label=st.released_version.label))
    problem = None
    try:
        publication.check_releasable(st)
    except DomainError as exc:
        problem = exc.message
    if request.method == "POST":
        if not EmptyForm().validate_on_submit():
            abort(400)
        try:
            version = publication.publish(st, request.form.get("label", ""), request.form.get("notes", ""),
                                      by=current_user)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return redirect(url_for("organiser.release_study", study_id=st.id))
        db.session.commit()
        flash(_("Released %(version)s: it is now immutable and citable.", version=version.ref), "success")
        return redirect(url_for("public.framework_version", slug=version.framework.slug, label=version.label))
    final, changes = publication.preview(st)
    return render_template("organiser/release.html", study=st, final=final, changes=changes, problem=problem,
                           suggested=publication.suggest_label(st), merges=publication.merges(st))


@bp.post("/studies/<int:study_id>/end")
@require(is_organiser)
def end_study(study_id: int):
    """End the study without a release (the release page offers it, with the reason asked for)."""
    st = load_study_for_organiser(study_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        publication.end_without_release(st, request.form.get("reason", ""), by=current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("organiser.release_study", study_id=st.id))
    db.session.commit()
    flash(_("The study has ended without a release; its draft stays a draft."), "success")
    return redirect(url_for("organiser.study", study_id=st.id))


@bp.get("/studies/<int:study_id>/report")
@require(is_organiser)
def study_report(study_id: int):
    st = load_study_for_organiser(study_id)
    return render_template("reports/delphi.html", **report.build(st), standalone=False)


@bp.get("/studies/<int:study_id>/report.pdf")
@require(is_organiser)
def study_report_pdf(study_id: int):
    st = load_study_for_organiser(study_id)
    return preparing.respond("study-report-pdf", st.id, f"delphi-report-study-{st.id}-{slugged(st.title)}.pdf",
                             back_url=url_for("organiser.study_report", study_id=st.id),
                             back_label=_("Back to the report"))


@bp.get("/studies/<int:study_id>/data-package.zip")
@require(is_organiser)
def study_data_package(study_id: int):
    st = load_study_for_organiser(study_id)
    return preparing.respond("study-data-package", st.id, f"delphi-study-{st.id}-data-{slugged(st.title)}.zip",
                             back_url=url_for("organiser.study_report", study_id=st.id),
                             back_label=_("Back to the report"))
