"""A framework version's translations: completeness per language, XLIFF 2.0 download and upload, the source
language. Anyone who may see the version may download; only a draft takes uploads (a release freezes them)."""
from __future__ import annotations

from flask import flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from delphi.downloads import attachment
from delphi.errors import DomainError
from delphi.extensions import db
from delphi.organiser.blueprint import bp
from delphi.organiser.framework_access import load_draft, load_version, version_url
from delphi.organiser.framework_forms import SourceLanguageForm, TranslationUploadForm
from delphi.permissions import is_organiser, require
from delphi.services.frameworks import translations, versions
from framework import translations as fwtr

TR = "/frameworks/<slug>/versions/<label>/translations"
XLIFF_MIME = "application/xliff+xml"


def _page(version, upload: TranslationUploadForm | None = None, source: SourceLanguageForm | None = None,
          status: int = 200):
    doc = versions.to_document(version)
    return render_template(
        "organiser/frameworks/translations.html", version=version, languages=translations.overview(version, doc),
        total=len(fwtr.source_texts(doc)), upload=upload or TranslationUploadForm(formdata=None),
        source=source or SourceLanguageForm(formdata=None, language=version.source_language),
        source_name=translations.language_name(version.source_language)), status


@bp.get(TR)
@require(is_organiser)
def version_translations(slug: str, label: str):
    return _page(load_version(slug, label))


@bp.get(TR + "/download")
@require(is_organiser)
def download_translation(slug: str, label: str):
    version = load_version(slug, label)
    try:
        data, filename = translations.export_xliff(version, request.args.get("language", ""))
    except DomainError as exc:
        flash(exc.message, "error")
        return redirect(version_url(version, ".version_translations"))
    return attachment(data, filename, XLIFF_MIME)


@bp.post(TR)
@require(is_organiser)
def upload_translation(slug: str, label: str):
    version = load_draft(slug, label)
    form = TranslationUploadForm()
    if not form.validate_on_submit():
        return _page(version, upload=form, status=400)
    try:
        summary = translations.import_xliff(version, form.file.data.read(), by=current_user)
    except DomainError as exc:
        db.session.rollback()
        form.file.errors.append(exc.message)
        return _page(version, upload=form, status=400)
    db.session.commit()
    name = translations.language_name(summary.language)
    flash(_("%(language)s: %(added)s new and %(changed)s changed translations stored, %(unchanged)s unchanged; "
            "%(translated)s of %(total)s texts (%(percent)s %%) are now translated.", language=name,
            added=summary.added, changed=summary.changed, unchanged=summary.unchanged,
            translated=summary.completeness.translated, total=summary.completeness.total,
            percent=summary.completeness.percent), "success")
    if summary.stale:
        flash(ngettext("%(num)d translations were made for an earlier wording of their text: they are kept; check "
                       "them against the current text.",
                       "%(num)d translations were made for an earlier wording of their text: they are kept; check "
                       "them against the current text.", summary.stale), "info")
    for problem in summary.problems[:10]:
        flash(problem, "info")
    if len(summary.problems) > 10:
        flash(ngettext("… and %(num)d more remarks on the file.", "… and %(num)d more remarks on the file.",
                       len(summary.problems) - 10), "info")
    return redirect(version_url(version, ".version_translations"))


@bp.post(TR + "/source-language")
@require(is_organiser)
def set_source_language(slug: str, label: str):
    version = load_draft(slug, label)
    form = SourceLanguageForm()
    if not form.validate_on_submit():
        return _page(version, source=form, status=400)
    try:
        translations.set_source_language(version, form.language.data, by=current_user)
    except DomainError as exc:
        db.session.rollback()
        form.language.errors.append(exc.message)
        return _page(version, source=form, status=400)
    db.session.commit()
    flash(_("This version is now marked as written in %(language)s.",
            language=translations.language_name(version.source_language)), "success")
    return redirect(version_url(version, ".version_translations"))
