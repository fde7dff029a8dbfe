"""Importing an earlier assessment from a spreadsheet: upload, a row-by-row report, then confirm (the lead only).

The confirmation carries the file itself (base64) and reads it again, so what is stored is what the report
showed and nothing is kept on the server between the two steps.
"""
from __future__ import annotations

import base64
import binascii
from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from delphi.assessor.access import load_organisation, require
from delphi.assessor.assessments import version_choices
from delphi.assessor.blueprint import bp
from delphi.assessor.forms import BaselineForm
from delphi.errors import DomainError
from delphi.extensions import db
from delphi.forms import EmptyForm
from delphi.models import FrameworkVersion
from delphi.services.assessments import baseline


@bp.route("/organisations/<int:org_id>/baseline", methods=["GET", "POST"])
@login_required
def import_baseline(org_id: int):
    oa = load_organisation(org_id)
    require(oa.is_lead)
    form = BaselineForm()
    form.version.choices = version_choices()
    if form.validate_on_submit():
        data = form.file.data.read()
        version = db.get_or_404(FrameworkVersion, form.version.data)
        try:
            report = baseline.read(data, form.file.data.filename or "baseline", version)
        except DomainError as exc:
            flash(exc.message, "error")
            return render_template("assessor/baseline.html", oa=oa, form=form), 400
        return render_template("assessor/baseline_preview.html", oa=oa, report=report, version=version,
                               title=form.title.data, reference_date=form.reference_date.data,
                               filename=form.file.data.filename, payload=base64.b64encode(data).decode(),
                               confirm_form=EmptyForm())
    status = 400 if request.method == "POST" else 200
    return render_template("assessor/baseline.html", oa=oa, form=form), status


@bp.post("/organisations/<int:org_id>/baseline/confirm")
@login_required
def confirm_baseline(org_id: int):
    oa = load_organisation(org_id)
    require(oa.is_lead)
    if not EmptyForm().validate_on_submit():
        abort(400)
    version = db.get_or_404(FrameworkVersion, request.form.get("version", type=int) or 0)
    try:
        data = base64.b64decode(request.form.get("payload", ""), validate=True)
        reference_date = date.fromisoformat(request.form.get("reference_date", ""))
    except (binascii.Error, ValueError):
        flash(_("The confirmation was damaged; nothing was imported. Upload the file again."), "error")
        return redirect(url_for("assessor.import_baseline", org_id=org_id))
    try:
        report = baseline.read(data, request.form.get("filename", "baseline"), version)
        assessment = baseline.create(oa.organisation, version, report, title=request.form.get("title", ""),
                                     reference_date=reference_date, by=current_user,
                                     finalise=request.form.get("finalise") == "1")
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("assessor.import_baseline", org_id=org_id))
    db.session.commit()
    filename = request.form.get("filename")
    filename = _("the file") if filename is None else filename
    if assessment.is_finalised:
        flash(_("Imported %(count)s indicators from %(filename)s as “%(title)s” (finalised).",
                count=len(report.read), filename=filename, title=assessment.title), "success")
    else:
        flash(_("Imported %(count)s indicators from %(filename)s as “%(title)s” (in progress: complete it, then "
                "finalise).", count=len(report.read), filename=filename, title=assessment.title), "success")
    return redirect(url_for("assessor.assessment", assessment_id=assessment.id))
