"""Platform administration: organisers, organisations and their assessors."""
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from delphi.admin.forms import AssessorForm, OrganisationForm, PersonForm
from delphi.errors import InvalidInput
from delphi.extensions import db
from delphi.models import Organisation, OrganisationRole, PlatformRole, User, UserRole
from delphi.permissions import is_admin, require
from delphi.services.accounts import organisations, people

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/")
@require(is_admin)
def index():
    from delphi.i18n import locale_sorted

    # Sorted as readers expect, accents folded ('Česko' with C), not by the database's byte order.
    organisers = locale_sorted(db.session.scalars(
        select(User).join(UserRole, UserRole.user_id == User.id).where(UserRole.role == PlatformRole.ORGANISER)).all(),
        key=lambda u: u.name)
    orgs = locale_sorted(db.session.scalars(select(Organisation)).all(), key=lambda o: o.name)
    return render_template("admin/index.html", organisers=organisers, organisations=orgs,
                           person_form=PersonForm(), org_form=OrganisationForm())


@bp.post("/organisers")
@require(is_admin)
def create_organiser():
    form = PersonForm()
    if form.validate_on_submit():
        try:
            user = people.invite_organiser(form.email.data, form.name.data, by=current_user)
        except InvalidInput as exc:
            db.session.rollback()
            flash(exc.message, "error")
        else:
            db.session.commit()
            flash(_("%(name)s is now an organiser; an invitation was e-mailed to %(email)s.", name=user.name,
                    email=user.email), "success")
    else:
        flash(_("Give both an e-mail and a name."), "error")
    return redirect(url_for("admin.index"))


@bp.post("/organisations")
@require(is_admin)
def create_organisation():
    form = OrganisationForm()
    if form.validate_on_submit():
        try:
            org = organisations.create(form.name.data, form.country.data, form.region.data, by=current_user)
        except InvalidInput as exc:
            db.session.rollback()
            flash(exc.message, "error")
        else:
            db.session.commit()
            flash(_("Organisation %(name)s created.", name=org.name), "success")
            return redirect(url_for("admin.organisation", organisation_id=org.id))
    else:
        flash(_("Give the organisation a name."), "error")
    return redirect(url_for("admin.index"))


@bp.route("/organisations/<int:organisation_id>", methods=["GET", "POST"])
@require(is_admin)
def organisation(organisation_id: int):
    org = db.get_or_404(Organisation, organisation_id)
    form = AssessorForm()
    if form.validate_on_submit():
        try:
            user = people.invite_assessor(org, form.email.data, form.name.data,
                                          OrganisationRole(form.role.data), by=current_user)
        except InvalidInput as exc:
            db.session.rollback()
            flash(exc.message, "error")
        else:
            db.session.commit()
            flash(_("%(name)s added to %(organisation)s.", name=user.name, organisation=org.name), "success")
            return redirect(url_for("admin.organisation", organisation_id=org.id))
    return render_template("admin/organisation.html", organisation=org, form=form)


@bp.get("/benchmark")
@require(is_admin)
def benchmark():
    from delphi.services.assessments import benchmark as assessment_benchmark

    return render_template("admin/benchmark.html", rows=assessment_benchmark.overview(),
                           minimum=assessment_benchmark.min_organisations())


@bp.post("/benchmark/<int:version_id>/publish")
@require(is_admin)
def publish_benchmark(version_id: int):
    from delphi.forms import EmptyForm
    from delphi.models import FrameworkVersion
    from delphi.services.assessments import benchmark as assessment_benchmark

    version = db.get_or_404(FrameworkVersion, version_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        edition = assessment_benchmark.publish_edition(version, by=current_user)
    except InvalidInput as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(_("Edition %(number)s of the benchmark of %(version)s published.", number=edition.number,
                version=version.ref), "success")
    return redirect(url_for("admin.benchmark"))
