"""The organiser's panel pages: add experts one by one or from a CSV (checked, then confirmed), invitations."""
from __future__ import annotations

import json

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from delphi import jsonsafe
from delphi.errors import DomainError, InvalidInput
from delphi.extensions import db
from delphi.forms import EmptyForm
from delphi.models import OutboxMessage, Panelist
from delphi.organiser.blueprint import bp
from delphi.organiser.forms import PanelCsvForm, PanelistForm
from delphi.organiser.responses import fail
from delphi.permissions import is_organiser, load_study_for_organiser, require
from delphi.services.accounts import outbox
from delphi.services.studies import languages, panel
from delphi.services.studies import panel_csv as panel_file


@bp.route("/studies/<int:study_id>/panel", methods=["GET", "POST"])
@require(is_organiser)
def panel_page(study_id: int):
    st = load_study_for_organiser(study_id)
    form = PanelistForm()
    form.language.choices = [("", _("The expert chooses")), *languages.names(st)]
    if form.validate_on_submit():
        try:
            p = panel.add(st, form.email.data, form.name.data, by=current_user,
                          stakeholder_group=form.stakeholder_group.data or "", country=form.country.data or "",
                          expertise=form.expertise.data or "", language=form.language.data or "")
        except DomainError as exc:
            return fail(exc, "organiser.panel_page", study_id=st.id)
        db.session.commit()
        flash(_("%(name)s added to the panel as %(pseudonym)s. Send the invitations when the panel is complete.",
                name=form.name.data, pseudonym=p.pseudonym), "success")
        return redirect(url_for("organiser.panel_page", study_id=st.id))
    status = 400 if request.method == "POST" else 200  # a POST that reaches here failed validation
    return render_template("organiser/panel.html", study=st, form=form, csv_form=PanelCsvForm(),
                           languages=languages.names(st) if languages.is_multilingual(st) else [],
                           mails=outbox.for_study(st.id), mail_counts=outbox.counts(st.id),
                           statuses=panel.statuses(st)), status


@bp.post("/studies/<int:study_id>/panel/mail/retry")
@require(is_organiser)
def retry_mail(study_id: int):
    """Another try for failed messages of this study: one (message_id) or all of them."""
    st = load_study_for_organiser(study_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    wanted = request.form.get("message_id", type=int)
    if wanted is None:
        n = outbox.retry_failed(st.id)
    else:
        message = db.session.get(OutboxMessage, wanted)
        if message is None or message.study_id != st.id:
            abort(404)
        n = int(outbox.retry(message))
    db.session.commit()
    flash(ngettext("%(num)d message(s) queued again.", "%(num)d message(s) queued again.", n) if n
          else _("No failed message to retry."), "success" if n else "info")
    return redirect(url_for("organiser.panel_page", study_id=st.id) + "#mail")


@bp.post("/studies/<int:study_id>/panel/csv")
@require(is_organiser)
def panel_csv(study_id: int):
    st = load_study_for_organiser(study_id)
    form = PanelCsvForm()
    if not form.validate_on_submit():
        flash(_("Choose a CSV file to check."), "error")
        return redirect(url_for("organiser.panel_page", study_id=st.id))
    try:
        preview = panel_file.parse_csv(form.file.data.read(), st)
    except DomainError as exc:
        return fail(exc, "organiser.panel_page", study_id=st.id)
    return render_template("organiser/panel_preview.html", study=st, preview=preview,
                           rows_json=json.dumps(preview.rows))


@bp.post("/studies/<int:study_id>/panel/csv/confirm")
@require(is_organiser)
def panel_csv_confirm(study_id: int):
    st = load_study_for_organiser(study_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        rows = jsonsafe.loads(request.form.get("rows", "[]"), max_depth=4)
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise ValueError("the confirmed rows are not a list of rows")
        # Re-check the confirmed rows exactly as on upload: nothing unchecked reaches the panel.
        preview = panel_file.check_rows(rows, st, skip_blank=False)
        if preview.errors:
            raise InvalidInput(_("The panel changed since the file was checked; upload it again."))
        added = panel_file.add_rows(st, preview.rows, by=current_user)
    except (DomainError, ValueError) as exc:
        return fail(exc if isinstance(exc, DomainError) else InvalidInput(_("The confirmation was damaged; "
                                                                            "upload the file again.")),
                     "organiser.panel_page", study_id=st.id)
    db.session.commit()
    flash(ngettext("%(num)d experts added to the panel.", "%(num)d experts added to the panel.", len(added)),
          "success")
    return redirect(url_for("organiser.panel_page", study_id=st.id))


@bp.post("/studies/<int:study_id>/panel/invite")
@require(is_organiser)
def invite_panel(study_id: int):
    st = load_study_for_organiser(study_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    sent = panel.invite(st, list(st.panelists), by=current_user)
    db.session.commit()
    flash(ngettext("%(num)d invitation(s) sent.", "%(num)d invitation(s) sent.", sent) if sent
          else _("Everyone on the panel has already been invited."),
          "success" if sent else "info")
    return redirect(url_for("organiser.panel_page", study_id=st.id))


def _panelist(st, panelist_id: int) -> Panelist:
    p = db.session.get(Panelist, panelist_id)
    if p is None or p.study_id != st.id:
        abort(404)
    return p


@bp.post("/studies/<int:study_id>/panel/<int:panelist_id>/<any(edit, withdraw, reinstate, invite):action>")
@require(is_organiser)
def panelist_action(study_id: int, panelist_id: int, action: str):
    """One panelist: correct their details, withdraw or reinstate them, or send a new invitation link."""
    st = load_study_for_organiser(study_id)
    p = _panelist(st, panelist_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    form = request.form
    try:
        if action == "edit":
            panel.edit(p, by=current_user, name=form.get("name"), stakeholder_group=form.get("stakeholder_group", ""),
                       country=form.get("country", ""), expertise=form.get("expertise", ""),
                       language=form.get("language"))
            done = _("%(pseudonym)s's details saved.", pseudonym=p.pseudonym)
        elif action == "withdraw":
            panel.withdraw(p, form.get("reason", ""), by=current_user)
            kept = st.protocol.get("withdrawn_ratings") != "exclude"
            done = (_("%(pseudonym)s is withdrawn: no more rating or e-mails; their ratings still count "
                      "(protocol).", pseudonym=p.pseudonym) if kept
                    else _("%(pseudonym)s is withdrawn: no more rating or e-mails; their ratings are left out of "
                           "the statistics (protocol).", pseudonym=p.pseudonym))
        elif action == "reinstate":
            panel.reinstate(p, by=current_user)
            done = _("%(pseudonym)s is back on the panel.", pseudonym=p.pseudonym)
        else:
            panel.resend_invitation(p, by=current_user)
            done = _("A new invitation was sent to %(pseudonym)s; the earlier link no longer works.",
                     pseudonym=p.pseudonym)
    except DomainError as exc:
        return fail(exc, "organiser.panel_page", study_id=st.id)
    db.session.commit()
    flash(done, "success")
    return redirect(url_for("organiser.panel_page", study_id=st.id) + f"#panelist-{p.id}")
