"""A study's languages: which the panel may rate in, and the study's own texts (questions, scale, consent) in
each. Fixed with the protocol when round 1 opens; until then the page says what each language still lacks."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from delphi.errors import DomainError
from delphi.extensions import db
from delphi.forms import EmptyForm
from delphi.organiser.blueprint import bp
from delphi.permissions import is_organiser, load_study_for_organiser, require
from delphi.services.frameworks import translations
from delphi.services.studies import languages


def _texts_from_form(study, form) -> dict:
    """{tag: {"consent", "questions": {key: {"label", "labels"}}}} from fields named text-<tag>-…"""
    out = {}
    for tag in form.getlist("languages"):
        questions = {}
        for q in study.protocol["questions"]:
            labels = [form.get(f"text-{tag}-{q['key']}-point-{n}", "").strip() for n in range(1, q["points"] + 1)]
            questions[q["key"]] = {"label": form.get(f"text-{tag}-{q['key']}-label", "").strip(),
                                   "labels": labels if any(labels) else []}
        out[tag] = {"consent": form.get(f"text-{tag}-consent", "").strip(), "questions": questions}
    return out


@bp.route("/studies/<int:study_id>/languages", methods=["GET", "POST"])
@require(is_organiser)
def study_languages(study_id: int):
    st = load_study_for_organiser(study_id)
    form = EmptyForm()
    status = 200
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            languages.set_languages(st, request.form.getlist("languages"), _texts_from_form(st, request.form),
                                    by=current_user)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            status = 400
        else:
            db.session.commit()
            missing = languages.problems(st)
            flash(_("Languages saved. Each language still needs the texts listed below before round 1 can open.")
                  if missing else _("Languages saved; every language offered is complete."),
                  "info" if missing else "success")
            return redirect(url_for("organiser.study_languages", study_id=st.id))
    version = st.framework_version
    source = languages.source(st)
    available = [row for row in translations.overview(version) if row.language != source]
    texts = languages.filled_texts(st, {**st.protocol, "languages": [r.language for r in available]})
    for tag, entry in (st.protocol.get("texts") or {}).items():
        texts[tag] = entry  # what the organiser saved wins over the defaults offered
    return render_template("organiser/languages.html", study=st, form=form, available=available,
                           offered=languages.offered(st), texts=texts, problems=languages.problems(st),
                           source_name=translations.language_name(source),
                           locked=st.protocol_locked_at is not None), status
